/* The reading of one HTTP/1.x answer from bytes as they arrive (nprof-static's own client,
 * curl_static.c): status line, fields, interim 1xx answers, Content-Length or chunked framing.
 * No sockets here: the caller feeds what it received, in pieces of any size. */
#ifndef NP_HTTPRESP_H
#define NP_HTTPRESP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* Where a feed leaves the answer. The failures are those curl tells apart. */
typedef enum np_httpresp_state {
    NP_HTTPRESP_MORE,     /* give it more bytes (or the end of the stream) */
    NP_HTTPRESP_DONE,     /* the answer is complete; bytes after it are not read */
    NP_HTTPRESP_NOTHING,  /* the stream ended before any byte */
    NP_HTTPRESP_PARTIAL,  /* the stream ended inside the answer */
    NP_HTTPRESP_NOT_HTTP, /* no HTTP status line, or a line over NP_HTTPRESP_LINE_MAX */
    NP_HTTPRESP_BAD_CHUNK,/* a chunk size that is not hexadecimal */
    NP_HTTPRESP_STOPPED,  /* a sink asked to stop */
} np_httpresp_state;

#define NP_HTTPRESP_LINE_MAX (1 << 20) /* no status or field line is a megabyte long */

/* What the answer is handed to. Each returns false to stop the reading. head gets every line
 * of every head (interim ones too) with its line end, the empty line that ends a head
 * included; body gets the body's bytes, chunk framing removed. Either may be NULL. */
typedef struct np_httpresp_sink {
    bool (*head)(void *ud, const char *line, size_t n);
    bool (*body)(void *ud, const char *p, size_t n);
    void *ud;
} np_httpresp_sink;

/* One answer being read. The first four fields describe the last head read (the final one once
 * the state is NP_HTTPRESP_DONE); the rest is the reader's own. */
typedef struct np_httpresp {
    int status;        /* 100..999 */
    long long length;  /* Content-Length, or -1 */
    bool chunked;      /* Transfer-Encoding ends in "chunked" */
    char *location;    /* the first Location field's value, or NULL; freed by np_httpresp_free */

    np_httpresp_sink sink;
    int step;                /* where in the answer the next byte belongs */
    np_httpresp_state state; /* MORE until the answer ends or fails */
    unsigned long long left; /* body bytes still due in this chunk or body */
    np_buf line;             /* a line begun in an earlier feed */
    bool any;                /* some byte has been fed */
} np_httpresp;

void np_httpresp_init(np_httpresp *r, const np_httpresp_sink *sink);

/* Reads the n bytes at p; n == 0 says the stream has ended (which completes a body that runs
 * to the end of the stream). Returns the new state; once it is not MORE, further feeds return
 * it again and read nothing. */
np_httpresp_state np_httpresp_feed(np_httpresp *r, const char *p, size_t n);

void np_httpresp_free(np_httpresp *r);

#endif
