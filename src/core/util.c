/* Error, arena and buffer helpers shared by every part of nprof. */
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int np_fail(np_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void oom(size_t n)
{
    fprintf(stderr, "nprof: out of memory allocating %zu bytes\n", n);
    abort();
}

void *np_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *np_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *np_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *np_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(np_xmalloc(n), s, n);
}

void np_grow(void *arrp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / size)
        oom(SIZE_MAX);
    void **arr = arrp;
    *arr = np_xrealloc(*arr, ncap * size);
    memset((char *)*arr + *cap * size, 0, (ncap - *cap) * size);
    *cap = ncap;
}

struct np_arena_block {
    np_arena_block *next;
    max_align_t data[];
};

void *np_arena_alloc(np_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->used + n > a->cap) {
        size_t cap = 64 * 1024;
        if (a->cap > cap)
            cap = a->cap < (8u << 20) ? a->cap * 2 : a->cap;
        if (n > cap)
            cap = n;
        np_arena_block *b = np_xmalloc(sizeof *b + cap);
        b->next = a->head;
        a->head = b;
        a->used = 0;
        a->cap = cap;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *np_arena_strndup(np_arena *a, const char *s, size_t n)
{
    char *p = np_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *np_arena_strdup(np_arena *a, const char *s)
{
    return np_arena_strndup(a, s, strlen(s));
}

void np_arena_free(np_arena *a)
{
    np_arena_block *b = a->head;
    while (b) {
        np_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used = a->cap = 0;
}

void np_buf_reserve(np_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    if (need < extra)
        oom(SIZE_MAX);
    /* Unlike np_grow, the new room is not zeroed: bytes past len are never read, and zeroing
     * would touch (make resident) every page of a large buffer before it is written. */
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    b->data = np_xrealloc(b->data, ncap);
    b->cap = ncap;
}

void np_buf_add(np_buf *b, const void *p, size_t n)
{
    np_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void np_buf_puts(np_buf *b, const char *s)
{
    np_buf_add(b, s, strlen(s));
}

void np_buf_putc(np_buf *b, char c)
{
    np_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void np_buf_vprintf(np_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    np_buf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n >= 0 && (size_t)n >= b->cap - b->len) {
        np_buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    if (n > 0)
        b->len += (size_t)n;
}

void np_buf_printf(np_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    np_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void np_buf_free(np_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *np_buf_cstr(np_buf *b)
{
    np_buf_reserve(b, 0);
    b->data[b->len] = 0;
    return b->data;
}

int np_read_file(const char *path, np_buf *out, np_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return np_fail(err, "%s: %s", path, strerror(errno));
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        np_buf_add(out, tmp, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return np_fail(err, "%s: read error", path);
    np_buf_cstr(out);
    return 0;
}

int np_cmp_strptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
