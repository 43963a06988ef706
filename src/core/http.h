/* A small HTTP/1.1 server for the /debug/pprof endpoints and the web UI. It runs its own
 * threads (signals blocked), serves concurrent clients, bounds what each client may cost
 * (header size, body size, time to send a request, number of connections) and never lets a
 * slow or malformed client block the others or the host program: one thread reads every
 * request until it is whole, and only a whole request takes a thread to run its handler. */
#ifndef NP_HTTP_H
#define NP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef struct np_http_server np_http_server;

typedef struct np_http_header {
    const char *name, *value;
} np_http_header;

/* A parsed request. Every string is NUL-terminated and lives until the handler returns. */
typedef struct np_http_request {
    const char *method;      /* "GET", "POST", ... (any token; refusing methods is the handler's job) */
    const char *target;      /* as sent: path and query */
    const char *path;        /* decoded path without the query */
    const char *query;       /* raw query string ("" if none) */
    np_http_header *headers;
    size_t n_headers;
    const char *body;        /* request body (Content-Length framed), NUL-terminated, "" if none */
    size_t body_len;
    const char *peer;        /* "127.0.0.1:54321" or "[::1]:54321" */
} np_http_request;

/* A response being built by a handler. Status defaults to 200, Content-Type to
 * "text/plain; charset=utf-8". The server always adds Date, "Connection: close" (one request
 * per connection) and Content-Length, unless np_http_flush sent the head early. */
typedef struct np_http_response np_http_response;

void np_http_set_status(np_http_response *r, int status);
/* Ignored when the name is not a token, the value holds CR or LF, or the name is one the server
 * owns (Content-Length, Transfer-Encoding, Connection, Date). */
void np_http_add_header(np_http_response *r, const char *name, const char *value);
/* Appends to the body; the response is sent when the handler returns. */
void np_http_write(np_http_response *r, const void *data, size_t len);
void np_http_printf(np_http_response *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends the status, the headers and the body so far now, so that a client can start on them
 * while the handler works on the rest; the body is then delimited by the connection's close.
 * Status and headers set later are ignored. */
void np_http_flush(np_http_response *r);
/* True once the client has gone away (a long handler such as a 30 s CPU profile may stop).
 * Also true when the server is stopping, and when the client half-closed its side (as in Go).
 * Costs one poll() system call. */
bool np_http_client_gone(const np_http_response *r);

/* Value of query parameter `name` (URL-decoded, '+' as space, first well-formed occurrence)
 * into out, replacing its contents and NUL-terminating; false (out->len 0) if absent. A name
 * without '=' has the value "". */
bool np_http_query_param(const np_http_request *req, const char *name, np_buf *out);
/* Header value by case-insensitive name (first occurrence), or NULL. */
const char *np_http_header_value(const np_http_request *req, const char *name);

/* Runs on a server thread (all asynchronous signals blocked), possibly several at once. */
typedef void (*np_http_handler)(const np_http_request *req, np_http_response *resp, void *ctx);

/* Zero (or NULL) in any field means its default. */
typedef struct np_http_options {
    const char *addr;          /* "127.0.0.1:6060", ":0", "[::1]:6060", "localhost:0"; ":PORT" is
                                  127.0.0.1 (every interface with allow_remote); NULL is ":0" */
    bool allow_remote;         /* else only loopback addresses may be bound */
    const char *bearer_token;  /* if set (non-empty), every request needs
                                  "Authorization: Bearer <token>"; else 401 */
    int max_connections;       /* handlers running at once, a thread each (default 16, at most
                                  1024); a whole request that finds them all busy gets 503 with
                                  Retry-After: 1 at once, never queued */
    int request_timeout_ms;    /* from accept to the whole request read (default 10000); 408 */
    int write_timeout_ms;      /* to send a response, counted from the handler's return
                                  (default 60000); the connection is reset when it expires */
    int stop_timeout_ms;       /* how long np_http_stop waits for handlers (default 2000) */
    void (*thread_start)(void);/* called first in every server thread (the collector marks
                                  them as its own so their allocations are not sampled) */
    void (*tick)(void);        /* if set, called about once a second on the accepting thread
                                  (the collector's upkeep of its process tree) */
    size_t max_header_bytes;   /* request line + headers, default 16 KiB (256 B..1 MiB); 431 */
    size_t max_body_bytes;     /* default 1 MiB; larger gets 413 before the body is read */
    int max_pending;           /* connections whose request is still arriving, all read by one
                                  thread (default 256, at most 4096, and at most a quarter of the
                                  fd limit at start but never under 8); when full, the one that
                                  has sent nothing for the longest time is closed for a newcomer */
    size_t max_pending_bytes;  /* bytes their buffers may hold in all (default 8 MiB, at least
                                  max_header_bytes + max_body_bytes + 1); each buffer starts at
                                  256 bytes and doubles only as bytes arrive, and beyond this
                                  the idlest other connections are closed to make room */
} np_http_options;

/* Binds and starts serving on background threads. The bound address (with the real port
 * when :0 was asked) is written to bound (e.g. "127.0.0.1:41234"; bound may be NULL).
 * Fails with a one-line err (bad address, non-loopback without allow_remote, port in use). */
int np_http_start(const np_http_options *o, np_http_handler handler, void *ctx,
                  np_http_server **out, char *bound, size_t bound_cap, np_err *err);
/* Stops accepting, interrupts every wait and waits up to stop_timeout_ms for handlers to
 * finish (a handler sees np_http_client_gone() turn true). Returns 0 when everything is freed;
 * else the number of handlers still running: the server is then freed by the last of them, and
 * ctx must stay valid until they return. Call once; not from a handler. */
int np_http_stop(np_http_server *s);

/* For a pthread_atfork child handler: closes the inherited listening socket, connections and
 * pipes (close() only) and forgets the server, whose threads do not exist in the child. Its
 * memory is leaked on purpose: its mutex may have been copied locked. */
void np_http_forget_in_child(np_http_server *s);

#endif
