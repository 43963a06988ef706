/* Graphviz for the graph pictures: `dot -T<format>` spawned without a shell or a temporary
 * file, or, for a server that asked for it, libgvc kept loaded and used under one lock. */
#include "analyze/report/graphviz.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define NOT_INSTALLED "failed to execute dot. Is Graphviz installed?"

/* Whether an executable prog is in one of $PATH's folders (Go's exec.LookPath). */
static bool on_path(const char *prog)
{
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; ; p++) {
        size_t n = strcspn(p, ":");
        char full[4096];
        snprintf(full, sizeof full, "%.*s/%s", (int)n, n ? p : ".", prog);
        if (access(full, X_OK) == 0)
            return true;
        p += n;
        if (!*p)
            return false;
    }
}

bool np_graphviz_available(void)
{
    return on_path("dot");
}

/* ---- dot as a process ---- */

/* Starts dot with *in writing its standard input and *out reading its output. The input end
 * is a socket, not a pipe, so that writing to a dot that has already exited fails with EPIPE
 * (MSG_NOSIGNAL) instead of raising SIGPIPE in the whole process. dot gets an empty signal
 * mask and default actions: a server's threads block every signal, and a child inherits that. */
static int spawn_dot(const char *format, pid_t *pid, int *in, int *out)
{
    int sv[2], po[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return errno;
    if (pipe2(po, O_CLOEXEC) < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return e;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawnattr_init(&at);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char tflag[64];
    snprintf(tflag, sizeof tflag, "-T%s", format);
    char *argv[] = {"dot", tflag, NULL};
    int rc = posix_spawnp(pid, "dot", &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    close(po[1]);
    if (rc != 0) {
        close(sv[0]);
        close(po[0]);
        return rc;
    }
    *in = sv[0];
    *out = po[0];
    return 0;
}

/* Feeds data to dot while reading what it writes, both at once: dot may start writing before
 * it has read everything, and either pipe filling up must not stall the other. Stops feeding
 * when dot stops reading (its exit status then tells what went wrong). Closes both ends. */
static int pump(int in, int out, const np_buf *data, np_buf *img)
{
    size_t off = 0;
    int rc = 0;
    if (data->len == 0) {
        close(in);
        in = -1;
    }
    for (;;) {
        struct pollfd p[2] = {{out, POLLIN, 0}, {in, POLLOUT, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        if (in >= 0 && p[1].revents) {
            ssize_t w = send(in, data->data + off, data->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                off += (size_t)w;
            if (off == data->len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
                close(in);
                in = -1;
            }
        }
        if (p[0].revents) {
            char tmp[65536];
            ssize_t n = read(out, tmp, sizeof tmp);
            if (n > 0)
                np_buf_add(img, tmp, (size_t)n);
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                break;
        }
    }
    if (in >= 0)
        close(in);
    close(out);
    return rc;
}

static int render_process(const char *format, const np_buf *data, np_buf *img, np_err *err)
{
    pid_t pid;
    int in, out;
    if (spawn_dot(format, &pid, &in, &out) != 0)
        return np_fail(err, NOT_INSTALLED);
    int rc = pump(in, out, data, img);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return np_fail(err, NOT_INSTALLED);
    }
    if (st != 0)
        return np_fail(err, NOT_INSTALLED " Error: exit status %d",
                       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return rc < 0 ? np_fail(err, NOT_INSTALLED) : 0;
}

/* ---- libgvc kept loaded ---- */

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

/* Graphviz keeps global state and is not thread-safe: everything below is under lock. */
static struct {
    pthread_mutex_t lock;
    bool wanted;      /* np_graphviz_keep_loaded was called */
    int state;        /* 0 not tried, 1 loaded, -1 failed (dot is used) */
    gv_api api;
    void *gvc;
} resident = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Opens both libraries and resolves every entry point, or leaves state at -1. */
static void load_locked(void)
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
    resident.state = -1;
    void *lib[2] = {dlopen("libgvc.so.6", RTLD_NOW | RTLD_LOCAL),
                    dlopen("libcgraph.so.6", RTLD_NOW | RTLD_LOCAL)};
    if (!lib[0] || !lib[1])
        return;
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        void *f = dlsym(lib[syms[i].lib], syms[i].name);
        if (!f)
            return;
        /* POSIX makes a dlsym result convertible to a function pointer. */
        memcpy((char *)&resident.api + syms[i].slot, &f, sizeof f);
    }
    resident.gvc = resident.api.context();
    if (resident.gvc)
        resident.state = 1;
}

/* Lays out and renders text in this process; -1 (img untouched) on any failure, after
 * freeing whatever Graphviz had made. Called under lock with the libraries loaded. */
static int render_loaded(const char *format, const char *text, np_buf *img)
{
    const gv_api *a = &resident.api;
    void *g = a->memread(text);
    if (!g)
        return -1;
    int rc = -1;
    if (a->layout(resident.gvc, g, "dot") == 0) {
        char *out = NULL;
        unsigned int len = 0;
        if (a->render_data(resident.gvc, g, format, &out, &len) == 0 && out) {
            np_buf_add(img, out, len);
            rc = 0;
        }
        if (out)
            a->free_render_data(out);
        a->free_layout(resident.gvc, g);
    }
    a->close(g);
    return rc;
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

/* 0 with img filled when the loaded libraries drew the picture; -1 when dot must. Only SVG:
 * the format checked byte for byte against dot's own output (tests/graphviz.sh). */
static int render_resident(const char *format, const char *text, np_buf *img)
{
    if (strcmp(format, "svg") != 0 || !names_its_graph(text))
        return -1;
    pthread_mutex_lock(&resident.lock);
    if (resident.wanted && resident.state == 0)
        load_locked();
    int rc = resident.state == 1 ? render_loaded(format, text, img) : -1;
    pthread_mutex_unlock(&resident.lock);
    return rc;
}

/* The first layout pays for fontconfig's start-up and plugin loading: done here, in the
 * background, so that the first picture a user asks for does not. */
static void *warm_up(void *unused)
{
    (void)unused;
    np_buf img = {0};
    /* Shaped as the DOT report's graphs are: the same fonts, sizes, shapes and labels. */
    render_resident("svg",
                    "digraph \"warm-up\" { node [style=filled fillcolor=\"#f8f8f8\"]\n"
                    "subgraph cluster_L { L [shape=box fontsize=16 label=\"File: x\\l\"] }\n"
                    "a [label=\"main\\n1s (9%)\" fontsize=24 shape=box]\n"
                    "b [label=\"f\\n0 of 1s\" fontsize=10 shape=box]\n"
                    "c [label=\"k\" fontsize=8 shape=box3d]\n"
                    "a -> b [label=\" 1s\" weight=9 style=\"dotted\"]\nb -> c [label=\" 1s\"] }\n",
                    &img);
    np_buf_free(&img);
    return NULL;
}

void np_graphviz_keep_loaded(void)
{
    const char *mode = getenv("NPROF_GRAPHVIZ");
    if ((mode && strcmp(mode, "process") == 0) || !np_graphviz_available())
        return;
    pthread_mutex_lock(&resident.lock);
    resident.wanted = true;
    pthread_mutex_unlock(&resident.lock);
    /* The thread takes no asynchronous signal: they stay with the threads that wait for
     * them. Without the thread the first picture loads the libraries itself. */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    (void)pthread_create(&t, &at, warm_up, NULL);
    pthread_attr_destroy(&at);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int np_graphviz_render(const char *format, np_buf *data, np_err *err)
{
    /* Checked first so that a missing Graphviz is one line, as pprof's. */
    if (!on_path("dot"))
        return np_fail(err, NOT_INSTALLED " Error: exec: \"dot\": executable file not found in $PATH");
    np_buf img = {0};
    if (render_resident(format, np_buf_cstr(data), &img) < 0) {
        np_buf_free(&img);
        if (render_process(format, data, &img, err) < 0) {
            np_buf_free(&img);
            return -1;
        }
    }
    np_buf_free(data);
    *data = img;
    return 0;
}
