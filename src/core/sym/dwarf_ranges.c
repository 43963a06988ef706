/* DWARF address ranges of a DIE: DW_AT_low_pc/high_pc, or DW_AT_ranges through .debug_ranges
 * (DWARF 2-4) or .debug_rnglists (DWARF 5, also by DW_FORM_rnglistx index). */
#include "core/sym/dwarf_int.h"

/* A cap on entries per range list: real lists are short (a function split in hot and cold
 * parts, a few blocks); a fuzzed list should not keep us busy. */
#define MAX_RANGE_ENTRIES 65536

/* The walks below read a list at off from the bytes before lim and call fn (when not NULL) for
 * each range; they return false if fn did, and set *short_read when they ran into lim. */

static bool rnglist_walk(dwarf *d, const dw_unit *u, uint64_t off, uint64_t lim, dw_range_fn fn, void *ctx,
                         bool *short_read)
{
    const dw_sect *s = &d->sec[DS_RNGLISTS];
    dw_cur c = dw_cur_make(s->data, (size_t)lim, (size_t)off);
    uint64_t base = u->base_pc;
    *short_read = false;
    for (int i = 0; i < MAX_RANGE_ENTRIES && !c.bad; i++) {
        uint64_t lo = 0, hi = 0, a, b;
        switch (dw_u8(&c)) {
        case 0: /* DW_RLE_end_of_list */
            return true;
        case 1: /* DW_RLE_base_addressx */
            if (!dw_addr_index(d, u, dw_uleb(&c), &base))
                goto out;
            continue;
        case 2: /* DW_RLE_startx_endx */
            a = dw_uleb(&c);
            b = dw_uleb(&c);
            if (!dw_addr_index(d, u, a, &lo) || !dw_addr_index(d, u, b, &hi))
                continue;
            break;
        case 3: /* DW_RLE_startx_length */
            a = dw_uleb(&c);
            b = dw_uleb(&c);
            if (!dw_addr_index(d, u, a, &lo))
                continue;
            hi = lo + b;
            break;
        case 4: /* DW_RLE_offset_pair */
            lo = base + dw_uleb(&c);
            hi = base + dw_uleb(&c);
            break;
        case 5: /* DW_RLE_base_address */
            base = dw_uint(&c, u->addr_size);
            continue;
        case 6: /* DW_RLE_start_end */
            lo = dw_uint(&c, u->addr_size);
            hi = dw_uint(&c, u->addr_size);
            break;
        case 7: /* DW_RLE_start_length */
            lo = dw_uint(&c, u->addr_size);
            hi = lo + dw_uleb(&c);
            break;
        default:
            goto out;
        }
        if (!c.bad && lo < hi && fn && !fn(ctx, lo, hi))
            return false;
    }
out:
    *short_read = c.bad;
    return true;
}

static bool ranges_v4_walk(dwarf *d, const dw_unit *u, uint64_t off, uint64_t lim, dw_range_fn fn, void *ctx,
                           bool *short_read)
{
    const dw_sect *s = &d->sec[DS_RANGES];
    dw_cur c = dw_cur_make(s->data, (size_t)lim, (size_t)off);
    uint64_t base = u->base_pc;
    uint64_t max = u->addr_size == 4 ? UINT32_MAX : UINT64_MAX;
    *short_read = false;
    for (int i = 0; i < MAX_RANGE_ENTRIES; i++) {
        uint64_t a = dw_uint(&c, u->addr_size), b = dw_uint(&c, u->addr_size);
        if (c.bad || (a == 0 && b == 0)) {
            *short_read = c.bad;
            return true;
        }
        if (a == max) { /* base address selection entry */
            base = b;
            continue;
        }
        if (base + a < base + b && fn && !fn(ctx, base + a, base + b))
            return false;
    }
    return true;
}

typedef bool (*walk_fn)(dwarf *d, const dw_unit *u, uint64_t off, uint64_t lim, dw_range_fn fn, void *ctx,
                        bool *short_read);

/* A list's length is only known by walking it: of a section inflated in pieces, a page is
 * asked for and walked without calling anyone, and more when the list runs past it; then the
 * list is walked for real. */
#define LIST_CHUNK 4096

static bool walk_list(dwarf *d, const dw_unit *u, int sect, walk_fn walk, uint64_t off, dw_range_fn fn, void *ctx)
{
    const dw_sect *s = &d->sec[sect];
    if (off >= s->len)
        return true;
    bool short_read;
    for (uint64_t want = LIST_CHUNK; s->pieces; want *= 4) {
        uint64_t lim = want < s->len - off ? off + want : s->len;
        if (dw_need(d, sect, off, lim - off) < 0)
            return true;
        walk(d, u, off, lim, NULL, NULL, &short_read);
        if (!short_read || lim == s->len)
            break;
    }
    return walk(d, u, off, s->len, fn, ctx, &short_read);
}

bool dw_die_ranges(dwarf *d, const dw_unit *u, const dw_die *die, dw_range_fn fn, void *ctx)
{
    uint64_t lo, hi;
    /* A unit DIE may carry DW_AT_low_pc (the base for its range lists) with DW_AT_ranges
     * and no high_pc: then the ranges are what it covers. */
    if (DW_HAS(die, A_LOW) && DW_HAS(die, A_HIGH) && dw_addr(d, u, &die->a[A_LOW], &lo)) {
        /* DWARF 4+: a constant high_pc is a length; an address-class one is the end. */
        if (dw_addr(d, u, &die->a[A_HIGH], &hi))
            ;
        else if (dw_const(&die->a[A_HIGH], &hi))
            hi += lo;
        else
            return true;
        return lo < hi ? fn(ctx, lo, hi) : true;
    }
    if (!DW_HAS(die, A_RANGES))
        return true;
    const dw_val *r = &die->a[A_RANGES];
    uint64_t off = r->u;
    if (u->version < 5)
        return walk_list(d, u, DS_RANGES, ranges_v4_walk, off, fn, ctx);
    if (r->form == DW_FORM_rnglistx) {
        /* An index into the offsets table that starts at rnglists_base; offsets are relative
         * to that base (default: just after a 12-byte DWARF 5 list header). */
        uint64_t base = u->has_rnglists_base ? u->rnglists_base : 12;
        const dw_sect *s = &d->sec[DS_RNGLISTS];
        if (off > (UINT64_MAX - base) / u->off_size || dw_need(d, DS_RNGLISTS, base + off * u->off_size, u->off_size) < 0)
            return true;
        dw_cur c = dw_cur_make(s->data, s->len, 0);
        if (!dw_skip(&c, base + off * u->off_size))
            return true;
        uint64_t rel = dw_uint(&c, u->off_size);
        if (c.bad || rel > UINT64_MAX - base)
            return true;
        off = base + rel;
    } else if (r->form != DW_FORM_sec_offset && r->form != DW_FORM_data4 && r->form != DW_FORM_data8) {
        return true;
    }
    return walk_list(d, u, DS_RNGLISTS, rnglist_walk, off, fn, ctx);
}
