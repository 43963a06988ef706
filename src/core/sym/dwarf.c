/* DWARF basics for the symbolizer: section set-up, unit headers, abbreviation tables, reading
 * DIEs and attribute values (strings, addresses, references), a string pool. */
#include "core/sym/dwarf_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const section_names[DS_COUNT] = {
    [DS_INFO] = ".debug_info",
    [DS_ABBREV] = ".debug_abbrev",
    [DS_LINE] = ".debug_line",
    [DS_STR] = ".debug_str",
    [DS_LINE_STR] = ".debug_line_str",
    [DS_STR_OFFSETS] = ".debug_str_offsets",
    [DS_ADDR] = ".debug_addr",
    [DS_RANGES] = ".debug_ranges",
    [DS_RNGLISTS] = ".debug_rnglists",
    [DS_ARANGES] = ".debug_aranges",
};

/* ---- string pool ---- */

typedef struct dw_pool_block {
    struct dw_pool_block *next;
    size_t used, cap;
    char data[];
} dw_pool_block;

#define POOL_BLOCK (64 * 1024)

char *dw_pool_alloc(dwarf *d, size_t n)
{
    dw_pool_block *blk = d->pool;
    if (!blk || blk->cap - blk->used < n) {
        size_t cap = n > POOL_BLOCK ? n : POOL_BLOCK;
        blk = malloc(sizeof *blk + cap);
        if (!blk)
            return NULL;
        blk->used = 0;
        blk->cap = cap;
        /* A big string gets a block of its own behind the current one, so the current
         * block's free space stays usable. */
        if (d->pool && n > POOL_BLOCK) {
            blk->next = d->pool->next;
            d->pool->next = blk;
        } else {
            blk->next = d->pool;
            d->pool = blk;
        }
    }
    char *s = blk->data + blk->used;
    blk->used += n;
    return s;
}

char *dw_pool_str(dwarf *d, const char *a, const char *b, const char *c)
{
    size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
    char *s = dw_pool_alloc(d, la + lb + lc + 1);
    if (!s)
        return NULL;
    if (la)
        memcpy(s, a, la);
    if (lb)
        memcpy(s + la, b, lb);
    if (lc)
        memcpy(s + la + lb, c, lc);
    s[la + lb + lc] = 0;
    return s;
}

/* ---- units ---- */

/* Longest unit header: 64-bit length (12), version (2), unit type and address size (2),
 * abbreviation offset (8), then a type signature and offset (16). */
#define UNIT_HEADER_MAX 48

/* Reads the header of the unit at off into *u; returns the offset after the unit, or 0 when
 * nothing from here on can be located (unreadable or truncated). *usable says whether it is a
 * unit this reader understands. */
static uint64_t read_unit_header(dwarf *d, uint64_t off, dw_uhdr *u, bool *usable)
{
    const dw_sect *info = &d->sec[DS_INFO];
    uint8_t hdr[UNIT_HEADER_MAX];
    size_t n = info->len - off < sizeof hdr ? (size_t)(info->len - off) : sizeof hdr;
    if (elf_section_copy(d->f, info->es, off, hdr, n) < 0)
        return 0;
    dw_cur c = dw_cur_make(hdr, n, 0);
    unsigned off_size;
    uint64_t len = dw_unit_length(&c, &off_size);
    size_t len_size = (size_t)(c.p - hdr);
    if (c.bad || len > info->len - off - len_size)
        return 0;
    uint64_t end = off + len_size + len;
    memset(u, 0, sizeof *u);
    u->off = off;
    u->end = end;
    u->off_size = (uint8_t)off_size;
    dw_cur h = dw_cur_make(hdr, end - off < n ? (size_t)(end - off) : n, len_size);
    u->version = dw_u16(&h);
    if (u->version >= 5) {
        u->unit_type = dw_u8(&h);
        u->addr_size = dw_u8(&h);
        u->abbrev_off = dw_uint(&h, off_size);
        if (u->unit_type == DW_UT_skeleton || u->unit_type == DW_UT_split_compile)
            dw_skip(&h, 8); /* dwo_id */
        else if (u->unit_type == DW_UT_type || u->unit_type == DW_UT_split_type)
            dw_skip(&h, 8 + off_size); /* type signature and offset */
    } else {
        u->unit_type = DW_UT_compile;
        u->abbrev_off = dw_uint(&h, off_size);
        u->addr_size = dw_u8(&h);
    }
    u->die_delta = (uint8_t)(h.p - hdr);
    *usable = !h.bad && u->version >= 2 && u->version <= 5 && (u->addr_size == 4 || u->addr_size == 8);
    return end;
}

static int add_unit(dwarf *d, const dw_uhdr *u)
{
    if (d->nunits == d->units_cap) {
        size_t ncap = d->units_cap ? d->units_cap * 2 : 64;
        dw_uhdr *nh = realloc(d->hdrs, ncap * sizeof *nh);
        if (!nh)
            return -1;
        d->hdrs = nh;
        dw_unit **nu = realloc(d->units, ncap * sizeof *nu);
        if (!nu)
            return -1;
        memset(nu + d->units_cap, 0, (ncap - d->units_cap) * sizeof *nu);
        d->units = nu;
        d->units_cap = ncap;
    }
    d->hdrs[d->nunits++] = *u;
    return 0;
}

/* Walks the unit headers of .debug_info from where the last walk stopped until the walk has
 * passed off. The headers are copied out, not read in place. A section inflated in pieces is
 * walked only as far as a lookup needs: the units that hold a profile's addresses in a
 * distribution's libc sit near the start of its 6 MB of .debug_info, and a walk to its end
 * would inflate all of it. */
int dw_units_scan_to(dwarf *d, uint64_t off)
{
    const dw_sect *info = &d->sec[DS_INFO];
    while (!d->scan_done && d->scanned <= off) {
        dw_uhdr u;
        bool usable = false;
        uint64_t end = d->scanned < info->len ? read_unit_header(d, d->scanned, &u, &usable) : 0;
        if (end == 0) {
            d->scan_done = true;
            /* A mapped section's pages, read for the headers, are not needed until units are. */
            if (info->es && !info->pieces)
                elf_section_release(d->f, info->es, 0, info->len);
            break;
        }
        if (usable && add_unit(d, &u) < 0)
            return -1;
        d->scanned = end;
    }
    return 0;
}

dw_unit *dw_unit_get(dwarf *d, size_t i)
{
    if (!d->units[i]) {
        const dw_uhdr *h = &d->hdrs[i];
        dw_unit *u = calloc(1, sizeof *u);
        if (!u)
            return NULL;
        u->off = h->off;
        u->die_off = h->off + h->die_delta;
        u->end = h->end;
        u->version = h->version;
        u->unit_type = h->unit_type;
        u->addr_size = h->addr_size;
        u->off_size = h->off_size;
        u->abbrev_off = h->abbrev_off;
        u->whole = !d->sec[DS_INFO].pieces;
        d->units[i] = u;
    }
    return d->units[i];
}

dw_unit *dw_unit_at(dwarf *d, uint64_t off)
{
    if (dw_units_scan_to(d, off) < 0)
        return NULL;
    size_t lo = 0, hi = d->nunits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->hdrs[mid].off <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const dw_uhdr *h = &d->hdrs[lo - 1];
    return off >= h->off + h->die_delta && off < h->end ? dw_unit_get(d, lo - 1) : NULL;
}

/* ---- abbreviations ---- */

static int abbrev_code_cmp(const void *a, const void *b)
{
    const dw_abbrev *x = a, *y = b;
    return x->code < y->code ? -1 : x->code > y->code;
}

static void abbrevs_free(dw_abbrevs *t)
{
    if (t) {
        free(t->v);
        free(t->specs);
        free(t);
    }
}

/* Parses the table at off from the bytes before lim; *short_read tells whether it ran into
 * lim (so a longer read may find more). */
static dw_abbrevs *parse_abbrevs(dwarf *d, uint64_t off, uint64_t lim, bool *short_read)
{
    const dw_sect *s = &d->sec[DS_ABBREV];
    *short_read = false;
    dw_abbrevs *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->off = off;
    size_t vcap = 0, scap = 0;
    dw_cur c = dw_cur_make(s->data, (size_t)lim, (size_t)off);
    for (;;) {
        uint64_t code = dw_uleb(&c);
        if (c.bad || code == 0)
            break;
        if (t->n == vcap) {
            size_t ncap = vcap ? vcap * 2 : 32;
            dw_abbrev *nv = realloc(t->v, ncap * sizeof *nv);
            if (!nv)
                goto fail;
            t->v = nv;
            vcap = ncap;
        }
        dw_abbrev *a = &t->v[t->n];
        a->code = code;
        a->tag = (uint32_t)dw_uleb(&c);
        a->children = dw_u8(&c) != 0;
        a->first = (uint32_t)t->nspecs;
        for (;;) {
            uint64_t attr = dw_uleb(&c), form = dw_uleb(&c);
            if (c.bad || (attr == 0 && form == 0))
                break;
            int64_t implicit = form == DW_FORM_implicit_const ? dw_sleb(&c) : 0;
            if (t->nspecs == scap) {
                size_t ncap = scap ? scap * 2 : 64;
                if (ncap > UINT32_MAX)
                    goto fail;
                dw_attrspec *ns = realloc(t->specs, ncap * sizeof *ns);
                if (!ns)
                    goto fail;
                t->specs = ns;
                scap = ncap;
            }
            t->specs[t->nspecs++] = (dw_attrspec){(uint32_t)(attr > UINT32_MAX ? 0 : attr),
                                                  (uint32_t)(form > UINT32_MAX ? 0 : form), implicit};
        }
        a->n = (uint32_t)t->nspecs - a->first;
        t->n++;
        if (c.bad)
            break; /* keep the complete entries of a truncated table */
    }
    *short_read = c.bad;
    /* Grown by doubling: give back what the table did not use. */
    dw_abbrev *fv = t->n ? realloc(t->v, t->n * sizeof *fv) : NULL;
    if (fv)
        t->v = fv;
    dw_attrspec *fs = t->nspecs ? realloc(t->specs, t->nspecs * sizeof *fs) : NULL;
    if (fs)
        t->specs = fs;
    t->dense = true;
    for (size_t i = 0; i < t->n && t->dense; i++)
        t->dense = t->v[i].code == i + 1;
    if (!t->dense)
        qsort(t->v, t->n, sizeof *t->v, abbrev_code_cmp); /* not dense, so n >= 1 and v is set */
    return t;
fail:
    abbrevs_free(t);
    return NULL;
}

/* A table's length is only known by reading it: of a section inflated in pieces, a few pages
 * are asked for, and more when the table runs past them. */
#define ABBREV_CHUNK 4096

static dw_abbrevs *read_abbrevs(dwarf *d, uint64_t off)
{
    const dw_sect *s = &d->sec[DS_ABBREV];
    if (off >= s->len)
        return NULL;
    for (uint64_t want = s->pieces ? ABBREV_CHUNK : s->len - off;; want *= 4) {
        uint64_t lim = want < s->len - off ? off + want : s->len;
        if (dw_need(d, DS_ABBREV, off, lim - off) < 0)
            return NULL;
        bool short_read;
        dw_abbrevs *t = parse_abbrevs(d, off, lim, &short_read);
        if (!t || !short_read || lim == s->len) {
            dw_read_done(d, DS_ABBREV, off, lim - off); /* all of it is in t now */
            return t;
        }
        abbrevs_free(t);
    }
}

/* Abbreviation tables are shared between units that name the same offset (dwz does this). */
static dw_abbrevs *get_abbrevs(dwarf *d, uint64_t off)
{
    size_t lo = 0, hi = d->nabbrevs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->abbrevs[mid]->off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->nabbrevs && d->abbrevs[lo]->off == off)
        return d->abbrevs[lo];
    dw_abbrevs *t = read_abbrevs(d, off);
    if (!t)
        return NULL;
    if (d->nabbrevs == d->abbrevs_cap) {
        size_t ncap = d->abbrevs_cap ? d->abbrevs_cap * 2 : 16;
        dw_abbrevs **na = realloc(d->abbrevs, ncap * sizeof *na);
        if (!na) {
            abbrevs_free(t);
            return NULL;
        }
        d->abbrevs = na;
        d->abbrevs_cap = ncap;
    }
    memmove(&d->abbrevs[lo + 1], &d->abbrevs[lo], (d->nabbrevs - lo) * sizeof *d->abbrevs);
    d->abbrevs[lo] = t;
    d->nabbrevs++;
    return t;
}

static const dw_abbrev *find_abbrev(const dw_abbrevs *t, uint64_t code)
{
    if (t->dense)
        return code >= 1 && code <= t->n ? &t->v[code - 1] : NULL;
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->v[lo].code == code ? &t->v[lo] : NULL;
}

/* ---- attribute values ---- */

bool dw_read_form(dw_cur *c, const dw_unit *u, uint32_t form, int64_t implicit, dw_val *v)
{
    v->ptr = NULL;
    v->u = 0;
    /* DW_FORM_indirect names the real form in the data; one level only, so a chain of
     * indirections cannot loop. */
    if (form == DW_FORM_indirect) {
        uint64_t f = dw_uleb(c);
        if (c->bad || f == DW_FORM_indirect || f == DW_FORM_implicit_const || f > UINT32_MAX)
            return false;
        form = (uint32_t)f;
    }
    v->form = form;
    switch (form) {
    case DW_FORM_addr:
        v->u = dw_uint(c, u->addr_size);
        break;
    case DW_FORM_block1:
        v->u = dw_u8(c);
        goto block;
    case DW_FORM_block2:
        v->u = dw_u16(c);
        goto block;
    case DW_FORM_block4:
        v->u = dw_u32(c);
        goto block;
    case DW_FORM_block:
    case DW_FORM_exprloc:
        v->u = dw_uleb(c);
    block:
        v->ptr = c->p;
        dw_skip(c, v->u);
        break;
    case DW_FORM_data1:
    case DW_FORM_ref1:
    case DW_FORM_flag:
    case DW_FORM_strx1:
    case DW_FORM_addrx1:
        v->u = dw_u8(c);
        break;
    case DW_FORM_data2:
    case DW_FORM_ref2:
    case DW_FORM_strx2:
    case DW_FORM_addrx2:
        v->u = dw_u16(c);
        break;
    case DW_FORM_strx3:
    case DW_FORM_addrx3:
        v->u = dw_uint(c, 3);
        break;
    case DW_FORM_data4:
    case DW_FORM_ref4:
    case DW_FORM_ref_sup4:
    case DW_FORM_strx4:
    case DW_FORM_addrx4:
        v->u = dw_u32(c);
        break;
    case DW_FORM_data8:
    case DW_FORM_ref8:
    case DW_FORM_ref_sig8:
    case DW_FORM_ref_sup8:
        v->u = dw_u64(c);
        break;
    case DW_FORM_data16:
        v->ptr = c->p;
        dw_skip(c, 16);
        break;
    case DW_FORM_string:
        v->ptr = (const uint8_t *)dw_cstr(c);
        break;
    case DW_FORM_sdata:
        v->u = (uint64_t)dw_sleb(c);
        break;
    case DW_FORM_udata:
    case DW_FORM_ref_udata:
    case DW_FORM_strx:
    case DW_FORM_addrx:
    case DW_FORM_loclistx:
    case DW_FORM_rnglistx:
    case DW_FORM_GNU_addr_index:
    case DW_FORM_GNU_str_index:
        v->u = dw_uleb(c);
        break;
    case DW_FORM_strp:
    case DW_FORM_line_strp:
    case DW_FORM_sec_offset:
    case DW_FORM_strp_sup:
    case DW_FORM_GNU_ref_alt:
    case DW_FORM_GNU_strp_alt:
        v->u = dw_uint(c, u->off_size);
        break;
    case DW_FORM_ref_addr: /* an address-sized field in DWARF 2, offset-sized later */
        v->u = dw_uint(c, u->version <= 2 ? u->addr_size : u->off_size);
        break;
    case DW_FORM_flag_present:
        v->u = 1;
        break;
    case DW_FORM_implicit_const:
        v->u = (uint64_t)implicit;
        break;
    default:
        return false; /* unknown form: its size is unknown, so nothing after it can be read */
    }
    return !c->bad;
}

static int attr_slot(uint32_t attr)
{
    switch (attr) {
    case DW_AT_name: return A_NAME;
    case DW_AT_linkage_name:
    case DW_AT_MIPS_linkage_name: return A_LINKAGE;
    case DW_AT_low_pc: return A_LOW;
    case DW_AT_high_pc: return A_HIGH;
    case DW_AT_ranges: return A_RANGES;
    case DW_AT_abstract_origin: return A_ORIGIN;
    case DW_AT_specification: return A_SPEC;
    case DW_AT_decl_line: return A_DECL_LINE;
    case DW_AT_call_file: return A_CALL_FILE;
    case DW_AT_call_line: return A_CALL_LINE;
    case DW_AT_sibling: return A_SIBLING;
    case DW_AT_stmt_list: return A_STMT_LIST;
    case DW_AT_comp_dir: return A_COMP_DIR;
    case DW_AT_str_offsets_base: return A_STR_OFFSETS_BASE;
    case DW_AT_addr_base:
    case DW_AT_GNU_addr_base: return A_ADDR_BASE;
    case DW_AT_rnglists_base: return A_RNGLISTS_BASE;
    case DW_AT_language: return A_LANGUAGE;
    case DW_AT_external: return A_EXTERNAL;
    default: return -1;
    }
}

/* Reads the DIE at off from the bytes before lim; *short_read tells whether it ran into lim. */
static int read_die(dwarf *d, dw_unit *u, uint64_t off, uint64_t lim, dw_die *die, bool *short_read)
{
    const dw_sect *info = &d->sec[DS_INFO];
    dw_cur c = dw_cur_make(info->data, (size_t)lim, (size_t)off);
    die->off = off;
    die->have = 0;
    *short_read = false;
    uint64_t code = dw_uleb(&c);
    if (c.bad) {
        *short_read = true;
        return -1;
    }
    if (code == 0) {
        die->null = true;
        die->children = false;
        die->tag = 0;
        die->next = (uint64_t)(c.p - info->data);
        return 0;
    }
    const dw_abbrev *a = find_abbrev(u->abbrevs, code);
    if (!a)
        return -1;
    die->null = false;
    die->tag = a->tag;
    die->children = a->children;
    const dw_attrspec *spec = a->n ? u->abbrevs->specs + a->first : NULL; /* specs is NULL if no abbrev has any */
    for (uint32_t i = 0; i < a->n; i++) {
        dw_val v;
        if (!dw_read_form(&c, u, spec[i].form, spec[i].implicit, &v)) {
            *short_read = c.bad;
            return -1;
        }
        int slot = attr_slot(spec[i].attr);
        if (slot >= 0 && !DW_HAS(die, slot)) {
            die->a[slot] = v;
            die->have |= 1u << slot;
        }
    }
    die->next = (uint64_t)(c.p - info->data);
    return 0;
}

/* What one DIE read asks for of a unit not made whole: most DIEs are a few dozen bytes. */
#define DIE_CHUNK 512

int dw_read_die(dwarf *d, dw_unit *u, uint64_t off, dw_die *die)
{
    if (!u->abbrevs || off < u->die_off || off >= u->end)
        return -1;
    bool short_read;
    if (u->whole)
        return read_die(d, u, off, u->end, die, &short_read);
    /* A DIE's length is only known by reading it: when it runs past what was asked for, ask
     * for more and read it again. */
    for (uint64_t want = DIE_CHUNK;; want *= 4) {
        uint64_t lim = want < u->end - off ? off + want : u->end;
        if (dw_need(d, DS_INFO, off, lim - off) < 0)
            return -1;
        int rc = read_die(d, u, off, lim, die, &short_read);
        if (rc == 0 || !short_read || lim == u->end)
            return rc;
    }
}

int dw_unit_whole(dwarf *d, dw_unit *u)
{
    if (!u->whole) {
        if (dw_need(d, DS_INFO, u->off, u->end - u->off) < 0)
            return -1;
        u->whole = true;
    }
    return 0;
}

/* Of a string section inflated in pieces, a string is asked for a page at a time until its
 * end is found: strings are short, pages are what memory is counted in. */
#define STR_CHUNK 4096

/* A NUL-terminated string at off in string section i of d, or NULL. */
static const char *sect_str(dwarf *d, int i, uint64_t off)
{
    const dw_sect *s = &d->sec[i];
    if (off >= s->len)
        return NULL;
    uint64_t at = off;
    while (at < s->len) {
        uint64_t n = s->pieces ? STR_CHUNK - at % STR_CHUNK : s->len - at;
        if (n > s->len - at)
            n = s->len - at;
        if (dw_need(d, i, at, n) < 0)
            return NULL;
        if (memchr(s->data + at, 0, (size_t)n))
            return (const char *)s->data + off;
        at += n;
    }
    return NULL;
}

const char *dw_str(dwarf *d, const dw_unit *u, const dw_val *v)
{
    switch (v->form) {
    case DW_FORM_string:
        return (const char *)v->ptr;
    case DW_FORM_strp:
        return sect_str(d, DS_STR, v->u);
    case DW_FORM_line_strp:
        return sect_str(d, DS_LINE_STR, v->u);
    case DW_FORM_strp_sup:
    case DW_FORM_GNU_strp_alt:
        return d->alt ? sect_str(d->alt, DS_STR, v->u) : NULL;
    case DW_FORM_strx:
    case DW_FORM_strx1:
    case DW_FORM_strx2:
    case DW_FORM_strx3:
    case DW_FORM_strx4:
    case DW_FORM_GNU_str_index: {
        /* Without DW_AT_str_offsets_base, the table's first entry follows its 8-byte header
         * (the DWARF 5 default for a single unit). */
        uint64_t base = u->has_str_offsets_base ? u->str_offsets_base : 8;
        const dw_sect *so = &d->sec[DS_STR_OFFSETS];
        if (v->u > (UINT64_MAX - base) / u->off_size ||
            dw_need(d, DS_STR_OFFSETS, base + v->u * u->off_size, u->off_size) < 0)
            return NULL;
        dw_cur c = dw_cur_make(so->data, so->len, 0);
        if (!dw_skip(&c, base + v->u * u->off_size))
            return NULL;
        uint64_t off = dw_uint(&c, u->off_size);
        return c.bad ? NULL : sect_str(d, DS_STR, off);
    }
    default:
        return NULL;
    }
}

bool dw_addr_index(dwarf *d, const dw_unit *u, uint64_t idx, uint64_t *out)
{
    uint64_t base = u->has_addr_base ? u->addr_base : 8;
    const dw_sect *s = &d->sec[DS_ADDR];
    if (idx > (UINT64_MAX - base) / u->addr_size ||
        dw_need(d, DS_ADDR, base + idx * u->addr_size, u->addr_size) < 0)
        return false;
    dw_cur c = dw_cur_make(s->data, s->len, 0);
    if (!dw_skip(&c, base + idx * u->addr_size))
        return false;
    *out = dw_uint(&c, u->addr_size);
    return !c.bad;
}

bool dw_addr(dwarf *d, const dw_unit *u, const dw_val *v, uint64_t *out)
{
    switch (v->form) {
    case DW_FORM_addr:
        *out = v->u;
        return true;
    case DW_FORM_addrx:
    case DW_FORM_addrx1:
    case DW_FORM_addrx2:
    case DW_FORM_addrx3:
    case DW_FORM_addrx4:
    case DW_FORM_GNU_addr_index:
        return dw_addr_index(d, u, v->u, out);
    default:
        return false;
    }
}

bool dw_const(const dw_val *v, uint64_t *out)
{
    switch (v->form) {
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8:
    case DW_FORM_udata:
    case DW_FORM_sdata:
    case DW_FORM_implicit_const:
        *out = v->u;
        return true;
    default:
        return false;
    }
}

dwarf *dw_ref(dwarf *d, const dw_unit *u, const dw_val *v, uint64_t *off)
{
    switch (v->form) {
    case DW_FORM_ref1:
    case DW_FORM_ref2:
    case DW_FORM_ref4:
    case DW_FORM_ref8:
    case DW_FORM_ref_udata:
        if (v->u >= u->end - u->off)
            return NULL;
        *off = u->off + v->u;
        return d;
    case DW_FORM_ref_addr:
        *off = v->u;
        return d;
    case DW_FORM_GNU_ref_alt:
    case DW_FORM_ref_sup4:
    case DW_FORM_ref_sup8:
        *off = v->u;
        return d->alt;
    default:
        return NULL; /* DW_FORM_ref_sig8 points into type units, which never hold code */
    }
}

/* ---- unit preparation ---- */

int dw_unit_prepare(dwarf *d, dw_unit *u)
{
    if (u->prepared)
        return u->prepared > 0 ? 0 : -1;
    u->prepared = -1;
    u->abbrevs = get_abbrevs(d, u->abbrev_off);
    if (!u->abbrevs)
        return -1;
    dw_die die;
    if (dw_read_die(d, u, u->die_off, &die) < 0 || die.null)
        return -1;
    u->unit_tag = die.tag;
    /* The bases first: the unit DIE's own strx/addrx attributes depend on them, whatever
     * order the attributes come in. */
    if (DW_HAS(&die, A_STR_OFFSETS_BASE)) {
        u->str_offsets_base = die.a[A_STR_OFFSETS_BASE].u;
        u->has_str_offsets_base = true;
    }
    if (DW_HAS(&die, A_ADDR_BASE)) {
        u->addr_base = die.a[A_ADDR_BASE].u;
        u->has_addr_base = true;
    }
    if (DW_HAS(&die, A_RNGLISTS_BASE)) {
        u->rnglists_base = die.a[A_RNGLISTS_BASE].u;
        u->has_rnglists_base = true;
    }
    if (DW_HAS(&die, A_LOW))
        dw_addr(d, u, &die.a[A_LOW], &u->base_pc);
    if (DW_HAS(&die, A_NAME))
        u->name = dw_str(d, u, &die.a[A_NAME]);
    if (DW_HAS(&die, A_COMP_DIR))
        u->comp_dir = dw_str(d, u, &die.a[A_COMP_DIR]);
    uint64_t lang;
    if (DW_HAS(&die, A_LANGUAGE) && dw_const(&die.a[A_LANGUAGE], &lang))
        /* DW_LANG_C_plus_plus, _03, _11, _14 and ObjC_plus_plus */
        u->cplus = lang == 0x04 || lang == 0x19 || lang == 0x1a || lang == 0x21 || lang == 0x11;
    if (DW_HAS(&die, A_STMT_LIST) && die.a[A_STMT_LIST].ptr == NULL) {
        u->stmt_list = die.a[A_STMT_LIST].u;
        u->has_stmt_list = true;
    }
    u->prepared = 1;
    return 0;
}

/* ---- open/close ---- */

void dwarf_use_go_paths(dwarf *d)
{
    d->go_paths = true;
}

dwarf *dwarf_open(elf_file *f, elf_file *alt)
{
    dwarf *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->f = f;
    for (int i = 0; i < DS_COUNT; i++) {
        elf_sec *s = elf_section(f, section_names[i]);
        if (s && elf_section_view(f, s, &d->sec[i].data, &d->sec[i].len) == 0) {
            d->sec[i].es = s;
            d->sec[i].pieces = elf_section_piecewise(s);
        }
    }
    if (!d->sec[DS_INFO].len && !d->sec[DS_LINE].len) {
        free(d);
        return NULL;
    }
    /* Mapped sections are cheap to walk whole; pieces are walked as lookups need. */
    if (dw_units_scan_to(d, d->sec[DS_INFO].pieces ? 0 : UINT64_MAX - 1) < 0) {
        dwarf_close(d);
        return NULL;
    }
    if (alt)
        d->alt = dwarf_open(alt, NULL);
    return d;
}

void dwarf_close(dwarf *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->units && i < d->nunits; i++) {
        if (d->units[i]) {
            dw_lines_free(d->units[i]->lines);
            dw_tree_free(d->units[i]->tree);
            free(d->units[i]);
        }
    }
    free(d->units);
    free(d->hdrs);
    for (size_t i = 0; i < d->nabbrevs; i++)
        abbrevs_free(d->abbrevs[i]);
    free(d->abbrevs);
    dw_index_free(d);
    for (dw_pool_block *b = d->pool, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    dwarf_close(d->alt);
    free(d);
}

bool dwarf_has_lines(dwarf *d)
{
    /* Line tables are reached through units' DW_AT_stmt_list, so both are needed. */
    if (!d || d->sec[DS_LINE].len == 0)
        return false;
    while (d->nunits == 0 && !d->scan_done)
        if (dw_units_scan_to(d, d->scanned) < 0)
            return false;
    return d->nunits > 0;
}
