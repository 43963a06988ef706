/* Unit tests for graphviz.c and graphviz_worker.c: pictures drawn through a spawned dot and
 * through the worker that keeps libgvc loaded, each compared byte for byte with what `dot`
 * itself prints for the same input; a killed worker; dot's errors (bad input, no dot on
 * $PATH) as pprof words them. Skipped without Graphviz. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "analyze/report/graphviz.h"
#include "unit.h"

#define ERR_PREFIX "failed to execute dot. Is Graphviz installed? Error: "

/* What `dot -T<format>` prints for text, run through the shell: the independent judge. */
static void dot_itself(const char *format, const char *text, np_buf *out)
{
    char in[] = "/tmp/test-graphviz-XXXXXX", cmd[128];
    int fd = mkstemp(in);
    if (fd < 0)
        return;
    (void)!write(fd, text, strlen(text));
    close(fd);
    snprintf(cmd, sizeof cmd, "dot -T%s < %s 2>/dev/null", format, in);
    FILE *p = popen(cmd, "r");
    char chunk[65536];
    size_t n;
    while (p && (n = fread(chunk, 1, sizeof chunk, p)) > 0)
        np_buf_add(out, chunk, n);
    if (p)
        pclose(p);
    unlink(in);
}

/* Renders text with graphviz.c and checks it against dot's own output. */
static void check_same_as_dot(const char *format, const char *text)
{
    np_buf want = {0}, got = {0};
    np_err e;
    dot_itself(format, text, &want);
    np_buf_puts(&got, text);
    CHECK(np_graphviz_render(format, &got, &e) == 0);
    CHECK(want.len > 0 && got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
    np_buf_free(&want);
    np_buf_free(&got);
}

static void check_bad_input(void)
{
    np_buf b = {0};
    np_err e;
    np_buf_puts(&b, "digraph { a -> }");
    CHECK(np_graphviz_render("svg", &b, &e) < 0);
    CHECK_STR_EQ(e.msg, ERR_PREFIX "exit status 1");
    np_buf_free(&b);
}

static const char *small_graph =
    "digraph \"g\" { node [shape=box fontsize=16]; a [label=\"main\\nfib 10ms\"]; "
    "b [label=\"x&amp;y <z>\"]; a -> b [label=\" 5ms\" weight=3]; b -> a [style=dotted]; }\n";

static bool have_dot(void)
{
    return np_graphviz_available();
}

/* Megabytes of input and hundreds of kilobytes of output, both far past a pipe's buffer:
 * dot writes while it is still being fed, which a sequential write-then-read would deadlock. */
TEST(graphviz_process_large_both_ways)
{
    if (!have_dot())
        SKIP("no Graphviz dot");
    np_buf text = {0};
    np_buf_puts(&text, "digraph big {\n/* ");
    for (int i = 0; i < 40000; i++)
        np_buf_puts(&text, "filler filler filler filler filler filler filler filler\n");
    np_buf_puts(&text, "*/\n");
    for (int i = 0; i < 3000; i++)
        np_buf_printf(&text, "n%d [label=\"node number %d\"];\n", i, i);
    np_buf_puts(&text, "}\n");
    check_same_as_dot("dot", np_buf_cstr(&text));
    np_buf_free(&text);
}

TEST(graphviz_process_formats_and_errors)
{
    if (!have_dot())
        SKIP("no Graphviz dot");
    check_same_as_dot("svg", small_graph);
    check_same_as_dot("png", small_graph);
    check_bad_input();
}

TEST(graphviz_without_dot_on_path)
{
    char *saved = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", "/nonexistent-dir", 1);
    np_buf b = {0};
    np_err e;
    np_buf_puts(&b, small_graph);
    CHECK(!np_graphviz_available());
    CHECK(np_graphviz_render("svg", &b, &e) < 0);
    CHECK_STR_EQ(e.msg, ERR_PREFIX "exec: \"dot\": executable file not found in $PATH");
    CHECK_STR_EQ(np_buf_cstr(&b), small_graph); /* the input is left as it was */
    setenv("PATH", saved, 1);
    free(saved);
    np_buf_free(&b);
}

/* The text of a /proc file (empty when it cannot be read); the caller frees b. */
static const char *proc_text(const char *path, np_buf *b)
{
    np_err e;
    if (np_read_file(path, b, &e) < 0)
        b->len = 0;
    return np_buf_cstr(b);
}

static bool libgvc_mapped(void)
{
    np_buf maps = {0};
    bool found = strstr(proc_text("/proc/self/maps", &maps), "libgvc.so") != NULL;
    np_buf_free(&maps);
    return found;
}

/* With dot on $PATH, asks for the worker (from then on for this whole test process). */
static bool worker_wanted(void)
{
    if (!have_dot())
        return false;
    np_graphviz_keep_loaded();
    return true;
}

/* The worker's SVG is dot's, again and again; other formats and bad input still go to dot
 * and give its output and its error. */
TEST(graphviz_resident_svg_is_dots)
{
    if (!worker_wanted())
        SKIP("no Graphviz dot");
    for (int round = 0; round < 3; round++) {
        check_same_as_dot("svg", small_graph);
        check_same_as_dot("svg", "digraph lr { rankdir=LR; x -> y -> z -> x; }");
        /* Anonymous graphs too, drawn by dot: the library would number their titles. */
        check_same_as_dot("svg", "digraph { rankdir=LR; x -> y -> z -> x; }");
        check_same_as_dot("svg", "strict graph{ u -- v }");
        check_bad_input();
        check_same_as_dot("svg", small_graph); /* a failed render left nothing behind */
    }
    check_same_as_dot("png", small_graph);
    CHECK(!libgvc_mapped()); /* a worker process has it, not the server */
}

/* The worker's pid: this process's one child, from /proc; 0 when there is none. */
static pid_t worker_pid(void)
{
    char path[64];
    np_buf kids = {0};
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    pid_t pid = (pid_t)atoi(proc_text(path, &kids));
    np_buf_free(&kids);
    return pid;
}

/* A worker that dies (a crash inside Graphviz) costs that picture a dot process; the next
 * one starts a new worker. */
TEST(graphviz_worker_crash_is_survived)
{
    if (!worker_wanted())
        SKIP("no Graphviz dot");
    check_same_as_dot("svg", small_graph);
    pid_t first = worker_pid();
    CHECK(first > 0);
    kill(first, SIGKILL); /* tests/graphviz.sh sends SIGSEGV to a real server's worker */
    usleep(100000);
    check_same_as_dot("svg", small_graph);
    check_same_as_dot("svg", small_graph);
    pid_t second = worker_pid();
    CHECK(second > 0 && second != first);
}

/* With a `dot` on $PATH that only fails, SVG is still drawn (so by the worker, not by dot)
 * while a PNG gets that dot's failure. */
TEST(graphviz_resident_spawns_nothing)
{
    if (!worker_wanted())
        SKIP("no Graphviz dot");
    np_buf want = {0}, svg = {0}, png = {0};
    np_err e;
    dot_itself("svg", small_graph, &want);
    char dir[] = "/tmp/test-graphviz-bin-XXXXXX", fake[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(fake, sizeof fake, "%s/dot", dir);
    FILE *f = fopen(fake, "w");
    fputs("#!/bin/sh\nexit 3\n", f);
    fclose(f);
    chmod(fake, 0755);
    char *saved = strdup(getenv("PATH"));
    setenv("PATH", dir, 1);
    np_buf_puts(&svg, small_graph);
    np_buf_puts(&png, small_graph);
    CHECK(np_graphviz_render("svg", &svg, &e) == 0);
    CHECK(svg.len == want.len && memcmp(svg.data, want.data, want.len) == 0);
    CHECK(np_graphviz_render("png", &png, &e) < 0);
    CHECK_STR_EQ(e.msg, ERR_PREFIX "exit status 3");
    setenv("PATH", saved, 1);
    free(saved);
    unlink(fake);
    rmdir(dir);
    np_buf_free(&want);
    np_buf_free(&svg);
    np_buf_free(&png);
}
