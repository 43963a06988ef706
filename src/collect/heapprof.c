/* The heap and allocs profiles from snapshots of the sampled buckets, values unbiased, through
 * the shared profile builder; and Go's legacy heap text. */
#include "collect/heapprof.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/gz.h"
#include "collect/pbuild.h"
#include "collect/sampler.h"

static int64_t now_nanos(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void np_heap_snap_take(np_heap_snap *s)
{
    s->n = np_heaptab_snapshot(&s->recs);
    s->time_nanos = now_nanos();
}

void np_heap_snap_free(np_heap_snap *s)
{
    free(s->recs);
    s->recs = NULL;
    s->n = 0;
}

static int64_t round_est(double v)
{
    return (int64_t)llround(v);
}

np_profile *np_heap_profile(const np_heap_snap *s, bool allocs, int64_t duration_nanos)
{
    static const np_value_type types[4] = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                                           {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
    np_pbuild *b = np_pbuild_new(types, 4, "space", "bytes", np_sampler_rate());
    if (!b)
        return NULL;
    np_profile *p = np_pbuild_profile(b);
    p->time_nanos = s->time_nanos;
    p->duration_nanos = duration_nanos;
    if (allocs)
        p->default_sample_type = np_profile_str(p, "alloc_space");
    for (size_t i = 0; i < s->n; i++) {
        const np_heap_rec *r = &s->recs[i];
        double size = (double)r->size;
        int64_t v[4] = {round_est(r->est_alloc_objs), round_est(r->est_alloc_objs * size),
                        round_est(r->est_alloc_objs - r->est_free_objs),
                        round_est((r->est_alloc_objs - r->est_free_objs) * size)};
        np_sample *smp = np_pbuild_sample(b, r->pcs, r->n_pcs, false, v);
        np_pbuild_label(b, smp, "bytes", NULL, (int64_t)r->size, NULL);
    }
    return np_pbuild_finish(b);
}

static np_profile *profile_now(bool allocs)
{
    np_heap_snap s;
    np_heap_snap_take(&s);
    np_profile *p = np_heap_profile(&s, allocs, 0);
    np_heap_snap_free(&s);
    return p;
}

np_profile *np_heap_inuse_profile(void)
{
    return profile_now(false);
}

np_profile *np_heap_allocs_profile(void)
{
    return profile_now(true);
}

size_t np_heap_count(void)
{
    return np_heaptab_buckets();
}

void np_heap_text(np_buf *out, int debug)
{
    (void)debug;
    np_heap_write_text(out);
}

int np_heap_write_proto(np_buf *out, bool allocs, np_err *err)
{
    np_heap_snap s;
    np_heap_snap_take(&s);
    np_profile *p = np_heap_profile(&s, allocs, 0);
    if (!p) {
        np_heap_snap_free(&s);
        return np_fail(err, "out of memory");
    }
    np_buf raw = {0};
    np_profile_encode(p, &raw);
    int rc = np_gzip(raw.data, raw.len, out, err);
    np_buf_free(&raw);
    np_profile_free(p);
    np_heap_snap_free(&s);
    return rc;
}

/* Counts as the legacy text wants them: "sampled" numbers that pprof's unsampling
 * (count / (1 - exp(-size/rate))) turns back into our estimates. For objects sampled the Go
 * way that is the sampled count itself; for large objects, which are always recorded, it is
 * the exact count scaled down so pprof does not inflate it. */
typedef struct text_rec {
    const np_heap_rec *r;
    int64_t inuse_count, inuse_bytes, alloc_count, alloc_bytes;
} text_rec;

static text_rec text_counts(const np_heap_rec *r, int64_t rate)
{
    double p = 1 / np_sample_weight(r->size, rate);
    text_rec t = {r, llround((r->est_alloc_objs - r->est_free_objs) * p), 0, llround(r->est_alloc_objs * p), 0};
    t.inuse_bytes = t.inuse_count * (int64_t)r->size;
    t.alloc_bytes = t.alloc_count * (int64_t)r->size;
    return t;
}

static int by_inuse_desc(const void *a, const void *b)
{
    const text_rec *x = a, *y = b;
    return x->inuse_bytes > y->inuse_bytes ? -1 : x->inuse_bytes < y->inuse_bytes;
}

void np_heap_write_text(np_buf *out)
{
    np_heap_snap s;
    np_heap_snap_take(&s);
    int64_t rate = np_sampler_rate();
    text_rec *tr = malloc((s.n + 1) * sizeof *tr);
    int64_t io = 0, ib = 0, ao = 0, ab = 0;
    for (size_t i = 0; tr && i < s.n; i++) {
        tr[i] = text_counts(&s.recs[i], rate);
        io += tr[i].inuse_count;
        ib += tr[i].inuse_bytes;
        ao += tr[i].alloc_count;
        ab += tr[i].alloc_bytes;
    }
    if (tr)
        qsort(tr, s.n, sizeof *tr, by_inuse_desc);
    /* Go writes twice the sampling rate after "heap/": pprof halves it back. */
    np_buf_printf(out, "heap profile: %" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "] @ heap/%" PRId64 "\n",
                  io, ib, ao, ab, 2 * rate);
    np_pbuild *b = np_pbuild_new(NULL, 0, "", "", 0);
    /* Every location first, so they are symbolized together, module by module. */
    for (size_t i = 0; tr && b && i < s.n; i++)
        np_pbuild_locate(b, tr[i].r->pcs, tr[i].r->n_pcs, false);
    if (b)
        np_pbuild_symbolize(b);
    for (size_t i = 0; tr && b && i < s.n; i++) {
        const np_heap_rec *r = tr[i].r;
        np_buf_printf(out, "%" PRId64 ": %" PRId64 " [%" PRId64 ": %" PRId64 "]", tr[i].inuse_count,
                      tr[i].inuse_bytes, tr[i].alloc_count, tr[i].alloc_bytes);
        np_pbuild_record_text(b, r->pcs, r->n_pcs, false, out);
    }
    np_pbuild_maps_text(out, "MAPPED_LIBRARIES:");
    np_pbuild_free(b);
    free(tr);
    np_heap_snap_free(&s);
}
