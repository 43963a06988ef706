/* The reading of one HTTP/1.x answer from bytes fed in pieces: a small state machine over
 * lines (status, fields, chunk sizes, trailers) and counted or open-ended runs of body bytes. */
#include "analyze/httpresp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where the next byte belongs. */
enum { S_STATUS, S_FIELD, S_LENGTH, S_TO_END, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_END, S_TRAILER };

void np_httpresp_init(np_httpresp *r, const np_httpresp_sink *sink)
{
    memset(r, 0, sizeof *r);
    if (sink)
        r->sink = *sink;
    r->length = -1;
    r->step = S_STATUS;
    r->state = NP_HTTPRESP_MORE;
}

void np_httpresp_free(np_httpresp *r)
{
    free(r->location);
    r->location = NULL;
    np_buf_free(&r->line);
}

static np_httpresp_state end_with(np_httpresp *r, np_httpresp_state s)
{
    r->state = s;
    return s;
}

static bool blank(const char *l, size_t n)
{
    return n == 1 || (n == 2 && l[0] == '\r');
}

/* "HTTP/1.x NNN ..." with a status of three digits, 100 or more. */
static bool status_line(np_httpresp *r, const char *l, size_t n)
{
    if (n < 13 || memcmp(l, "HTTP/1.", 7) != 0 || l[8] != ' ')
        return false;
    int s = 0;
    for (int i = 9; i < 12; i++) {
        if (l[i] < '0' || l[i] > '9')
            return false;
        s = s * 10 + (l[i] - '0');
    }
    if (s < 100)
        return false;
    r->status = s;
    r->length = -1;
    r->chunked = false;
    free(r->location);
    r->location = NULL;
    return true;
}

static void note_field(np_httpresp *r, const char *l, size_t n)
{
    while (n && (l[n - 1] == '\r' || l[n - 1] == '\n'))
        n--;
    const char *colon = memchr(l, ':', n);
    if (!colon)
        return;
    size_t kn = (size_t)(colon - l);
    const char *v = colon + 1;
    while (v < l + n && (*v == ' ' || *v == '\t'))
        v++;
    size_t vn = (size_t)(l + n - v);
    if (kn == 14 && strncasecmp(l, "content-length", kn) == 0) {
        r->length = 0;
        for (size_t i = 0; i < vn && i < 18 && v[i] >= '0' && v[i] <= '9'; i++)
            r->length = r->length * 10 + (v[i] - '0');
    } else if (kn == 17 && strncasecmp(l, "transfer-encoding", kn) == 0) {
        r->chunked = vn >= 7 && strncasecmp(v + vn - 7, "chunked", 7) == 0;
    } else if (kn == 8 && strncasecmp(l, "location", kn) == 0 && !r->location) {
        r->location = np_xmalloc(vn + 1);
        memcpy(r->location, v, vn);
        r->location[vn] = 0;
    }
}

/* After the empty line of a head: another head after an interim 1xx (as curl skips them; 101
 * switches protocols and is final), else the body as the fields frame it. */
static void head_done(np_httpresp *r)
{
    if (r->status < 200 && r->status != 101)
        r->step = S_STATUS;
    else if (r->status < 200 || r->status == 204 || r->status == 304)
        end_with(r, NP_HTTPRESP_DONE);
    else if (r->chunked)
        r->step = S_CHUNK_SIZE;
    else if (r->length < 0)
        r->step = S_TO_END;
    else if ((r->left = (unsigned long long)r->length) > 0)
        r->step = S_LENGTH;
    else
        end_with(r, NP_HTTPRESP_DONE);
}

static void chunk_size(np_httpresp *r, const char *l, size_t n)
{
    unsigned long long size = 0;
    size_t i = 0;
    for (; i < n && i < 16; i++) {
        char c = (char)(l[i] | 0x20);
        if (l[i] >= '0' && l[i] <= '9')
            size = size * 16 + (unsigned)(l[i] - '0');
        else if (c >= 'a' && c <= 'f')
            size = size * 16 + (unsigned)(c - 'a' + 10);
        else
            break;
    }
    if (i == 0)
        end_with(r, NP_HTTPRESP_BAD_CHUNK);
    else if (size == 0)
        r->step = S_TRAILER;
    else {
        r->left = size;
        r->step = S_CHUNK_DATA;
    }
}

/* One whole line, its "\n" included, read where the answer is. */
static void take_line(np_httpresp *r, const char *l, size_t n)
{
    bool in_head = r->step == S_STATUS || r->step == S_FIELD;
    if (r->step == S_STATUS && !status_line(r, l, n)) {
        end_with(r, NP_HTTPRESP_NOT_HTTP);
        return;
    }
    if (in_head && r->sink.head && !r->sink.head(r->sink.ud, l, n)) {
        end_with(r, NP_HTTPRESP_STOPPED);
        return;
    }
    switch (r->step) {
    case S_STATUS: r->step = S_FIELD; break;
    case S_FIELD:
        if (blank(l, n))
            head_done(r);
        else
            note_field(r, l, n);
        break;
    case S_CHUNK_SIZE: chunk_size(r, l, n); break;
    case S_CHUNK_END: r->step = S_CHUNK_SIZE; break; /* the line end after a chunk's data */
    case S_TRAILER:
        if (blank(l, n))
            end_with(r, NP_HTTPRESP_DONE);
        break;
    default: break;
    }
}

/* Reads one line from p, or keeps its start for the next feed; returns the bytes used. */
static size_t feed_line(np_httpresp *r, const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    size_t used = nl ? (size_t)(nl - p) + 1 : n;
    if (r->line.len + used > NP_HTTPRESP_LINE_MAX) {
        end_with(r, NP_HTTPRESP_NOT_HTTP);
        return used;
    }
    if (!nl) {
        np_buf_add(&r->line, p, used);
    } else if (r->line.len) {
        np_buf_add(&r->line, p, used);
        take_line(r, r->line.data, r->line.len);
        r->line.len = 0;
    } else {
        take_line(r, p, used); /* the common case: the whole line is in this piece */
    }
    return used;
}

/* Hands body bytes to the sink: up to what the chunk or body still owes, or all at S_TO_END. */
static size_t feed_body(np_httpresp *r, const char *p, size_t n)
{
    size_t k = n;
    if (r->step != S_TO_END && k > r->left)
        k = (size_t)r->left;
    if (r->sink.body && !r->sink.body(r->sink.ud, p, k)) {
        end_with(r, NP_HTTPRESP_STOPPED);
        return k;
    }
    if (r->step == S_TO_END)
        return k;
    if ((r->left -= k) == 0) {
        if (r->step == S_CHUNK_DATA)
            r->step = S_CHUNK_END;
        else
            end_with(r, NP_HTTPRESP_DONE);
    }
    return k;
}

static np_httpresp_state stream_ended(np_httpresp *r)
{
    if (!r->any)
        return end_with(r, NP_HTTPRESP_NOTHING);
    if (r->step == S_TO_END)
        return end_with(r, NP_HTTPRESP_DONE);
    return end_with(r, NP_HTTPRESP_PARTIAL);
}

np_httpresp_state np_httpresp_feed(np_httpresp *r, const char *p, size_t n)
{
    if (r->state != NP_HTTPRESP_MORE)
        return r->state;
    if (n == 0)
        return stream_ended(r);
    r->any = true;
    while (n && r->state == NP_HTTPRESP_MORE) {
        bool body = r->step == S_LENGTH || r->step == S_TO_END || r->step == S_CHUNK_DATA;
        size_t used = body ? feed_body(r, p, n) : feed_line(r, p, n);
        p += used;
        n -= used;
    }
    return r->state;
}
