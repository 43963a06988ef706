/* The web UI (pprof's -http): nprof serves the loaded profile's views (graph, top, peek,
 * source, download) to a browser, each request with the filters of its own URL. */
#ifndef NP_WEBUI_H
#define NP_WEBUI_H

#include <stdbool.h>

#include "analyze/config.h"
#include "core/profile.h"

/* Serves p on hostport ("HOST:PORT"; an empty host is localhost, port 0 a free one) until
 * SIGINT or SIGTERM, after printing "Serving web UI on http://HOST:PORT" to stderr and, unless
 * no_browser, opening a browser on it. cfg (the command line's settings) is what every URL
 * starts from. The server takes p (it is merged in place once, then only read, and freed when
 * the server stops); on failure p is freed too. -1 with err when the server cannot start. */
int np_webui_serve(np_profile *p, const np_config *cfg, const char *hostport,
                   bool no_browser, np_err *err);

#endif
