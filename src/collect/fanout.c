/* Fan-out to the other processes of the tree, through their own servers on loopback. */
#include "collect/fanout.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/gz.h"
#include "core/httpc.h"
#include "core/merge.h"
#include "collect/sampler.h"

/* The request's target without its pid parameter: what the other process answers for itself. */
static void target_without_pid(const np_http_request *req, np_buf *out)
{
    np_buf_puts(out, req->path);
    char sep = '?';
    for (const char *p = req->query; *p;) {
        size_t len = strcspn(p, "&");
        if (!(strncmp(p, "pid", 3) == 0 && (p[3] == '=' || p[3] == '&' || p[3] == 0 || len == 3))) {
            np_buf_putc(out, sep);
            np_buf_add(out, p, len);
            sep = '&';
        }
        p += len + (p[len] == '&');
    }
    np_buf_cstr(out);
}

/* How long to wait for an answer: a delta profile takes its seconds first. */
static int timeout_ms(const np_http_request *req)
{
    np_buf v = {0};
    long long sec = np_http_query_param(req, "seconds", &v) ? strtoll(np_buf_cstr(&v), NULL, 10) : 0;
    np_buf_free(&v);
    if (sec < 0 || sec > 86400)
        sec = 0;
    return (int)(sec + 30) * 1000;
}

static int ask(const np_http_request *req, const char *addr, np_httpc_reply *reply, np_err *err)
{
    np_buf target = {0};
    target_without_pid(req, &target);
    int rc = np_httpc_get(addr, target.data, np_http_header_value(req, "Authorization"), timeout_ms(req),
                          reply, err);
    np_buf_free(&target);
    return rc;
}

void np_fanout_proxy(const np_http_request *req, const np_tree_proc *p, np_http_response *resp)
{
    np_httpc_reply reply;
    np_err err;
    if (ask(req, p->addr, &reply, &err) < 0) {
        np_http_set_status(resp, 502);
        np_http_add_header(resp, "X-Go-Pprof", "1");
        np_http_printf(resp, "process %d (%s) did not answer: %s\n", (int)p->pid, p->program, err.msg);
        return;
    }
    np_http_set_status(resp, reply.status);
    if (reply.content_type[0])
        np_http_add_header(resp, "Content-Type", reply.content_type);
    if (reply.disposition[0])
        np_http_add_header(resp, "Content-Disposition", reply.disposition);
    if (reply.status != 200)
        np_http_add_header(resp, "X-Go-Pprof", "1");
    np_http_write(resp, reply.body.data, reply.body.len);
    np_buf_free(&reply.body);
}

/* One other process being asked. */
typedef struct asked {
    const np_http_request *req;
    np_tree_proc proc;
    pthread_t thread;
    bool started;
    np_profile *profile; /* its answer, decoded; NULL with err */
    np_err err;
} asked;

struct np_fanout {
    asked *procs;
    size_t n;
};

static void *ask_one(void *arg)
{
    asked *a = arg;
    np_enter(); /* a collector thread: its allocations are never sampled */
    np_httpc_reply reply;
    np_buf raw = {0};
    a->err.msg[0] = 0;
    if (ask(a->req, a->proc.addr, &reply, &a->err) < 0)
        return NULL;
    if (reply.status != 200) {
        np_fail(&a->err, "answered %d: %.200s", reply.status, np_buf_cstr(&reply.body));
    } else if (np_gunzip(reply.body.data, reply.body.len, &raw, &a->err) == 0 &&
               np_profile_decode(raw.data, raw.len, &a->profile, &a->err) < 0) {
        a->profile = NULL;
    }
    np_buf_free(&raw);
    np_buf_free(&reply.body);
    return NULL;
}

/* At most this many processes are asked at once: a tree of hundreds (postgres' backends) is
 * asked in rounds, not with hundreds of threads. */
enum { MAX_PROCS = 4096, AT_ONCE = 32 };

/* Asks procs [from, to) on threads of their own. */
static void ask_range(np_fanout *f, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        asked *a = &f->procs[i];
        a->started = pthread_create(&a->thread, NULL, ask_one, a) == 0;
        if (!a->started)
            np_fail(&a->err, "cannot start a thread to ask it");
    }
}

static void wait_range(np_fanout *f, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (f->procs[i].started)
            pthread_join(f->procs[i].thread, NULL);
}

np_fanout *np_fanout_start(const np_http_request *req)
{
    np_fanout *f = calloc(1, sizeof *f);
    np_tree_proc *list = malloc(MAX_PROCS * sizeof *list);
    if (!f || !list) {
        free(list);
        return f;
    }
    size_t n = np_tree_list(list, MAX_PROCS);
    f->procs = calloc(n ? n : 1, sizeof *f->procs);
    for (size_t i = 0; f->procs && i < n; i++) {
        if (list[i].pid == getpid())
            continue;
        asked *a = &f->procs[f->n++];
        a->req = req;
        a->proc = list[i];
    }
    free(list);
    ask_range(f, 0, f->n < AT_ONCE ? f->n : AT_ONCE); /* the rest once these have answered */
    return f;
}

/* Adds the numeric label pid to every sample of p. */
static void label_pid(np_profile *p, pid_t pid)
{
    const char *key = np_profile_str(p, "pid");
    for (size_t i = 0; i < p->n_sample; i++) {
        np_sample *s = &p->sample[i];
        np_label *l = np_arena_alloc(&p->arena, (s->n_label + 1) * sizeof *l);
        if (s->n_label)
            memcpy(l, s->label, s->n_label * sizeof *l);
        l[s->n_label] = (np_label){key, "", "", pid};
        s->label = l;
        s->n_label++;
        np_labels_sort(s->label, s->n_label);
    }
}

np_profile *np_fanout_finish(np_fanout *f, np_profile *local, np_err *err)
{
    size_t n = f ? f->n : 0;
    np_profile **all = malloc((n + 1) * sizeof *all);
    size_t k = 0;
    label_pid(local, getpid());
    if (all)
        all[k++] = local;
    wait_range(f, 0, n < AT_ONCE ? n : AT_ONCE);
    for (size_t from = AT_ONCE; from < n; from += AT_ONCE) {
        size_t to = from + AT_ONCE < n ? from + AT_ONCE : n;
        ask_range(f, from, to);
        wait_range(f, from, to);
    }
    for (size_t i = 0; i < n; i++) {
        asked *a = &f->procs[i];
        if (a->profile && all && np_profile_compatible(local, a->profile, &a->err) == 0) {
            label_pid(a->profile, a->proc.pid);
            all[k++] = a->profile;
            a->profile = NULL;
        }
        np_profile_free(a->profile);
    }
    np_profile *merged = NULL;
    if (all && np_profile_merge(all, k, &merged, err) == 0) {
        char line[700];
        for (size_t i = 0; i < n; i++) {
            asked *a = &f->procs[i];
            if (a->err.msg[0]) {
                snprintf(line, sizeof line, "pid %d (%s) is not in this profile: %s", (int)a->proc.pid,
                         a->proc.program, a->err.msg);
                np_profile_add_comment(merged, line);
            }
        }
    }
    for (size_t i = 0; i < k; i++)
        np_profile_free(all[i]);
    free(all);
    if (f)
        free(f->procs);
    free(f);
    if (!all) {
        np_profile_free(local);
        np_fail(err, "out of memory");
    }
    return merged;
}
