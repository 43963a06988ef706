/* The Graphviz worker of a long-lived server: this same program started once more as a child
 * that keeps libgvc loaded and lays out each request's SVG, so that a picture pays for no dot
 * start-up, and a crash inside Graphviz costs the worker, not the server. */
#include "analyze/report/graphviz.h"
#include "analyze/report/graphviz_int.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/spawn.h"

extern char **environ;

/* Set in the worker's environment: the program serves requests on fd 0 instead of running. */
#define WORKER_ENV "NPROF_GRAPHVIZ_WORKER"
/* Workers started at most, crashed ones included: past that, dot draws every picture. */
#define MAX_STARTS 3

/* ---- in the worker ---- */

/* The few entry points used, declared here with opaque pointers (no -dev package needed);
 * their signatures are those of libgvc.so.6 and libcgraph.so.6. */
typedef struct gv_api {
    void *(*context)(void);
    void *(*memread)(const char *text);
    int (*layout)(void *gvc, void *g, const char *engine);
    int (*render_data)(void *gvc, void *g, const char *format, char **out, unsigned int *len);
    void (*free_render_data)(char *out);
    int (*free_layout)(void *gvc, void *g);
    int (*close)(void *g);
} gv_api;

static gv_api api;
static void *gvc;

/* Opens both libraries and resolves every entry point: 0, or -1 when any is missing. */
static int load_libraries(void)
{
    static const struct { int lib; const char *name; size_t slot; } syms[] = {
        {0, "gvContext", offsetof(gv_api, context)},
        {1, "agmemread", offsetof(gv_api, memread)},
        {0, "gvLayout", offsetof(gv_api, layout)},
        {0, "gvRenderData", offsetof(gv_api, render_data)},
        {0, "gvFreeRenderData", offsetof(gv_api, free_render_data)},
        {0, "gvFreeLayout", offsetof(gv_api, free_layout)},
        {1, "agclose", offsetof(gv_api, close)},
    };
    void *lib[2] = {dlopen("libgvc.so.6", RTLD_NOW | RTLD_LOCAL),
                    dlopen("libcgraph.so.6", RTLD_NOW | RTLD_LOCAL)};
    if (!lib[0] || !lib[1])
        return -1;
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *f = dlsym(lib[syms[i].lib], syms[i].name);
        if (!f)
            return -1;
        /* POSIX makes a dlsym result convertible to a function pointer. */
        memcpy((char *)&api + syms[i].slot, &f, sizeof f);
    }
    gvc = api.context();
    return gvc ? 0 : -1;
}

/* Lays out and renders text as SVG; -1 on any failure, after freeing whatever Graphviz made. */
static int render_svg(const char *text, np_buf *img)
{
    void *g = api.memread(text);
    if (!g)
        return -1;
    int rc = -1;
    if (api.layout(gvc, g, "dot") == 0) {
        char *out = NULL;
        unsigned int len = 0;
        if (api.render_data(gvc, g, "svg", &out, &len) == 0 && out) {
            np_buf_add(img, out, len);
            rc = 0;
        }
        if (out)
            api.free_render_data(out);
        api.free_layout(gvc, g);
    }
    api.close(g);
    return rc;
}

/* The first layout pays for fontconfig's start-up and plugin loading: done before the first
 * request, on a graph shaped as the DOT report's (its fonts, sizes, shapes and labels). */
static void warm_up(void)
{
    np_buf img = {0};
    render_svg("digraph \"warm-up\" { node [style=filled fillcolor=\"#f8f8f8\"]\n"
               "subgraph cluster_L { L [shape=box fontsize=16 label=\"File: x\\l\"] }\n"
               "a [label=\"main\\n1s (9%)\" fontsize=24 shape=box]\n"
               "b [label=\"f\\n0 of 1s\" fontsize=10 shape=box]\n"
               "c [label=\"k\" fontsize=8 shape=box3d]\n"
               "a -> b [label=\" 1s\" weight=9 style=\"dotted\"]\nb -> c [label=\" 1s\"] }\n",
               &img);
    np_buf_free(&img);
}

/* Exactly n bytes, across short transfers and EINTR: 0, or -1 at end of file or on error. */
static int read_full(int fd, void *p, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t r = read(fd, (char *)p + off, n - off);
        if (r == 0 || (r < 0 && errno != EINTR))
            return -1;
        off += r > 0 ? (size_t)r : 0;
    }
    return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = send(fd, (const char *)p + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno != EINTR)
            return -1;
        off += w > 0 ? (size_t)w : 0;
    }
    return 0;
}

/* The protocol on the socket: a request is a 32-bit length and that much DOT text; the reply
 * is a 32-bit status (0: drawn) and length, then that much SVG. Ends when the server goes. */
static void serve_requests(int fd)
{
    np_buf text = {0}, img = {0};
    uint32_t len;
    while (read_full(fd, &len, sizeof len) == 0) {
        text.len = 0;
        np_buf_reserve(&text, (size_t)len + 1);
        if (read_full(fd, text.data, len) < 0)
            break;
        text.len = len;
        img.len = 0;
        uint32_t reply[2] = {render_svg(np_buf_cstr(&text), &img) == 0 ? 0 : 1, 0};
        reply[1] = reply[0] == 0 ? (uint32_t)img.len : 0;
        if (write_full(fd, reply, sizeof reply) < 0 || write_full(fd, img.data, reply[1]) < 0)
            break;
    }
    np_buf_free(&text);
    np_buf_free(&img);
}

/* Before main: when started as a worker, be one and exit. The environment variable is ours
 * (np_graphviz_keep_loaded sets it for the child only). */
__attribute__((constructor)) static void worker_main(void)
{
    const char *w = getenv(WORKER_ENV);
    if (!w || strcmp(w, "1") != 0)
        return;
    if (load_libraries() < 0)
        _exit(2);
    warm_up();
    serve_requests(0);
    _exit(0);
}

/* ---- in the server ---- */

/* One worker, one request at a time (Graphviz is not thread-safe, and the socket carries one
 * exchange at a time). */
static struct {
    pthread_mutex_t lock;
    bool wanted;   /* np_graphviz_keep_loaded was called */
    pid_t pid;     /* the running worker, or 0 */
    int fd;
    int starts;
} worker = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The worker's environment: ours and WORKER_ENV=1. Freed by the caller (the array only). */
static char **worker_env(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = np_xcalloc(n + 2, sizeof *env);
    memcpy(env, environ, n * sizeof *env);
    env[n] = WORKER_ENV "=1";
    return env;
}

static void start_locked(void)
{
    int sv[2];
    if (worker.starts >= MAX_STARTS || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    worker.starts++;
    char *argv[] = {"nprof-graphviz-worker", NULL};
    char **env = worker_env();
    pid_t pid;
    int rc = np_spawn("/proc/self/exe", argv, env, (int[3]){sv[1], NP_SPAWN_KEEP, NP_SPAWN_KEEP}, &pid);
    free(env);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        return;
    }
    worker.pid = pid;
    worker.fd = sv[0];
}

static void stop_locked(void)
{
    kill(worker.pid, SIGKILL);
    while (waitpid(worker.pid, NULL, 0) < 0 && errno == EINTR)
        ;
    close(worker.fd);
    worker.pid = 0;
}

/* One request: 0 drawn, 1 not drawn by a worker still in order, -1 the worker is broken. */
static int exchange(const char *text, np_buf *img)
{
    size_t n = strlen(text);
    uint32_t len = (uint32_t)n, reply[2];
    if (n > UINT32_MAX / 2 || write_full(worker.fd, &len, sizeof len) < 0 ||
        write_full(worker.fd, text, n) < 0 || read_full(worker.fd, reply, sizeof reply) < 0)
        return -1;
    if (reply[0] != 0)
        return 1;
    np_buf_reserve(img, reply[1]);
    if (read_full(worker.fd, img->data + img->len, reply[1]) < 0)
        return -1;
    img->len += reply[1];
    return 0;
}

/* Whether text starts by naming its graph ("digraph NAME {", as the DOT report's does).
 * Graphviz names an anonymous graph from a counter of the whole process, so a kept-loaded
 * library would title the same anonymous graph differently each time; dot draws those. */
static bool names_its_graph(const char *text)
{
    text += strspn(text, " \t\r\n");
    if (strncmp(text, "strict", 6) == 0)
        text += 6 + strspn(text + 6, " \t\r\n");
    size_t kw = strncmp(text, "digraph", 7) == 0 ? 7 : strncmp(text, "graph", 5) == 0 ? 5 : 0;
    size_t gap = kw ? strspn(text + kw, " \t\r\n") : 0;
    return gap > 0 && text[kw + gap] && text[kw + gap] != '{';
}

int np_graphviz_worker_render(const char *format, const char *text, np_buf *img)
{
    /* Only SVG: the format checked byte for byte against dot's own (tests/graphviz.sh). */
    if (strcmp(format, "svg") != 0 || !names_its_graph(text))
        return -1;
    pthread_mutex_lock(&worker.lock);
    if (worker.wanted && !worker.pid)
        start_locked();
    size_t had = img->len;
    int rc = worker.pid ? exchange(text, img) : -1;
    if (rc < 0 && worker.pid)
        stop_locked();
    pthread_mutex_unlock(&worker.lock);
    if (rc != 0)
        img->len = had;
    return rc == 0 ? 0 : -1;
}

void np_graphviz_keep_loaded(void)
{
    const char *mode = getenv("NPROF_GRAPHVIZ");
    if ((mode && strcmp(mode, "process") == 0) || !np_graphviz_available())
        return;
    pthread_mutex_lock(&worker.lock);
    worker.wanted = true;
    /* Started now, so that it loads and warms up while the server starts. */
    if (!worker.pid)
        start_locked();
    pthread_mutex_unlock(&worker.lock);
}
