/* Small shared helpers for the core: error reporting, arena allocation and growable buffers.
 * Everything here is allocation-explicit so callers can reason about ownership. */
#ifndef NP_UTIL_H
#define NP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* One clear line describing what went wrong; filled by library code, printed by the CLI. */
typedef struct np_err {
    char msg[512];
} np_err;

/* Sets err->msg (printf-style) and returns -1 so callers can `return np_fail(...)`. */
int np_fail(np_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bump allocator: many small objects freed together (a profile's strings, lines, labels). */
typedef struct np_arena_block np_arena_block;
typedef struct np_arena {
    np_arena_block *head;
    size_t used, cap;
} np_arena;

void *np_arena_alloc(np_arena *a, size_t n);          /* zeroed, 8-byte aligned; aborts on OOM */
char *np_arena_strndup(np_arena *a, const char *s, size_t n);
char *np_arena_strdup(np_arena *a, const char *s);
void np_arena_free(np_arena *a);

/* Checked heap helpers: abort with a message on OOM (the analyzer cannot continue anyway). */
void *np_xmalloc(size_t n);
void *np_xcalloc(size_t n, size_t size);
void *np_xrealloc(void *p, size_t n);
char *np_xstrdup(const char *s);

/* Grows *arr (element size `size`) so that it holds at least `need` elements. */
void np_grow(void *arrp, size_t *cap, size_t need, size_t size);
#define NP_PUSH(arr, n, cap) (np_grow(&(arr), &(cap), (n) + 1, sizeof *(arr)), &(arr)[(n)++])

/* Growable byte buffer. */
typedef struct np_buf {
    char *data;
    size_t len, cap;
} np_buf;

void np_buf_reserve(np_buf *b, size_t extra);
void np_buf_add(np_buf *b, const void *p, size_t n);
void np_buf_puts(np_buf *b, const char *s);
void np_buf_putc(np_buf *b, char c);
void np_buf_printf(np_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void np_buf_vprintf(np_buf *b, const char *fmt, va_list ap);
void np_buf_free(np_buf *b);
/* NUL-terminates without counting the terminator in len. */
const char *np_buf_cstr(np_buf *b);

/* qsort's comparator for an array of C strings, by strcmp. */
int np_cmp_strptr(const void *a, const void *b);

/* Reads a whole file; returns 0 or -1 with err naming the path. */
int np_read_file(const char *path, np_buf *out, np_err *err);

#endif
