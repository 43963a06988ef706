/* Graphviz for the graph pictures: `dot -T<format>` spawned without a shell or a temporary
 * file, unless a server's Graphviz worker (graphviz_worker.c) draws the picture. */
#include "analyze/report/graphviz.h"
#include "analyze/report/graphviz_int.h"
#include "analyze/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
 * (MSG_NOSIGNAL) instead of raising SIGPIPE in the whole process. */
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
    char tflag[64];
    snprintf(tflag, sizeof tflag, "-T%s", format);
    char *argv[] = {"dot", tflag, NULL};
    int rc = np_spawn("dot", argv, environ, (int[3]){sv[1], po[1], NP_SPAWN_KEEP}, pid);
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
    int in = -1, out = -1;
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

int np_graphviz_render(const char *format, np_buf *data, np_err *err)
{
    /* Checked first so that a missing Graphviz is one line, as pprof's. */
    if (!on_path("dot"))
        return np_fail(err, NOT_INSTALLED " Error: exec: \"dot\": executable file not found in $PATH");
    np_buf img = {0};
    if (np_graphviz_worker_render(format, np_buf_cstr(data), &img) < 0) {
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
