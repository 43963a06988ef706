/* Request handling for /debug/pprof/: the index, every profile of the kinds table, cmdline and
 * symbol, each answering as Go's net/http/pprof does so that pprof, Parca and Pyroscope scrape
 * nprof unchanged. */
#include "collect/endpoints.h"

#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/cpuprof.h"
#include "collect/fanout.h"
#include "core/gz.h"
#include "collect/kinds.h"
#include "core/merge.h"
#include "collect/modules.h"
#include "collect/sampler.h"
#include "core/sym/symbolize.h"
#include "collect/tree.h"

static const char prefix[] = "/debug/pprof/";

static void serve_error(np_http_response *resp, int status, const char *text)
{
    np_http_set_status(resp, status);
    np_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
    np_http_add_header(resp, "X-Go-Pprof", "1");
    np_http_printf(resp, "%s\n", text);
}

enum { MAX_PROCS = 4096 };

/* The processes of the tree (tree.h), or NULL: *n of them, this one first. */
static np_tree_proc *tree_procs(size_t *n)
{
    np_tree_proc *list = malloc(MAX_PROCS * sizeof *list);
    *n = list ? np_tree_list(list, MAX_PROCS) : 0;
    return list;
}

/* After the index: the tree, when this process has forked served children. */
static void serve_tree_index(np_http_response *resp)
{
    size_t n;
    np_tree_proc *list = tree_procs(&n);
    if (n > 1) {
        np_http_printf(resp, "<p>\nProcesses of this tree (<a href='processes'>processes</a>, "
                             "<a href='heap?pid=all'>heap?pid=all</a>):\n<table>\n"
                             "<thead><td>PID</td><td>Parent</td><td>Program</td><td>Profiles</td></thead>\n");
        for (size_t i = 0; i < n; i++)
            np_http_printf(resp, "<tr><td>%d</td><td>%d</td><td>%s</td><td><a href='heap?pid=%d'>heap</a> "
                                 "<a href='allocs?pid=%d'>allocs</a></td></tr>\n",
                           (int)list[i].pid, (int)list[i].ppid, list[i].program, (int)list[i].pid,
                           (int)list[i].pid);
        np_http_printf(resp, "</table>\n</p>\n");
    }
    free(list);
}

/* /debug/pprof/processes: one line per process of the tree, tab-separated, this one first. */
static void serve_processes(np_http_response *resp)
{
    size_t n;
    np_tree_proc *list = tree_procs(&n);
    np_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
    np_http_printf(resp, "pid\tppid\taddress\tprogram\tcommand line\n");
    if (n == 0) /* not serving as part of a tree: this process alone */
        np_http_printf(resp, "%d\t%d\t-\t-\t", (int)getpid(), (int)getppid());
    for (size_t i = 0; i < n; i++) {
        np_http_printf(resp, "%d\t%d\t%s\t%s\t", (int)list[i].pid, (int)list[i].ppid, list[i].addr,
                       list[i].program);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)list[i].pid);
        np_buf cmd = {0};
        np_err err;
        if (np_read_file(path, &cmd, &err) == 0) {
            for (size_t k = 0; k < cmd.len; k++)
                if (cmd.data[k] == 0 || cmd.data[k] == '\t' || cmd.data[k] == '\n')
                    cmd.data[k] = ' ';
            while (cmd.len && cmd.data[cmd.len - 1] == ' ')
                cmd.len--;
            np_http_write(resp, cmd.data, cmd.len);
        }
        np_buf_free(&cmd);
        np_http_printf(resp, "\n");
    }
    free(list);
}

static void serve_index(np_http_response *resp)
{
    size_t n;
    const np_kind *kinds = np_kinds(&n);
    np_http_add_header(resp, "Content-Type", "text/html; charset=utf-8");
    np_http_printf(resp, "<html>\n<head>\n<title>/debug/pprof/</title>\n<style>\n.profile-name{\n"
                         "\tdisplay:inline-block;\n\twidth:6rem;\n}\n</style>\n</head>\n<body>\n"
                         "/debug/pprof/<br>\n<br>\nTypes of profiles available:\n<table>\n"
                         "<thead><td>Count</td><td>Profile</td></thead>\n");
    for (size_t i = 0; i < n; i++)
        np_http_printf(resp, "<tr><td>%zu</td><td><a href='%s?debug=1'>%s</a></td></tr>\n",
                       kinds[i].count ? kinds[i].count() : 0, kinds[i].name, kinds[i].name);
    np_http_printf(resp, "</table>\n<br>\n<p>\nProfile Descriptions:\n<ul>\n");
    for (size_t i = 0; i < n; i++)
        np_http_printf(resp, "<li><div class=profile-name>%s: </div> %s</li>\n", kinds[i].name,
                       kinds[i].description);
    np_http_printf(resp, "</ul>\n</p>\n");
    serve_tree_index(resp);
    np_http_printf(resp, "</body>\n</html>");
}

static void serve_cmdline(np_http_response *resp)
{
    np_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
    np_buf b = {0};
    np_err err;
    if (np_read_file("/proc/self/cmdline", &b, &err) == 0) {
        /* Go joins os.Args with NUL; /proc ends the last one with NUL too. */
        size_t n = b.len && b.data[b.len - 1] == 0 ? b.len - 1 : b.len;
        np_http_write(resp, b.data, n);
    }
    np_buf_free(&b);
}

/* The function name of the (outermost) frame at pc, for the symbol endpoint. */
static bool symbol_name(uint64_t pc, const np_module_seg *segs, size_t n, np_buf *out)
{
    const np_module_seg *seg = np_modules_find(segs, n, pc);
    if (!seg)
        return false;
    np_elf *e = NULL;
    np_err err;
    if (np_elf_open(seg->path, &e, &err) < 0)
        return false;
    np_sym_frame frames[32];
    int nf = np_elf_symbolize(e, np_elf_file_address(e, pc, seg->start, seg->offset), frames, 32);
    bool ok = nf > 0 && frames[nf - 1].function;
    if (ok)
        np_buf_puts(out, frames[nf - 1].function);
    np_elf_close(e);
    return ok;
}

static void serve_symbol(const np_http_request *req, np_http_response *resp)
{
    np_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
    np_http_printf(resp, "num_symbols: 1\n");
    const char *in = strcmp(req->method, "POST") == 0 ? req->body : req->query;
    size_t n;
    np_module_seg *segs = np_modules_take(&n);
    np_buf name = {0};
    for (const char *p = in ? in : ""; *p;) {
        const char *plus = strchr(p, '+');
        size_t len = plus ? (size_t)(plus - p) : strlen(p);
        char word[32];
        if (len < sizeof word) {
            memcpy(word, p, len);
            word[len] = 0;
            char *end;
            errno = 0;
            uint64_t pc = strtoull(word, &end, 0);
            name.len = 0;
            if (pc && !errno && *end == 0 && symbol_name(pc, segs, n, &name))
                np_http_printf(resp, "%#" PRIx64 " %s\n", pc, np_buf_cstr(&name));
        }
        p += len + (plus != NULL);
    }
    np_buf_free(&name);
    np_modules_release(segs);
}

static bool param_int(const np_http_request *req, const char *name, long long *out, bool *present)
{
    np_buf v = {0};
    *present = np_http_query_param(req, name, &v);
    bool ok = true;
    *out = 0;
    if (*present) {
        char *end;
        errno = 0;
        *out = strtoll(np_buf_cstr(&v), &end, 10);
        ok = v.len > 0 && *end == 0 && !errno;
    }
    np_buf_free(&v);
    return ok;
}

static void send_proto(np_http_response *resp, np_profile *p, const char *filename)
{
    np_buf raw = {0}, gz = {0};
    np_err err;
    np_profile_encode(p, &raw);
    if (np_gzip(raw.data, raw.len, &gz, &err) < 0) {
        serve_error(resp, 500, err.msg);
    } else {
        char disp[128];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
        np_http_add_header(resp, "Content-Type", "application/octet-stream");
        np_http_add_header(resp, "Content-Disposition", disp);
        np_http_write(resp, gz.data, gz.len);
    }
    np_buf_free(&raw);
    np_buf_free(&gz);
}

/* The profile now; NULL (the answer made) when it cannot be built. */
static np_profile *profile_now(const np_kind *k, np_http_response *resp)
{
    np_profile *p = k->profile();
    if (!p)
        serve_error(resp, 500, "out of memory");
    return p;
}

/* ?seconds=N: the difference between two profiles N seconds apart, as Go's delta profiles (the
 * first scaled by -1 and merged into the second; what did not change drops out); NULL (the
 * answer made) when the request is wrong or the client left. */
static np_profile *delta_profile(const np_http_request *req, np_http_response *resp, const np_kind *k,
                                 long long sec, bool sec_ok)
{
    if (!sec_ok || sec <= 0) {
        serve_error(resp, 400, "invalid value for \"seconds\" - must be a positive integer");
        return NULL;
    }
    long long debug;
    bool has_debug;
    param_int(req, "debug", &debug, &has_debug);
    if (debug != 0) {
        serve_error(resp, 400, "seconds and debug params are incompatible");
        return NULL;
    }
    np_profile *p0 = profile_now(k, resp);
    if (!p0)
        return NULL;
    for (long long waited = 0; waited < sec * 10; waited++) {
        if (np_http_client_gone(resp)) {
            np_profile_free(p0);
            serve_error(resp, 500, "context canceled");
            return NULL;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    np_profile *p1 = profile_now(k, resp);
    if (!p1) {
        np_profile_free(p0);
        return NULL;
    }
    int64_t t0 = p0->time_nanos, t1 = p1->time_nanos;
    np_scale(p0, -1);
    np_profile *both[2] = {p0, p1}, *p = NULL;
    np_err err;
    if (np_profile_merge(both, 2, &p, &err) < 0)
        serve_error(resp, 500, err.msg);
    np_profile_free(p0);
    np_profile_free(p1);
    if (p) {
        p->time_nanos = t1;
        p->duration_nanos = t1 - t0;
    }
    return p;
}

/* A profile of the table, of this process or (all) merged over the tree. */
static void serve_kind(const np_http_request *req, np_http_response *resp, const np_kind *k, bool all)
{
    long long sec, debug;
    bool has_sec, has_debug;
    bool sec_ok = param_int(req, "seconds", &sec, &has_sec);
    np_buf v = {0};
    bool delta = has_sec && np_http_query_param(req, "seconds", &v) && v.len > 0;
    np_buf_free(&v);
    param_int(req, "debug", &debug, &has_debug); /* like Go's Atoi: a bad value means 0 */
    if (debug != 0 && !delta && k->text) {
        if (all) {
            serve_error(resp, 400, "pid=all merges profiles: it needs debug=0");
            return;
        }
        np_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
        np_buf text = {0};
        k->text(&text, (int)debug);
        np_http_write(resp, text.data, text.len);
        np_buf_free(&text);
        return;
    }
    np_fanout *f = all ? np_fanout_start(req) : NULL;
    np_profile *p = delta ? delta_profile(req, resp, k, sec, sec_ok) : profile_now(k, resp);
    np_err err;
    if (f) {
        bool answered = p == NULL;
        p = np_fanout_finish(f, p ? p : np_profile_new(), &err);
        if (answered) {
            np_profile_free(p);
            return;
        }
        if (!p) {
            serve_error(resp, 500, err.msg);
            return;
        }
    }
    if (!p)
        return;
    char filename[64];
    snprintf(filename, sizeof filename, "%s%s", k->name, delta ? "-delta" : "");
    send_proto(resp, p, filename);
    np_profile_free(p);
}

/* /debug/pprof/profile?seconds=N: a CPU profile of the next N seconds (30 when N is missing or
 * not a positive integer, as Go), or Go's 500 when one is running already. */
static void serve_cpu(const np_http_request *req, np_http_response *resp, bool all)
{
    long long sec;
    bool has_sec;
    if (!param_int(req, "seconds", &sec, &has_sec) || sec <= 0)
        sec = 30;
    char why[160], msg[200];
    if (np_cpu_begin(why, sizeof why) < 0) {
        snprintf(msg, sizeof msg, "Could not enable CPU profiling: %s", why);
        serve_error(resp, 500, msg);
        return;
    }
    np_fanout *f = all ? np_fanout_start(req) : NULL;
    for (long long waited = 0; waited < sec * 10 && !np_http_client_gone(resp); waited++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    np_profile *p = np_cpu_end();
    np_err err;
    int64_t wall = p ? p->duration_nanos : 0;
    if (f && p)
        p = np_fanout_finish(f, p, &err);
    /* The processes were profiled side by side: the tree's profile lasted as long as each
     * one's, where merging adds their durations up. */
    if (f && p)
        p->duration_nanos = wall;
    if (!p)
        serve_error(resp, 500, f ? err.msg : "out of memory");
    else if (!np_http_client_gone(resp))
        send_proto(resp, p, "profile");
    np_profile_free(p);
}

/* ?pid=N for another process of the tree: passed on to it. False when pid names this process
 * (or none), which answers as usual. */
static bool serve_other(const np_http_request *req, np_http_response *resp, const char *pid)
{
    char *end;
    long n = strtol(pid, &end, 10);
    if (*end || n <= 0) {
        serve_error(resp, 400, "invalid value for \"pid\" - must be a process id or all");
        return true;
    }
    if (n == (long)getpid())
        return false;
    np_tree_proc p;
    if (!np_tree_find((pid_t)n, &p)) {
        char msg[128];
        snprintf(msg, sizeof msg, "no process %ld in this tree (see /debug/pprof/processes)", n);
        serve_error(resp, 404, msg);
        return true;
    }
    np_fanout_proxy(req, &p, resp);
    return true;
}

static void serve_profile(const np_http_request *req, np_http_response *resp, const char *name)
{
    np_buf pid = {0};
    bool all = np_http_query_param(req, "pid", &pid) && strcmp(np_buf_cstr(&pid), "all") == 0;
    bool other = pid.len && !all && serve_other(req, resp, np_buf_cstr(&pid));
    np_buf_free(&pid);
    if (other)
        return;
    const np_kind *k = np_kind_find(name);
    if (!*name)
        serve_index(resp);
    else if (strcmp(name, "processes") == 0)
        serve_processes(resp);
    else if (k && k->profile)
        serve_kind(req, resp, k, all);
    else if (strcmp(name, "profile") == 0)
        serve_cpu(req, resp, all);
    else if (all)
        serve_error(resp, 400, "pid=all is for profiles (see the index)");
    else if (strcmp(name, "cmdline") == 0)
        serve_cmdline(resp);
    else if (strcmp(name, "symbol") == 0)
        serve_symbol(req, resp);
    else
        serve_error(resp, 404, "Unknown profile");
}

void np_endpoints_handle(const np_http_request *req, np_http_response *resp, void *ctx)
{
    (void)ctx;
    np_enter(); /* this thread's allocations are the collector's, never sampled */
    np_http_add_header(resp, "X-Content-Type-Options", "nosniff");
    if (strncmp(req->path, prefix, sizeof prefix - 1) != 0) {
        np_http_set_status(resp, 404);
        np_http_printf(resp, "404 page not found\n");
    } else {
        serve_profile(req, resp, req->path + sizeof prefix - 1);
    }
    /* Building a profile churns megabytes (symbol tables, the profile, its encoding) that
     * glibc would otherwise keep in its arenas: give them back to the system. */
    malloc_trim(0);
    np_leave();
}
