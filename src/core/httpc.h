/* A minimal HTTP/1.1 client for one request to a loopback server of the project's own (a
 * collector asking the processes of its tree): GET, the whole answer read into memory, bounded
 * in time. Not for the open internet: no TLS, no redirects, no chunked bodies. */
#ifndef NP_HTTPC_H
#define NP_HTTPC_H

#include "core/util.h"

typedef struct np_httpc_reply {
    int status;
    char content_type[128], disposition[128]; /* "" when absent */
    np_buf body;
} np_httpc_reply;

/* GETs target ("/debug/pprof/heap?debug=1") from addr ("127.0.0.1:41234"), with the header
 * "Authorization: <auth>" when auth is set, waiting at most timeout_ms for the whole answer.
 * Returns 0 with *out filled (free out->body), or -1 with err (cannot connect, timeout, not
 * HTTP). */
int np_httpc_get(const char *addr, const char *target, const char *auth, int timeout_ms,
                 np_httpc_reply *out, np_err *err);

#endif
