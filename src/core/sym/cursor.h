/* A bounds-checked reader of little-endian binary data (fixed-size integers, LEB128, C strings),
 * as DWARF and .eh_frame encode them; shared by the DWARF reader and the collector's CFI
 * unwinder. A failed read yields 0 and marks the cursor bad; later reads then fail too. */
#ifndef NP_CURSOR_H
#define NP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dw_cur {
    const uint8_t *p, *end;
    bool bad;
} dw_cur;

static inline dw_cur dw_cur_make(const uint8_t *base, size_t len, size_t off)
{
    static const uint8_t empty[1];
    if (!base) { /* absent section: an empty range, never arithmetic on a null pointer */
        base = empty;
        len = 0;
    }
    dw_cur c = {base + (off <= len ? off : len), base + len, off > len};
    return c;
}

static inline size_t dw_left(const dw_cur *c) { return (size_t)(c->end - c->p); }

static inline bool dw_skip(dw_cur *c, uint64_t n)
{
    if (c->bad || n > dw_left(c)) {
        c->bad = true;
        c->p = c->end;
        return false;
    }
    c->p += n;
    return true;
}

static inline uint64_t dw_uint(dw_cur *c, unsigned n) /* n-byte little-endian; n > 8 is bad */
{
    if (c->bad || n > 8 || n > dw_left(c)) {
        c->bad = true;
        c->p = c->end;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static inline uint8_t dw_u8(dw_cur *c) { return (uint8_t)dw_uint(c, 1); }
static inline uint16_t dw_u16(dw_cur *c) { return (uint16_t)dw_uint(c, 2); }
static inline uint32_t dw_u32(dw_cur *c) { return (uint32_t)dw_uint(c, 4); }
static inline uint64_t dw_u64(dw_cur *c) { return dw_uint(c, 8); }

/* LEB128, unsigned or sign-extended from its last byte's bit 6. */
static inline uint64_t dw_leb(dw_cur *c, bool is_signed)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (!c->bad) {
        if (c->p >= c->end) {
            c->bad = true;
            return 0;
        }
        uint8_t b = *c->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (is_signed && shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            return v;
        }
    }
    return 0;
}

static inline uint64_t dw_uleb(dw_cur *c) { return dw_leb(c, false); }
static inline int64_t dw_sleb(dw_cur *c) { return (int64_t)dw_leb(c, true); }

/* A NUL-terminated string inside the cursor's range, or NULL (and bad) if unterminated. */
static inline const char *dw_cstr(dw_cur *c)
{
    if (c->bad)
        return NULL;
    const uint8_t *nul = memchr(c->p, 0, dw_left(c));
    if (!nul) {
        c->bad = true;
        c->p = c->end;
        return NULL;
    }
    const char *s = (const char *)c->p;
    c->p = nul + 1;
    return s;
}

#endif
