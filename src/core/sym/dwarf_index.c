/* Address -> compilation unit index: from .debug_aranges where the compiler wrote it, else from
 * each unit DIE's pc ranges, else from the unit's line table; built on first lookup. Of a
 * section inflated in pieces, the units aranges leaves out are looked at only when an address
 * misses: finding them means walking, so inflating, all of .debug_info. */
#include "core/sym/dwarf_int.h"

#include <stdlib.h>

typedef struct index_builder {
    dw_cu_range *v;
    size_t n, cap;
    uint64_t unit_off;
    bool failed;
} index_builder;

static bool add_range(void *ctx, uint64_t lo, uint64_t hi)
{
    index_builder *b = ctx;
    if (lo == 0 || lo >= hi) /* address 0 marks code the linker discarded */
        return true;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        dw_cu_range *nv = realloc(b->v, ncap * sizeof *nv);
        if (!nv) {
            b->failed = true;
            return false;
        }
        b->v = nv;
        b->cap = ncap;
    }
    b->v[b->n++] = (dw_cu_range){lo, hi, b->unit_off};
    return true;
}

/* The unit whose header is at off, or NULL. */
static dw_unit *unit_by_offset(dwarf *d, uint64_t off)
{
    if (dw_units_scan_to(d, off) < 0)
        return NULL;
    size_t lo = 0, hi = d->nunits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->hdrs[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->nunits && d->hdrs[lo].off == off ? dw_unit_get(d, lo) : NULL;
}

static void read_aranges(dwarf *d, index_builder *b)
{
    const dw_sect *s = &d->sec[DS_ARANGES];
    if (dw_need(d, DS_ARANGES, 0, s->len) < 0)
        return;
    uint64_t off = 0;
    while (off < s->len && !b->failed) {
        dw_cur c = dw_cur_make(s->data, s->len, (size_t)off);
        unsigned off_size;
        uint64_t len = dw_unit_length(&c, &off_size);
        if (c.bad || len > dw_left(&c))
            return;
        const uint8_t *set = s->data + off;
        c.end = c.p + len;
        off = (uint64_t)(c.end - s->data);
        dw_u16(&c); /* version */
        uint64_t info_off = dw_uint(&c, off_size);
        uint8_t addr_size = dw_u8(&c), seg_size = dw_u8(&c);
        if (c.bad || (addr_size != 4 && addr_size != 8) || seg_size != 0 || info_off >= d->sec[DS_INFO].len)
            continue;
        /* Tuples start at a multiple of their own size from the start of the set. */
        size_t hdr = (size_t)(c.p - set), tuple = 2u * addr_size;
        dw_skip(&c, (tuple - hdr % tuple) % tuple);
        b->unit_off = info_off;
        while (!c.bad && dw_left(&c) >= tuple) {
            uint64_t lo = dw_uint(&c, addr_size), n = dw_uint(&c, addr_size);
            if (lo == 0 && n == 0)
                break;
            if (lo + n > lo && !add_range(b, lo, lo + n))
                return;
        }
    }
}

/* A unit that aranges did not describe: its DIE's ranges, else its line table's sequences. */
static void unit_ranges(dwarf *d, index_builder *b, size_t idx)
{
    uint8_t type = d->hdrs[idx].unit_type;
    if (type != DW_UT_compile && type != DW_UT_skeleton)
        return; /* partial and type units hold no code of their own */
    dw_unit *u = dw_unit_get(d, idx);
    dw_die die;
    if (!u || dw_unit_prepare(d, u) < 0 || dw_read_die(d, u, u->die_off, &die) < 0)
        return;
    b->unit_off = d->hdrs[idx].off;
    size_t before = b->n;
    if (!dw_die_ranges(d, u, &die, add_range, b) || b->n > before)
        return;
    dw_lines *l = dw_unit_lines(d, u);
    if (l)
        dw_lines_ranges(l, add_range, b);
}

static int range_cmp(const void *a, const void *b)
{
    const dw_cu_range *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->unit_off < y->unit_off ? -1 : x->unit_off > y->unit_off;
}

static int off_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Adds the ranges of every unit that aranges did not describe; walks all unit headers. */
static void add_uncovered_units(dwarf *d, index_builder *b)
{
    if (dw_units_scan_to(d, UINT64_MAX - 1) < 0) {
        b->failed = true;
        return;
    }
    uint64_t *covered = malloc((b->n ? b->n : 1) * sizeof *covered);
    if (!covered) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        covered[i] = b->v[i].unit_off;
    size_t ncovered = b->n;
    if (ncovered > 1)
        qsort(covered, ncovered, sizeof *covered, off_cmp);
    for (size_t i = 0; i < d->nunits && !b->failed; i++)
        if (!ncovered || !bsearch(&d->hdrs[i].off, covered, ncovered, sizeof *covered, off_cmp))
            unit_ranges(d, b, i);
    free(covered);
}

/* Sorts the builder's ranges into d's index; on allocation failure the index stays unusable. */
static void install_index(dwarf *d, index_builder *b)
{
    dw_index_free(d);
    d->index_state = -1;
    if (b->failed) {
        free(b->v);
        return;
    }
    if (b->n > 1) /* qsort must not see the NULL of an empty array */
        qsort(b->v, b->n, sizeof *b->v, range_cmp);
    /* maxhi[i] = the largest end among ranges 0..i: a backward scan for ranges containing an
     * address can stop as soon as it falls below, even when ranges nest or overlap. */
    uint64_t *maxhi = malloc((b->n ? b->n : 1) * sizeof *maxhi);
    if (!maxhi) {
        free(b->v);
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        maxhi[i] = i && maxhi[i - 1] > b->v[i].hi ? maxhi[i - 1] : b->v[i].hi;
    d->index = b->v;
    d->nindex = b->n;
    d->index_maxhi = maxhi;
    d->index_state = 1;
}

static void build_index(dwarf *d)
{
    index_builder b;
    memset(&b, 0, sizeof b);
    read_aranges(d, &b);
    /* Read once, into the index: its memory can go (the file's pages, or the inflated ones). */
    if (d->sec[DS_ARANGES].es)
        elf_section_release(d->f, d->sec[DS_ARANGES].es, 0, d->sec[DS_ARANGES].len);
    d->index_complete = !(d->sec[DS_INFO].pieces && b.n > 0);
    if (d->index_complete)
        add_uncovered_units(d, &b);
    install_index(d, &b);
}

/* After a miss: the units aranges left out join the index. */
static void complete_index(dwarf *d)
{
    d->index_complete = true;
    index_builder b = {.v = d->index, .n = d->nindex, .cap = d->nindex};
    d->index = NULL; /* now owned by b */
    add_uncovered_units(d, &b);
    install_index(d, &b);
}

static int units_in_index(dwarf *d, uint64_t addr, dw_unit **out, int max)
{
    size_t lo = 0, hi = d->nindex;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->index[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    int n = 0;
    for (size_t i = lo; i > 0 && n < max && d->index_maxhi[i - 1] > addr; i--) {
        const dw_cu_range *r = &d->index[i - 1];
        if (addr >= r->hi)
            continue;
        dw_unit *u = unit_by_offset(d, r->unit_off);
        if (!u)
            continue;
        bool dup = false;
        for (int k = 0; k < n; k++)
            dup |= out[k] == u;
        if (!dup)
            out[n++] = u;
    }
    return n;
}

int dw_units_for(dwarf *d, uint64_t addr, dw_unit **out, int max)
{
    if (d->index_state == 0)
        build_index(d);
    if (d->index_state < 0)
        return 0;
    int n = units_in_index(d, addr, out, max);
    if (n == 0 && !d->index_complete) {
        complete_index(d);
        if (d->index_state > 0)
            n = units_in_index(d, addr, out, max);
    }
    return n;
}

void dw_index_free(dwarf *d)
{
    free(d->index);
    free(d->index_maxhi);
    d->index = NULL;
    d->index_maxhi = NULL;
    d->nindex = 0;
}
