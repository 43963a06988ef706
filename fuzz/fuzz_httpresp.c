/* libFuzzer target: the reader of HTTP answers (np_httpresp), which nprof-static feeds whatever
 * a server sends. The first input byte chooses the size of the pieces the rest is fed in: the
 * reading must not depend on it, what the head sink gets must be the start of the answer, and a
 * body framed by Content-Length must follow the head byte for byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "analyze/httpresp.h"

typedef struct got {
    np_buf head, body;
    np_httpresp_state state;
    int status;
    long long length;
    bool chunked;
    char *location;
} got;

static bool on_head(void *ud, const char *l, size_t n)
{
    got *g = ud;
    if (!n || l[n - 1] != '\n')
        np_fuzz_die("a head line without its line end", NULL);
    np_buf_add(&g->head, l, n);
    return true;
}

static bool on_body(void *ud, const char *p, size_t n)
{
    got *g = ud;
    if (!n)
        np_fuzz_die("an empty body piece", NULL);
    np_buf_add(&g->body, p, n);
    return true;
}

static void read_in(got *g, const char *text, size_t n, size_t piece)
{
    np_httpresp r;
    np_httpresp_init(&r, &(np_httpresp_sink){on_head, on_body, g});
    np_httpresp_state st = NP_HTTPRESP_MORE;
    for (size_t i = 0; i < n && st == NP_HTTPRESP_MORE; i += piece)
        st = np_httpresp_feed(&r, text + i, n - i < piece ? n - i : piece);
    g->state = np_httpresp_feed(&r, "", 0);
    if (st != NP_HTTPRESP_MORE && g->state != st)
        np_fuzz_die("the state changed after the answer ended", NULL);
    g->status = r.status;
    g->length = r.length;
    g->chunked = r.chunked;
    g->location = r.location;
    r.location = NULL;
    np_httpresp_free(&r);
}

static bool same_bytes(const np_buf *a, const np_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void compare(const got *a, const got *b)
{
    if (a->state != b->state || a->status != b->status || a->length != b->length)
        np_fuzz_die("the pieces' size changed the verdict", NULL);
    if (!same_bytes(&a->head, &b->head) || !same_bytes(&a->body, &b->body))
        np_fuzz_die("the pieces' size changed the bytes handed on", NULL);
    if ((a->location == NULL) != (b->location == NULL) ||
        (a->location && strcmp(a->location, b->location) != 0))
        np_fuzz_die("the pieces' size changed the Location", NULL);
}

static void check_framing(const got *g, const char *text, size_t n)
{
    if (g->head.len > n || (g->head.len && memcmp(g->head.data, text, g->head.len) != 0))
        np_fuzz_die("the head lines are not the start of the answer", NULL);
    if (g->head.len && (g->status < 100 || g->status > 999))
        np_fuzz_die("a status out of 100..999", NULL);
    if (g->chunked)
        return;
    if (g->head.len + g->body.len > n ||
        (g->body.len && memcmp(g->body.data, text + g->head.len, g->body.len) != 0))
        np_fuzz_die("the body is not what follows the head", NULL);
    bool bodied = g->status >= 200 && g->status != 204 && g->status != 304;
    if (g->state == NP_HTTPRESP_DONE && bodied && g->length >= 0 &&
        g->body.len != (size_t)g->length)
        np_fuzz_die("a complete body of another length than Content-Length", NULL);
}

static void forget(got *g)
{
    np_buf_free(&g->head);
    np_buf_free(&g->body);
    free(g->location);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    got whole = {0}, cut = {0};
    read_in(&whole, text, n, n + 1);
    read_in(&cut, text, n, piece);
    compare(&whole, &cut);
    check_framing(&whole, text, n);
    forget(&whole);
    forget(&cut);
    return 0;
}
