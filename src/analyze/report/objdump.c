/* Running objdump (no shell: posix_spawnp with an argument vector) and reading its listing
 * line by line, without trusting it to be well formed. */
#include "analyze/report/objdump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/spawn.h"

extern char **environ;

typedef struct place {
    const char *function, *file;
    int64_t line;
} place;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "  4013f3:\tadd    $0x1,%rcx": true with the instruction added. */
static bool parse_inst(const char *s, size_t n, const place *at, np_objdump *out)
{
    size_t i = 0;
    uint64_t addr = 0;
    while (i < n && is_hex(s[i]) && i < 16) {
        char c = s[i++];
        addr = addr << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    if (i == 0 || i + 1 >= n || s[i] != ':' || !is_space(s[i + 1]))
        return false;
    for (i++; i < n && is_space(s[i]); i++)
        ;
    np_objdump_inst *in = NP_PUSH(out->v, out->n, out->cap);
    *in = (np_objdump_inst){addr, np_arena_strndup(&out->arena, s + i, n - i), at->function, at->file, at->line};
    return true;
}

/* "/src/a.c:34" or "/src/a.c:34 (discriminator 3)": the last ":digits" ends the path. */
static bool parse_place(const char *s, size_t n, place *at, np_arena *a)
{
    const char *d = memchr(s, ' ', n);
    size_t end = d && d > s ? (size_t)(d - s) : n;
    size_t k = end;
    while (k > 0 && s[k - 1] >= '0' && s[k - 1] <= '9')
        k--;
    if (k == end || k < 2 || s[k - 1] != ':' || end - k > 9)
        return false;
    int64_t line = 0; /* the text is not terminated: strtoll could read past it */
    for (size_t i = k; i < end; i++)
        line = line * 10 + (s[i] - '0');
    at->line = line;
    at->file = np_arena_strndup(a, s, k - 1);
    return true;
}

static void parse_line(const char *s, size_t n, place *at, np_objdump *out)
{
    while (n > 0 && is_space(*s))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (parse_inst(s, n, at, out))
        return;
    if (n > 3 && memcmp(s + n - 3, "():", 3) == 0 && !is_space(s[0])) {
        at->function = np_arena_strndup(&out->arena, s, n - 3);
        return;
    }
    if (n > 0 && s[n - 1] == ':' && memchr(s, '<', n)) /* "00000000004013d0 <burn_hot>:" */
        return;
    if (!parse_place(s, n, at, &out->arena))
        *at = (place){"", "", 0};
}

void np_objdump_parse(const char *text, size_t len, np_objdump *out)
{
    place at = {"", "", 0};
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        parse_line(text + i, n, &at, out);
        i += n + 1;
    }
}

/* objdump with stdout on a pipe (read into buf), stdin and stderr on /dev/null; its exit
 * status, or -1 with errno's value in *spawn_err when it could not start. */
static int run(char *const argv[], np_buf *buf, int *spawn_err)
{
    int po[2];
    if (pipe2(po, O_CLOEXEC) < 0)
        return *spawn_err = errno, -1;
    pid_t pid;
    *spawn_err = np_spawn(argv[0], argv, environ, (int[3]){NP_SPAWN_NULL, po[1], NP_SPAWN_NULL}, &pid);
    close(po[1]);
    if (*spawn_err) {
        close(po[0]);
        return -1;
    }
    char tmp[65536];
    for (ssize_t r; (r = read(po[0], tmp, sizeof tmp)) != 0;)
        if (r > 0)
            np_buf_add(buf, tmp, (size_t)r);
        else if (errno != EINTR)
            break;
    close(po[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_listing(const char *file, uint64_t start, uint64_t stop, bool intel, bool lines, np_objdump *out,
                       np_err *err)
{
    char from[40], to[40];
    snprintf(from, sizeof from, "--start-address=%#llx", (unsigned long long)start);
    snprintf(to, sizeof to, "--stop-address=%#llx", (unsigned long long)stop);
    char *argv[12] = {"objdump", "--disassemble", "--demangle", "--no-show-raw-insn", from, to};
    int n = 6;
    if (lines)
        argv[n++] = "--line-numbers";
    if (intel) {
        argv[n++] = "-M";
        argv[n++] = "intel";
    }
    argv[n++] = "--"; /* a file named like an option stays a file */
    argv[n++] = (char *)file;
    argv[n] = NULL;
    np_buf text = {0};
    int spawn_err, st = run(argv, &text, &spawn_err);
    if (st == 0)
        np_objdump_parse(text.data ? text.data : "", text.len, out);
    np_buf_free(&text);
    if (st < 0 && (spawn_err == ENOENT || spawn_err == EACCES))
        return np_fail(err, "cannot disasm: no objdump tool available");
    if (st < 0)
        return np_fail(err, "cannot disasm: objdump: %s", strerror(spawn_err));
    if (st != 0)
        return np_fail(err, "cannot disasm %s: objdump exited with status %d", file, st);
    return 0;
}

int np_objdump_run(const char *file, uint64_t start, uint64_t stop, bool intel, np_objdump *out, np_err *err)
{
    return run_listing(file, start, stop, intel, true, out, err);
}

int np_objdump_run_bare(const char *file, uint64_t start, uint64_t stop, bool intel, np_objdump *out, np_err *err)
{
    return run_listing(file, start, stop, intel, false, out, err);
}

void np_objdump_free(np_objdump *d)
{
    free(d->v);
    np_arena_free(&d->arena);
    *d = (np_objdump){0};
}
