/* Private to the web UI's files (webui*.c): one server's state, one request's settings, the
 * table of views and the page around each view. */
#ifndef NP_WEBUI_INT_H
#define NP_WEBUI_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "analyze/config.h"
#include "analyze/driver.h"
#include "core/http.h"
#include "core/profile.h"

typedef struct np_webui {
    /* The loaded profile, merged once when the server starts (as each report's copy used to
     * be) and never changed after: each report works on a copy made by np_profile_clone,
     * which for a merged profile is the merge's result at a fraction of its cost. */
    const np_profile *p;
    const np_config *cfg;     /* the command line's settings, the base of every URL */
    pthread_mutex_t lock;     /* one report at a time: bounds memory to one profile copy */
    struct np_webui_cache *cache; /* view bodies already made, by view and settings */
    bool cache_on;            /* else the cache keeps nothing (NPROF_WEBUI_CACHE=0) */
} np_webui;

/* One request: its settings (cfg with the URL's parameters applied) and what the page
 * around the view needs to keep them. */
typedef struct np_webui_req {
    np_webui *ui;
    const np_http_request *http;
    np_config cfg;
    np_buf query;             /* the URL's known parameters, re-encoded, for links and forms */
    const char *arg;          /* the "f" parameter (peek's and source's function regexp) */
    np_buf argbuf;
    np_http_response *resp;   /* where the page goes */
    const struct np_webui_view *view;
    bool streamed;            /* the page up to the view's body has been sent */
    bool stream_when_settled; /* send it as soon as the view's report has checked its settings */
    bool failed;              /* the body holds an error (possibly in a 200 page): not kept */
} np_webui_req;

/* A view: its name in the navigation bar, its path under /ui, and the renderer that appends
 * the body of its page to out (an error message when it fails) and returns the HTTP status.
 * The page around the body is the same for every view. */
typedef struct np_webui_view {
    const char *name;
    const char *path;
    int (*render)(np_webui_req *q, np_buf *out);
} np_webui_view;

extern const np_webui_view np_webui_views[];
extern const size_t np_webui_n_views;
/* The view "/" shows: the first of the table that can be drawn here. */
const np_webui_view *np_webui_default_view(void);

/* URL parameters (pprof's names: si f i h s ...) applied to a copy of ui->cfg. -1 with err
 * for a bad value (the page then answers 400). Free with np_webui_req_free. */
int np_webui_req_init(np_webui_req *q, np_webui *ui, const np_http_request *http, np_err *err);
void np_webui_req_free(np_webui_req *q);
/* Hidden form fields for the request's parameters that the form does not show. */
void np_webui_hidden_fields(const np_webui_req *q, np_buf *out);
/* The value of a known parameter in the request, or "". */
const char *np_webui_param(const np_webui_req *q, const char *name, np_buf *tmp);

/* Runs a report command (as the command line's -NAME) on a copy of the profile with the
 * request's settings; its output into out. */
int np_webui_report(np_webui_req *q, const char *cmd, const char *arg, np_buf *out, np_err *err);
/* The same for a command that only the web UI runs (not on the command line). */
int np_webui_report_cmd(np_webui_req *q, const np_command *c, const char *arg, np_buf *out, np_err *err);

/* Whether the Graph view is laid out by Graphviz (NPROF_GRAPH_LAYOUT=graphviz, as pprof's) rather
 * than by nprof's own layout (report/svgdraw.h, the default: no Graphviz needed, and quicker). */
bool np_webui_graphviz_layout(void);

/* HTML text of s (n bytes), with & < > " ' escaped. */
void np_webui_html(np_buf *out, const char *s, size_t n);
void np_webui_html_str(np_buf *out, const char *s);
/* The page around a view: head, navigation (views, sample index, filter fields, download),
 * then the view's body, then the end. */
void np_webui_page_begin(np_webui_req *q, const np_webui_view *v, np_buf *out);
void np_webui_page_end(np_buf *out);
/* Sends the page up to the view's body now, as a 200, so that the browser lays out the page
 * while the view finishes its slow part (Graphviz). A view calls it once nothing can fail
 * with another status; what it appends to its out buffer afterwards follows. */
void np_webui_stream_head(np_webui_req *q);
/* View bodies kept by view path and settings (webui_cache.c), bounded in entries and bytes. */
typedef struct np_webui_cache np_webui_cache;
np_webui_cache *np_webui_cache_new(size_t max_entries, size_t max_bytes);
void np_webui_cache_free(np_webui_cache *c);
/* True with the body appended to out when key is kept. Otherwise the caller is to make it and
 * then call np_webui_cache_put or np_webui_cache_abandon; until then, other requests for the
 * same key wait for it here rather than make it again. */
bool np_webui_cache_get_or_claim(np_webui_cache *c, const char *key, np_buf *out);
void np_webui_cache_put(np_webui_cache *c, const char *key, const void *body, size_t len);
void np_webui_cache_abandon(np_webui_cache *c, const char *key);
/* An error message as a view's body; returns status. */
int np_webui_error(np_buf *out, int status, const char *msg);

#endif
