/* Opening nprof's pages in a browser (pprof's browsers() and invokeVisualizer): a temporary
 * file, then the first viewer command that can be started. */
#include "analyze/browser.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int np_browser_temp_file(const np_buf *data, const char *suffix, char **path, np_err *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    np_buf name = {0};
    for (int i = 1; i < 10000; i++) {
        name.len = 0;
        np_buf_printf(&name, "%s/nprof%03d.%s", dir, i, suffix);
        int fd = open(np_buf_cstr(&name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            break;
        ssize_t n = data->len ? write(fd, data->data, data->len) : 0;
        if (close(fd) != 0 || n != (ssize_t)data->len) {
            np_fail(err, "write %s: %s", np_buf_cstr(&name), strerror(errno));
            np_buf_free(&name);
            return -1;
        }
        *path = (char *)np_buf_cstr(&name);
        return 0;
    }
    np_fail(err, "could not create a file of the form %s/nprof001.%s: %s", dir, suffix, strerror(errno));
    np_buf_free(&name);
    return -1;
}

/* Viewers started without waiting, reaped as later calls find them done. */
static pid_t running[16];

static void reap(void)
{
    for (size_t i = 0; i < sizeof running / sizeof *running; i++)
        if (running[i] > 0 && waitpid(running[i], NULL, WNOHANG) != 0)
            running[i] = 0;
}

static void keep(pid_t pid)
{
    for (size_t i = 0; i < sizeof running / sizeof *running; i++) {
        if (running[i] == 0) {
            running[i] = pid;
            return;
        }
    }
    /* Full: the child's exit is left unreaped, which costs one process slot until nprof ends. */
}

/* Starts `command path`, command split on spaces. 1 started (and, with wait, succeeded),
 * 0 not startable, -1 with err when it ran and failed. */
static int try_viewer(const char *command, const char *path, bool wait, np_err *err)
{
    char *copy = np_xstrdup(command);
    char **argv = np_xcalloc(strlen(command) + 3, sizeof *argv);
    size_t argc = 0;
    for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    int rc = 0;
    pid_t pid;
    if (argc > 0) {
        argv[argc++] = (char *)path;
        if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) == 0) {
            rc = 1;
            int st = 0;
            if (!wait)
                keep(pid);
            else if (waitpid(pid, &st, 0) == pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
                rc = np_fail(err, "%s %s: exit status %d", argv[0], path, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
    }
    free(argv);
    free(copy);
    return rc;
}

int np_browser_open(const char *path, bool wait, np_err *err)
{
    static const char *const desktop[] = {"chrome", "google-chrome", "chromium", "firefox",
                                          "sensible-browser", "xdg-open"};
    reap();
    const char *user = getenv("BROWSER");
    if (user && user[0]) {
        int rc = try_viewer(user, path, wait, err);
        if (rc != 0)
            return rc;
    }
    /* A browser started without a display only fails, so a headless machine gets the path. */
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if (!(x && x[0]) && !(wl && wl[0]))
        return 0;
    for (size_t i = 0; i < sizeof desktop / sizeof *desktop; i++) {
        int rc = try_viewer(desktop[i], path, wait, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}
