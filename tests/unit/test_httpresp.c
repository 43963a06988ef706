/* np_httpresp: HTTP/1.x answers of each shape (Content-Length, chunked, to the end of the stream,
 * interim 1xx, redirects, broken ones) read the same whatever the pieces they arrive in. */
#include "analyze/httpresp.h"

#include "unit.h"

typedef struct seen {
    np_buf head, body;
    int heads;         /* lines handed to the head sink */
    int stop_at_head;  /* stop when this many lines were seen (0: never) */
    np_httpresp_state state;
    int status;
    long long length;
    char location[256];
} seen;

static bool on_head(void *ud, const char *l, size_t n)
{
    seen *s = ud;
    np_buf_add(&s->head, l, n);
    return ++s->heads != s->stop_at_head;
}

static bool on_body(void *ud, const char *p, size_t n)
{
    seen *s = ud;
    np_buf_add(&s->body, p, n);
    return true;
}

/* Feeds text in pieces of `piece` bytes, then the end of the stream when `ends`. */
static void read_in(seen *s, const char *text, size_t piece, bool ends)
{
    np_httpresp r;
    np_httpresp_init(&r, &(np_httpresp_sink){on_head, on_body, s});
    size_t n = strlen(text);
    np_httpresp_state st = NP_HTTPRESP_MORE;
    for (size_t i = 0; i < n && st == NP_HTTPRESP_MORE; i += piece)
        st = np_httpresp_feed(&r, text + i, n - i < piece ? n - i : piece);
    if (ends)
        st = np_httpresp_feed(&r, "", 0);
    s->state = st;
    s->status = r.status;
    s->length = r.length;
    snprintf(s->location, sizeof s->location, "%s", r.location ? r.location : "");
    np_httpresp_free(&r);
}

static void forget(seen *s)
{
    np_buf_free(&s->head);
    np_buf_free(&s->body);
}

/* The answer read whole, in 7-byte pieces and byte by byte must give the same: returns the
 * whole-piece reading, after checking the others against it. */
static seen read_all_ways(const char *text, bool ends)
{
    seen whole = {0};
    read_in(&whole, text, strlen(text) + 1, ends);
    size_t pieces[] = {1, 7};
    for (size_t i = 0; i < 2; i++) {
        seen s = {0};
        read_in(&s, text, pieces[i], ends);
        CHECK(s.state == whole.state);
        CHECK(s.status == whole.status);
        CHECK_STR_EQ(np_buf_cstr(&s.head), np_buf_cstr(&whole.head));
        CHECK_STR_EQ(np_buf_cstr(&s.body), np_buf_cstr(&whole.body));
        CHECK_STR_EQ(s.location, whole.location);
        forget(&s);
    }
    return whole;
}

TEST(content_length)
{
    const char *a = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length:  5\r\n\r\nhelloEXTRA";
    seen s = read_all_ways(a, false);
    CHECK(s.state == NP_HTTPRESP_DONE);
    CHECK(s.status == 200);
    CHECK(s.length == 5);
    CHECK_STR_EQ(np_buf_cstr(&s.head), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length:  5\r\n\r\n");
    CHECK_STR_EQ(np_buf_cstr(&s.body), "hello"); /* what follows the body is not read */
    forget(&s);
}

TEST(chunked_with_extensions_and_trailers)
{
    const char *a = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    "5;name=x\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
    seen s = read_all_ways(a, false);
    CHECK(s.state == NP_HTTPRESP_DONE);
    CHECK_STR_EQ(np_buf_cstr(&s.body), "hello, chunked!");
    forget(&s);
}

TEST(chunked_needs_its_last_chunk)
{
    seen s = read_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", true);
    CHECK(s.state == NP_HTTPRESP_PARTIAL);
    CHECK_STR_EQ(np_buf_cstr(&s.body), "abc");
    forget(&s);
}

TEST(bad_chunk_size)
{
    seen s = read_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", true);
    CHECK(s.state == NP_HTTPRESP_BAD_CHUNK);
    forget(&s);
}

TEST(body_to_the_end_of_the_stream)
{
    const char *a = "HTTP/1.0 200 OK\nServer: old\n\nall of it\n";
    seen s = read_all_ways(a, false);
    CHECK(s.state == NP_HTTPRESP_MORE); /* no length: only the end of the stream ends it */
    forget(&s);
    s = read_all_ways(a, true);
    CHECK(s.state == NP_HTTPRESP_DONE);
    CHECK(s.length == -1);
    CHECK_STR_EQ(np_buf_cstr(&s.body), "all of it\n");
    forget(&s);
}

TEST(interim_answers_are_passed_on_and_skipped)
{
    const char *a = "HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n"
                    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    seen s = read_all_ways(a, true);
    CHECK(s.state == NP_HTTPRESP_DONE);
    CHECK(s.status == 201);
    CHECK(s.heads == 8);
    CHECK(strncmp(np_buf_cstr(&s.head), "HTTP/1.1 100 Continue\r\n", 23) == 0);
    CHECK_STR_EQ(np_buf_cstr(&s.body), "ok");
    forget(&s);
}

TEST(no_body_for_204_304_and_101)
{
    const char *codes[] = {"204", "304", "101"};
    for (int i = 0; i < 3; i++) {
        char a[128];
        snprintf(a, sizeof a, "HTTP/1.1 %s X\r\nContent-Length: 10\r\n\r\nnot a body", codes[i]);
        seen s = read_all_ways(a, false);
        CHECK(s.state == NP_HTTPRESP_DONE);
        CHECK(s.body.len == 0);
        forget(&s);
    }
}

TEST(redirect_location)
{
    const char *a = "HTTP/1.1 302 Found\r\nLocation:  /next?x=1 \r\nlocation: /second\r\n"
                    "Content-Length: 0\r\n\r\n";
    seen s = read_all_ways(a, false);
    CHECK(s.state == NP_HTTPRESP_DONE);
    CHECK(s.status == 302);
    CHECK_STR_EQ(s.location, "/next?x=1 "); /* the first one, leading blanks dropped */
    forget(&s);
}

TEST(location_of_an_interim_head_is_forgotten)
{
    seen s = read_all_ways("HTTP/1.1 100 C\r\nLocation: /x\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", true);
    CHECK(s.state == NP_HTTPRESP_DONE);
    CHECK_STR_EQ(s.location, "");
    forget(&s);
}

TEST(streams_that_end_early)
{
    seen s = read_all_ways("", true);
    CHECK(s.state == NP_HTTPRESP_NOTHING);
    forget(&s);
    s = read_all_ways("HTTP/1.1 200 OK\r\nContent-Le", true);
    CHECK(s.state == NP_HTTPRESP_PARTIAL);
    forget(&s);
    s = read_all_ways("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true);
    CHECK(s.state == NP_HTTPRESP_PARTIAL);
    CHECK_STR_EQ(np_buf_cstr(&s.body), "short");
    forget(&s);
    s = read_all_ways("HTTP/1.1 100 Continue\r\n\r\n", true);
    CHECK(s.state == NP_HTTPRESP_PARTIAL);
    forget(&s);
}

TEST(not_http)
{
    const char *bad[] = {"HELLO THERE\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20\r\n\r\n",
                         "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1\t200 OK\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        seen s = read_all_ways(bad[i], true);
        CHECK(s.state == NP_HTTPRESP_NOT_HTTP);
        CHECK(s.heads == 0);
        forget(&s);
    }
}

TEST(a_line_over_the_limit)
{
    size_t n = NP_HTTPRESP_LINE_MAX + 100;
    char *a = malloc(n + 1);
    memcpy(a, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(a + 20, 'x', n - 20);
    a[n] = 0;
    seen s = {0};
    read_in(&s, a, 4096, true);
    CHECK(s.state == NP_HTTPRESP_NOT_HTTP);
    forget(&s);
    free(a);
}

TEST(a_sink_may_stop_the_reading)
{
    seen s = {.stop_at_head = 2};
    read_in(&s, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", 3, true);
    CHECK(s.state == NP_HTTPRESP_STOPPED);
    CHECK(s.heads == 2);
    forget(&s);
}

TEST(feeds_after_the_end_read_nothing)
{
    np_httpresp r;
    np_httpresp_init(&r, NULL);
    const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    CHECK(np_httpresp_feed(&r, a, strlen(a)) == NP_HTTPRESP_DONE);
    CHECK(np_httpresp_feed(&r, "garbage", 7) == NP_HTTPRESP_DONE);
    CHECK(np_httpresp_feed(&r, "", 0) == NP_HTTPRESP_DONE);
    np_httpresp_free(&r);
}
