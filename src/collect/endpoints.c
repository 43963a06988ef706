/* Request handling for /debug/pprof/: index, heap, allocs, cmdline and symbol, each answering
 * as Go's net/http/pprof does so that pprof, Parca and Pyroscope scrape nprof unchanged. */
#include "endpoints.h"

#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gz.h"
#include "heapprof.h"
#include "merge.h"
#include "modules.h"
#include "sampler.h"
#include "symbolize.h"

static const char prefix[] = "/debug/pprof/";

static void serve_error(np_http_response *resp, int status, const char *text)
{
    np_http_set_status(resp, status);
    np_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
    np_http_add_header(resp, "X-Go-Pprof", "1");
    np_http_printf(resp, "%s\n", text);
}

typedef struct profile_desc {
    const char *name, *description;
} profile_desc;

/* In the index's order (Go sorts by name). */
static const profile_desc profiles[] = {
    {"allocs", "A sampling of all past memory allocations"},
    {"cmdline", "The command line invocation of the current program"},
    {"heap", "A sampling of memory allocations of live objects. You can specify the gc GET parameter to run GC before taking the heap sample."},
};

static void serve_index(np_http_response *resp)
{
    size_t buckets = np_heaptab_buckets();
    np_http_add_header(resp, "Content-Type", "text/html; charset=utf-8");
    np_http_printf(resp, "<html>\n<head>\n<title>/debug/pprof/</title>\n<style>\n.profile-name{\n"
                         "\tdisplay:inline-block;\n\twidth:6rem;\n}\n</style>\n</head>\n<body>\n"
                         "/debug/pprof/<br>\n<br>\nTypes of profiles available:\n<table>\n"
                         "<thead><td>Count</td><td>Profile</td></thead>\n");
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        size_t count = strcmp(profiles[i].name, "cmdline") == 0 ? 0 : buckets;
        np_http_printf(resp, "<tr><td>%zu</td><td><a href='%s?debug=1'>%s</a></td></tr>\n", count,
                       profiles[i].name, profiles[i].name);
    }
    np_http_printf(resp, "</table>\n<br>\n<p>\nProfile Descriptions:\n<ul>\n");
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        np_http_printf(resp, "<li><div class=profile-name>%s: </div> %s</li>\n", profiles[i].name,
                       profiles[i].description);
    np_http_printf(resp, "</ul>\n</p>\n</body>\n</html>");
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

/* ?seconds=N: the difference between two snapshots N seconds apart, as Go's delta profiles. */
static void serve_delta(const np_http_request *req, np_http_response *resp, const char *name,
                        long long sec, bool sec_ok)
{
    if (!sec_ok || sec <= 0) {
        serve_error(resp, 400, "invalid value for \"seconds\" - must be a positive integer");
        return;
    }
    long long debug;
    bool has_debug;
    param_int(req, "debug", &debug, &has_debug);
    if (debug != 0) {
        serve_error(resp, 400, "seconds and debug params are incompatible");
        return;
    }
    np_heap_snap s0, s1;
    np_heap_snap_take(&s0);
    for (long long waited = 0; waited < sec * 10; waited++) {
        if (np_http_client_gone(resp)) {
            np_heap_snap_free(&s0);
            serve_error(resp, 500, "context canceled");
            return;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    np_heap_snap_take(&s1);
    np_heap_snap_subtract(&s1, &s0);
    np_profile *p = np_heap_profile(&s1, strcmp(name, "allocs") == 0, s1.time_nanos - s0.time_nanos);
    int64_t t = p->time_nanos, d = p->duration_nanos;
    p = np_profile_compact(p); /* drops the stacks that did not change */
    p->time_nanos = t;
    p->duration_nanos = d;
    char filename[64];
    snprintf(filename, sizeof filename, "%s-delta", name);
    send_proto(resp, p, filename);
    np_profile_free(p);
    np_heap_snap_free(&s0);
    np_heap_snap_free(&s1);
}

static void serve_heap(const np_http_request *req, np_http_response *resp, const char *name)
{
    long long sec, debug;
    bool has_sec, has_debug;
    bool sec_ok = param_int(req, "seconds", &sec, &has_sec);
    np_buf v = {0};
    if (has_sec && np_http_query_param(req, "seconds", &v) && v.len > 0) {
        np_buf_free(&v);
        serve_delta(req, resp, name, sec, sec_ok);
        return;
    }
    np_buf_free(&v);
    param_int(req, "debug", &debug, &has_debug); /* like Go's Atoi: a bad value means 0 */
    if (debug != 0) {
        np_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
        np_buf text = {0};
        np_heap_write_text(&text);
        np_http_write(resp, text.data, text.len);
        np_buf_free(&text);
        return;
    }
    np_heap_snap s;
    np_heap_snap_take(&s);
    np_profile *p = np_heap_profile(&s, strcmp(name, "allocs") == 0, 0);
    send_proto(resp, p, name);
    np_profile_free(p);
    np_heap_snap_free(&s);
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
        const char *name = req->path + sizeof prefix - 1;
        if (!*name)
            serve_index(resp);
        else if (strcmp(name, "cmdline") == 0)
            serve_cmdline(resp);
        else if (strcmp(name, "symbol") == 0)
            serve_symbol(req, resp);
        else if (strcmp(name, "heap") == 0 || strcmp(name, "allocs") == 0)
            serve_heap(req, resp, name);
        else
            serve_error(resp, 404, "Unknown profile");
    }
    /* Building a profile churns megabytes (symbol tables, the profile, its encoding) that
     * glibc would otherwise keep in its arenas: give them back to the system. */
    malloc_trim(0);
    np_leave();
}
