/* Count profiles: equal stacks merged, then ordered as Go orders them (count, then the text of
 * the stack), so that the text and the proto list stacks alike. */
#include "collect/countprof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/pbuild.h"

/* What a frame is located by in the text: a return address, or one past an exact leaf, as
 * pprof subtracts one from every address it reads there. */
static uintptr_t text_pc(const np_count_rec *r, int k)
{
    return k == 0 && r->leaf_exact ? r->pcs[0] + 1 : r->pcs[k];
}

static int by_stack(const void *x, const void *y)
{
    const np_count_rec *a = x, *b = y;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    if (a->leaf_exact != b->leaf_exact)
        return a->leaf_exact ? 1 : -1;
    for (int k = 0; k < a->n; k++)
        if (a->pcs[k] != b->pcs[k])
            return a->pcs[k] < b->pcs[k] ? -1 : 1;
    return 0;
}

/* Go breaks ties between counts by the "@ 0x..." key as a string. */
static int by_key_text(const np_count_rec *a, const np_count_rec *b)
{
    char x[24], y[24];
    for (int k = 0; k < a->n && k < b->n; k++) {
        snprintf(x, sizeof x, "%#" PRIxPTR, text_pc(a, k));
        snprintf(y, sizeof y, "%#" PRIxPTR, text_pc(b, k));
        int c = strcmp(x, y);
        if (c)
            return c;
    }
    return a->n < b->n ? -1 : a->n > b->n;
}

static int by_count(const void *x, const void *y)
{
    const np_count_rec *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return by_key_text(a, b);
}

/* Merges equal stacks and orders the result; the number of records left. */
static size_t group(np_count_rec *recs, size_t n)
{
    if (n == 0)
        return 0;
    qsort(recs, n, sizeof *recs, by_stack);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (by_stack(&recs[out], &recs[i]) == 0)
            recs[out].count += recs[i].count;
        else
            recs[++out] = recs[i];
    }
    n = out + 1;
    qsort(recs, n, sizeof *recs, by_count);
    return n;
}

np_profile *np_countprof_profile(const char *name, np_count_rec *recs, size_t n)
{
    np_value_type type = {name, "count"};
    np_pbuild *b = np_pbuild_new(&type, 1, name, "count", 1);
    if (!b)
        return NULL;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    np_pbuild_profile(b)->time_nanos = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    n = group(recs, n);
    for (size_t i = 0; i < n; i++)
        np_pbuild_sample(b, recs[i].pcs, recs[i].n, recs[i].leaf_exact, &recs[i].count);
    return np_pbuild_finish(b);
}

void np_countprof_text(const char *name, np_count_rec *recs, size_t n, np_buf *out)
{
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += recs[i].count;
    n = group(recs, n);
    np_buf_printf(out, "%s profile: total %" PRId64 "\n", name, total);
    np_pbuild *b = np_pbuild_new(NULL, 0, "", "", 0);
    for (size_t i = 0; b && i < n; i++)
        np_pbuild_locate(b, recs[i].pcs, recs[i].n, recs[i].leaf_exact);
    if (b)
        np_pbuild_symbolize(b);
    for (size_t i = 0; i < n; i++) {
        if (recs[i].n == 0)
            continue; /* in the total only: a record's line needs an address */
        np_buf_printf(out, "%" PRId64 " @", recs[i].count);
        for (int k = 0; k < recs[i].n; k++)
            np_buf_printf(out, " %#" PRIxPTR, text_pc(&recs[i], k));
        np_buf_putc(out, '\n');
        if (b)
            np_pbuild_frames_text(b, recs[i].pcs, recs[i].n, recs[i].leaf_exact, out);
        np_buf_putc(out, '\n');
    }
    np_pbuild_free(b);
}
