/* The /debug/pprof HTTP endpoints, with Go's net/http/pprof paths, parameters, content types and
 * error answers. */
#ifndef NP_ENDPOINTS_H
#define NP_ENDPOINTS_H

#include "core/http.h"

void np_endpoints_handle(const np_http_request *req, np_http_response *resp, void *ctx);

#endif
