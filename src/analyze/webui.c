/* The web UI's server: binds pprof's -http address on core/http, answers loopback clients (and
 * others only on an address the user named), routes /ui/NAME and /NAME to the views, and runs
 * each view's reports one at a time on a copy of the profile loaded once. */
#include "analyze/webui.h"
#include "analyze/webui_int.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/browser.h"
#include "analyze/driver.h"
#include "analyze/report/graphviz.h"
#include "core/clone.h"
#include "core/gz.h"
#include "core/merge.h"

/* View bodies kept for requests with the same settings: a graph is 0.1-1 MB, a flame graph's
 * page at most a few MB (its tree is capped). */
#define CACHE_ENTRIES 64
#define CACHE_BYTES ((size_t)64 << 20)

typedef struct server_ctx {
    np_webui ui;
    bool allow_remote;   /* clients other than loopback are answered */
} server_ctx;

/* Whether the peer ("1.2.3.4:5" or "[::1]:5") is this machine's loopback. */
static bool loopback_peer(const char *peer)
{
    char host[64];
    const char *end = peer[0] == '[' ? strchr(peer, ']') : strrchr(peer, ':');
    const char *start = peer[0] == '[' ? peer + 1 : peer;
    if (!end || (size_t)(end - start) >= sizeof host)
        return false;
    memcpy(host, start, (size_t)(end - start));
    host[end - start] = 0;
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, host, a) != 1)
        return false;
    static const unsigned char one[16] = {[15] = 1}, mapped[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(a, one, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
}

bool np_webui_graphviz_layout(void)
{
    const char *v = getenv("NPROF_GRAPH_LAYOUT");
    return v && strcmp(v, "graphviz") == 0;
}

int np_webui_report(np_webui_req *q, const char *cmd, const char *arg, np_buf *out, np_err *err)
{
    const np_command *c = np_command_find(cmd);
    if (!c)
        return np_fail(err, "unknown report %s", cmd);
    return np_webui_report_cmd(q, c, arg, out, err);
}

/* The report's settings hold: the page can start (when the view asked for it). */
static void report_settled(void *ctx)
{
    np_webui_req *q = ctx;
    if (q->stream_when_settled)
        np_webui_stream_head(q);
}

int np_webui_report_cmd(np_webui_req *q, const np_command *c, const char *arg, np_buf *out, np_err *err)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    if (!f)
        return np_fail(err, "cannot make a report buffer");
    np_report_hook hook = {report_settled, q};
    pthread_mutex_lock(&q->ui->lock);
    int rc = np_generate_report_hooked(np_profile_clone(q->ui->p), c, arg, &q->cfg, f, &hook, err);
    pthread_mutex_unlock(&q->ui->lock);
    fclose(f);
    if (rc == 0)
        np_buf_add(out, data, len);
    free(data);
    return rc;
}

static void send_download(const np_webui *ui, np_http_response *resp)
{
    np_buf enc = {0}, gz = {0};
    np_err e;
    np_profile_encode(ui->p, &enc);
    if (np_gzip(enc.data, enc.len, &gz, &e) < 0) {
        np_http_set_status(resp, 500);
        np_http_printf(resp, "%s\n", e.msg);
    } else {
        np_http_add_header(resp, "Content-Type", "application/vnd.google.protobuf+gzip");
        np_http_add_header(resp, "Content-Disposition", "attachment;filename=profile.pb.gz");
        np_http_write(resp, gz.data, gz.len);
    }
    np_buf_free(&enc);
    np_buf_free(&gz);
}

static const np_webui_view *find_view(const char *path)
{
    if (strcmp(path, "/") == 0 || path[0] == 0)
        return np_webui_default_view();
    for (size_t i = 0; i < np_webui_n_views; i++)
        if (strcmp(path + 1, np_webui_views[i].path) == 0)
            return &np_webui_views[i];
    return NULL;
}

static void page_headers(np_http_response *resp, int status, bool kept)
{
    np_http_set_status(resp, status);
    /* Whether the body came from the cache of made pages (for anyone timing the server). */
    np_http_add_header(resp, "X-Nprof-Cache", kept ? "hit" : "miss");
    np_http_add_header(resp, "Content-Type", "text/html; charset=utf-8");
    np_http_add_header(resp, "X-Content-Type-Options", "nosniff");
}

void np_webui_stream_head(np_webui_req *q)
{
    if (q->streamed || !q->resp)
        return;
    np_buf page = {0};
    np_webui_page_begin(q, q->view, &page);
    page_headers(q->resp, 200, false);
    np_http_write(q->resp, page.data, page.len);
    np_http_flush(q->resp);
    np_buf_free(&page);
    q->streamed = true;
}

/* The view's body for the request's settings, from the cache or made (and then kept). */
static int view_body(np_webui *ui, np_webui_req *q, const np_webui_view *v, np_buf *body, bool *kept)
{
    np_buf key = {0};
    int status;
    /* The settings as the page re-encodes them name the body: equal settings, one key. */
    np_buf_printf(&key, "%s?%.*s", v->path, (int)q->query.len, q->query.data ? q->query.data : "");
    *kept = np_webui_cache_get_or_claim(ui->cache, np_buf_cstr(&key), body);
    if (*kept) {
        status = 200;
    } else {
        status = v->render(q, body);
        if (status == 200 && !q->failed)
            np_webui_cache_put(ui->cache, np_buf_cstr(&key), body->data, body->len);
        else
            np_webui_cache_abandon(ui->cache, np_buf_cstr(&key));
    }
    np_buf_free(&key);
    return status;
}

static void send_view(np_webui *ui, const np_webui_view *v, const np_http_request *req,
                      np_http_response *resp)
{
    np_webui_req q;
    np_err e;
    np_buf body = {0}, page = {0};
    int status;
    bool kept = false;
    if (np_webui_req_init(&q, ui, req, &e) < 0) {
        status = np_webui_error(&body, 400, e.msg);
    } else {
        q.resp = resp;
        q.view = v;
        status = view_body(ui, &q, v, &body, &kept);
    }
    if (!q.streamed) {
        np_webui_page_begin(&q, v, &page);
        page_headers(resp, status, kept);
    }
    np_buf_add(&page, body.data, body.len);
    np_webui_page_end(&page);
    np_http_write(resp, page.data, page.len);
    np_buf_free(&body);
    np_buf_free(&page);
    np_webui_req_free(&q);
}

/* Makes the first views a browser asks for, the default one and Graph, with the command
 * line's settings while the user's browser starts: the cache then has them. A request that
 * comes meanwhile waits for the body being made rather than making it again. */
static void *warm_views(void *arg)
{
    np_webui *ui = arg;
    const np_webui_view *first[] = {np_webui_default_view(), find_view("/graph")};
    for (size_t i = 0; i < sizeof first / sizeof *first; i++) {
        const np_webui_view *v = first[i];
        if (!v || (strcmp(v->path, "graph") == 0 && np_webui_graphviz_layout() && !np_graphviz_available()))
            continue;
        np_http_request req = {.method = "GET", .target = "", .path = "", .query = "", .body = "",
                               .peer = ""};
        np_webui_req q;
        np_err e;
        np_buf body = {0};
        bool kept;
        if (np_webui_req_init(&q, ui, &req, &e) == 0) {
            q.view = v;
            view_body(ui, &q, v, &body, &kept);
        }
        np_buf_free(&body);
        np_webui_req_free(&q);
    }
    return NULL;
}

static void handle(const np_http_request *req, np_http_response *resp, void *ctx)
{
    server_ctx *s = ctx;
    if (!s->allow_remote && !loopback_peer(req->peer)) {
        np_http_set_status(resp, 403);
        np_http_printf(resp, "permission denied\n");
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        np_http_set_status(resp, 405);
        np_http_add_header(resp, "Allow", "GET, HEAD");
        np_http_printf(resp, "method not allowed\n");
        return;
    }
    /* pprof serves its views under /ui/; the same names work at the root. */
    const char *path = req->path;
    if (strncmp(path, "/ui", 3) == 0 && (path[3] == 0 || path[3] == '/'))
        path += 3;
    if (strcmp(path, "/download") == 0)
        return send_download(&s->ui, resp);
    const np_webui_view *v = find_view(path);
    if (!v) {
        np_http_set_status(resp, 404);
        np_http_printf(resp, "404 page not found\n");
        return;
    }
    send_view(&s->ui, v, req, resp);
}

/* pprof's host rules: an empty host is localhost. Clients other than loopback are answered
 * only when the host is an address of one interface that the user named: a wildcard address
 * (0.0.0.0, ::) listens everywhere but still answers only this machine, as pprof does. */
static bool names_remote_host(const char *host)
{
    unsigned char a[16];
    static const unsigned char zero[16], one[16] = {[15] = 1};
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] != 127 && memcmp(a, zero, 4) != 0;
    if (inet_pton(AF_INET6, host, a) == 1)
        return memcmp(a, zero, 16) != 0 && memcmp(a, one, 16) != 0;
    return false;
}

/* Splits HOST:PORT ("[v6]:PORT" too); the host without brackets into host. */
static int split_hostport(const char *hp, char *host, size_t cap, const char **port, np_err *err)
{
    const char *colon = strrchr(hp, ':');
    if (!colon)
        return np_fail(err, "could not split http address: address %s: missing port in address", hp);
    const char *h = hp, *hend = colon;
    if (hp[0] == '[' && colon > hp && colon[-1] == ']') {
        h = hp + 1;
        hend = colon - 1;
    }
    if ((size_t)(hend - h) >= cap)
        return np_fail(err, "could not split http address: address %s: host too long", hp);
    memcpy(host, h, (size_t)(hend - h));
    host[hend - h] = 0;
    *port = colon + 1;
    return 0;
}

/* The server's state, which takes p: merged in place once, then only read. Freed only when
 * the server has stopped: a handler still running keeps using it. */
static server_ctx *server_new(np_profile *p, const char *host, np_err *err)
{
    np_profile *merged = NULL;
    if (np_profile_merge_take(p, &merged, err) < 0) {
        np_profile_free(p);
        return NULL;
    }
    server_ctx *s = np_xcalloc(1, sizeof *s);
    s->ui.p = merged;
    s->allow_remote = names_remote_host(host);
    pthread_mutex_init(&s->ui.lock, NULL);
    /* NPROF_WEBUI_CACHE=0 makes every request do its work (tests that load Graphviz). */
    const char *env = getenv("NPROF_WEBUI_CACHE");
    bool cache = !(env && strcmp(env, "0") == 0);
    s->ui.cache = np_webui_cache_new(cache ? CACHE_ENTRIES : 0, cache ? CACHE_BYTES : 0);
    s->ui.cache_on = cache;
    return s;
}

static void server_free(server_ctx *s)
{
    np_webui_cache_free(s->ui.cache);
    pthread_mutex_destroy(&s->ui.lock);
    np_profile_free((np_profile *)s->ui.p);
    free(s);
}

int np_webui_serve(np_profile *p, const np_config *cfg, const char *hostport,
                   bool no_browser, np_err *err)
{
    char host[256], addr[300], bound[300];
    const char *port = "";
    if (split_hostport(hostport, host, sizeof host, &port, err) < 0) {
        np_profile_free(p);
        return -1;
    }
    if (!host[0])
        snprintf(host, sizeof host, "localhost");
    bool v6 = strchr(host, ':') != NULL;
    snprintf(addr, sizeof addr, v6 ? "[%s]:%s" : "%s:%s", host, port[0] ? port : "0");
    server_ctx *s = server_new(p, host, err);
    if (!s)
        return -1;
    s->ui.cfg = cfg;
    /* Any address the user names may be bound; handle() decides whom to answer. */
    np_http_options o = {.addr = addr, .allow_remote = true, .max_connections = 8};
    /* Blocked before the server's threads start, so that only sigwait below takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    /* Graphviz's graph pictures are laid out by one worker kept loaded, not a dot per request. */
    if (np_webui_graphviz_layout())
        np_graphviz_keep_loaded();
    np_http_server *srv;
    if (np_http_start(&o, handle, s, &srv, bound, sizeof bound, err) < 0) {
        server_free(s);
        return -1;
    }
    /* The first views are made while the browser starts (after listening: the address line
     * is not delayed). NPROF_WEBUI_CACHE=0 keeps nothing, so there is nothing to make then. */
    pthread_t warm;
    bool warming = s->ui.cache_on && pthread_create(&warm, NULL, warm_views, &s->ui) == 0;
    const char *bport = strrchr(bound, ':');
    char url[400];
    snprintf(url, sizeof url, v6 ? "http://[%s]%s" : "http://%s%s", host, bport ? bport : "");
    fprintf(stderr, "Serving web UI on %s\n", url);
    if (!no_browser) {
        np_err e;
        if (np_browser_open(url, false, &e) <= 0)
            fprintf(stderr, "%s\n", url);
    }
    int sig;
    sigwait(&stop, &sig);
    if (warming)
        pthread_join(warm, NULL);
    if (np_http_stop(srv) == 0)
        server_free(s);
    return 0;
}
