/* Protocol buffers wire codec used by the profile decoder and encoder. */
#include "core/pb.h"

#include <string.h>

void np_pb_reader_init(np_pb_reader *r, const void *base, const void *p, size_t len)
{
    r->base = base;
    r->p = p;
    r->end = (const uint8_t *)p + len;
}

static size_t offset_of(const np_pb_reader *r, const uint8_t *p)
{
    return (size_t)(p - r->base);
}

static int varint_slow(np_pb_reader *r, uint64_t *v, np_err *err)
{
    uint64_t x = 0;
    const uint8_t *start = r->p;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return np_fail(err, "bad varint at offset %zu: truncated", offset_of(r, start));
        uint8_t c = *r->p++;
        if (shift == 63 && c > 1)
            return np_fail(err, "bad varint at offset %zu: too large", offset_of(r, start));
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return np_fail(err, "bad varint at offset %zu: too long", offset_of(r, start));
}

/* Most varints of a profile (field keys, indices, small numbers) are one byte: that case is
 * inlined into its callers here, the general one stays out of line. */
static inline int varint(np_pb_reader *r, uint64_t *v, np_err *err)
{
    if (r->p < r->end && *r->p < 0x80) {
        *v = *r->p++;
        return 0;
    }
    return varint_slow(r, v, err);
}

int np_pb_varint(np_pb_reader *r, uint64_t *v, np_err *err)
{
    return varint(r, v, err);
}

int np_pb_next(np_pb_reader *r, np_pb_field *f, np_err *err)
{
    if (r->p >= r->end)
        return 0;
    const uint8_t *start = r->p;
    uint64_t key;
    if (varint(r, &key, err) < 0)
        return -1;
    f->num = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    if (f->num == 0 || key >> 32)
        return np_fail(err, "bad field number at offset %zu", offset_of(r, start));
    switch (f->wire) {
    case NP_PB_VARINT:
        return varint(r, &f->u, err) < 0 ? -1 : 1;
    case NP_PB_I64:
        if (r->end - r->p < 8)
            return np_fail(err, "truncated fixed64 at offset %zu", offset_of(r, start));
        memcpy(&f->u, r->p, 8);
        r->p += 8;
        return 1;
    case NP_PB_I32: {
        uint32_t v;
        if (r->end - r->p < 4)
            return np_fail(err, "truncated fixed32 at offset %zu", offset_of(r, start));
        memcpy(&v, r->p, 4);
        f->u = v;
        r->p += 4;
        return 1;
    }
    case NP_PB_LEN: {
        uint64_t n;
        if (varint(r, &n, err) < 0)
            return -1;
        if (n > (uint64_t)(r->end - r->p))
            return np_fail(err, "length %llu at offset %zu exceeds the %zu bytes left",
                           (unsigned long long)n, offset_of(r, start), (size_t)(r->end - r->p));
        f->data = r->p;
        f->len = (size_t)n;
        r->p += n;
        return 1;
    }
    default:
        return np_fail(err, "unsupported wire type %d at offset %zu", f->wire, offset_of(r, start));
    }
}

int np_pb_each_varint(const np_pb_reader *parent, const np_pb_field *f,
                      int (*fn)(void *ctx, uint64_t v), void *ctx, np_err *err)
{
    if (f->wire == NP_PB_VARINT)
        return fn(ctx, f->u);
    if (f->wire != NP_PB_LEN)
        return np_fail(err, "field %u: unexpected wire type %d at offset %zu", f->num, f->wire,
                       offset_of(parent, parent->p));
    np_pb_reader r;
    np_pb_reader_init(&r, parent->base, f->data, f->len);
    while (r.p < r.end) {
        uint64_t v;
        if (varint(&r, &v, err) < 0 || fn(ctx, v) < 0)
            return -1;
    }
    return 0;
}

size_t np_pb_count_varints(const uint8_t *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += !(p[i] & 0x80);
    return n;
}

size_t np_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void np_pb_put_varint(np_buf *b, uint64_t v)
{
    np_buf_reserve(b, 10);
    uint8_t *p = (uint8_t *)b->data + b->len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    b->len = (size_t)((char *)p - b->data);
}

void np_pb_put_tag(np_buf *b, uint32_t num, int wire)
{
    np_pb_put_varint(b, (uint64_t)num << 3 | (uint64_t)wire);
}

void np_pb_put_uint(np_buf *b, uint32_t num, uint64_t v)
{
    if (!v)
        return;
    np_pb_put_tag(b, num, NP_PB_VARINT);
    np_pb_put_varint(b, v);
}

void np_pb_put_bool(np_buf *b, uint32_t num, bool v)
{
    np_pb_put_uint(b, num, v ? 1 : 0);
}

void np_pb_put_bytes(np_buf *b, uint32_t num, const void *p, size_t n)
{
    np_pb_put_tag(b, num, NP_PB_LEN);
    np_pb_put_varint(b, n);
    np_buf_add(b, p, n);
}

void np_pb_put_packed(np_buf *b, uint32_t num, const uint64_t *v, size_t n)
{
    if (n == 0)
        return;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += np_pb_varint_size(v[i]);
    np_pb_put_tag(b, num, NP_PB_LEN);
    np_pb_put_varint(b, bytes);
    for (size_t i = 0; i < n; i++)
        np_pb_put_varint(b, v[i]);
}

/* Submessages get a one-byte length slot; end() widens it when the body is longer. */
size_t np_pb_begin(np_buf *b, uint32_t num)
{
    np_pb_put_tag(b, num, NP_PB_LEN);
    np_buf_putc(b, 0);
    return b->len;
}

void np_pb_end(np_buf *b, size_t mark)
{
    size_t body = b->len - mark;
    size_t need = np_pb_varint_size(body);
    if (need > 1) {
        np_buf_reserve(b, need - 1);
        memmove(b->data + mark + need - 1, b->data + mark, body);
        b->len += need - 1;
    }
    uint8_t *p = (uint8_t *)b->data + mark - 1;
    uint64_t v = body;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p = (uint8_t)v;
}
