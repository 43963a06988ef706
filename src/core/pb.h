/* Protocol buffers wire format: a bounds-checked reader and an appending writer.
 * Only what profile.proto needs (varint, 64-bit, length-delimited, packed). */
#ifndef NP_PB_H
#define NP_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

enum { NP_PB_VARINT = 0, NP_PB_I64 = 1, NP_PB_LEN = 2, NP_PB_I32 = 5 };

typedef struct np_pb_reader {
    const uint8_t *base; /* start of the whole message, for offsets in errors */
    const uint8_t *p, *end;
} np_pb_reader;

/* One decoded field. For NP_PB_LEN, data/len point into the input. */
typedef struct np_pb_field {
    uint32_t num;
    int wire;
    uint64_t u;
    const uint8_t *data;
    size_t len;
} np_pb_field;

void np_pb_reader_init(np_pb_reader *r, const void *base, const void *p, size_t len);
/* Returns 1 with a field, 0 at end, -1 on malformed input (err says what and where). */
int np_pb_next(np_pb_reader *r, np_pb_field *f, np_err *err);
/* np_pb_next inlined for the common shapes (a one-byte key and a value or length of at most
 * two bytes); anything else, errors included, goes to np_pb_next. For decoding loops. */
static inline int np_pb_next_fast(np_pb_reader *r, np_pb_field *f, np_err *err)
{
    const uint8_t *p = r->p, *end = r->end;
    if (end - p >= 3 && p[0] >= 8 && p[0] < 0x80) {
        unsigned key = p[0];
        uint64_t v = p[1];
        const uint8_t *q = p + 2;
        if (v >= 0x80) {
            if (*q >= 0x80)
                return np_pb_next(r, f, err);
            v = (v & 0x7f) | (uint64_t)*q++ << 7;
        }
        if ((key & 7) == NP_PB_VARINT) {
            f->num = key >> 3;
            f->wire = NP_PB_VARINT;
            f->u = v;
            r->p = q;
            return 1;
        }
        if ((key & 7) == NP_PB_LEN && v <= (uint64_t)(end - q)) {
            f->num = key >> 3;
            f->wire = NP_PB_LEN;
            f->data = q;
            f->len = (size_t)v;
            r->p = q + v;
            return 1;
        }
    }
    return np_pb_next(r, f, err);
}

/* Reads one varint from a packed run. Returns 0 or -1. */
int np_pb_varint(np_pb_reader *r, uint64_t *v, np_err *err);
/* Calls fn for each integer of a field that is either a single varint or a packed run. */
int np_pb_each_varint(const np_pb_reader *parent, const np_pb_field *f,
                      int (*fn)(void *ctx, uint64_t v), void *ctx, np_err *err);
/* Counts the varints in a packed run (for sizing arrays up front). */
size_t np_pb_count_varints(const uint8_t *p, size_t len);

void np_pb_put_varint(np_buf *b, uint64_t v);
void np_pb_put_tag(np_buf *b, uint32_t num, int wire);
void np_pb_put_uint(np_buf *b, uint32_t num, uint64_t v);      /* omitted when 0 */
void np_pb_put_bool(np_buf *b, uint32_t num, bool v);          /* omitted when false */
void np_pb_put_bytes(np_buf *b, uint32_t num, const void *p, size_t n);
void np_pb_put_packed(np_buf *b, uint32_t num, const uint64_t *v, size_t n);
/* Length-delimited submessage: begin returns a mark, end patches the length in. */
size_t np_pb_begin(np_buf *b, uint32_t num);
void np_pb_end(np_buf *b, size_t mark);
size_t np_pb_varint_size(uint64_t v);

#endif
