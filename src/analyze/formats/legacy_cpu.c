/* gperftools CPU profiles ("profilez"): the binary sample stream in any of the four word
 * layouts pprof accepts, its stack clean-ups, and the memory map that follows the samples. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>

/* Word layouts, in the order pprof tries them. */
enum { W32L, W32B, W64L, W64B };

/* A word reader that behaves like pprof's: a short read yields 0 and exhausts the reader for
 * good (Go's nil slice), which is different from merely reaching the end (empty slice). */
typedef struct words {
    const unsigned char *b;
    size_t n;
    int kind;
    bool dead;
} words;

static uint64_t next_word(words *w)
{
    size_t size = w->kind == W32L || w->kind == W32B ? 4 : 8;
    if (w->dead || w->n < size) {
        w->dead = true;
        w->n = 0;
        return 0;
    }
    uint64_t v = 0;
    bool big = w->kind == W32B || w->kind == W64B;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)w->b[big ? size - 1 - i : i] << (8 * i);
    w->b += size;
    w->n -= size;
    return v;
}

/* The samples: count, depth, then depth addresses, until the (0, 1, 0) end marker. Returns
 * LG_UNRECOGNIZED when a depth cannot fit in what is left, as pprof does. */
static int read_samples(lg_prof *lp, words *w, bool adjust)
{
    lg_addrs a = {0};
    int rc = LG_OK;
    while (!w->dead && w->n > 0) {
        uint64_t count = next_word(w), depth = next_word(w);
        /* pprof bounds the depth by 4-byte words even for 8-byte layouts; the missing
         * addresses of a truncated 64-bit stack then read as 0. */
        if (w->dead || depth > w->n / 4) {
            rc = LG_UNRECOGNIZED;
            break;
        }
        np_grow(&a.v, &a.cap, (size_t)depth, sizeof *a.v);
        for (size_t i = 0; i < depth; i++)
            a.v[i] = next_word(w);
        if (count == 0 && depth == 1 && a.v[0] == 0)
            break;
        lg_sample *s = lg_add_sample(lp, a.v, (size_t)depth, adjust ? LG_ADJ_CALLERS : LG_ADJ_NONE);
        s->v[0] = (int64_t)count;
        s->v[1] = lg_mul((int64_t)count, lp->period);
    }
    free(a.v);
    return rc;
}

/* If nearly every sample has the same second frame, that frame was pushed by the signal
 * handler, not by the program: drop it (twice at most, one odd sample in 32 tolerated). */
static void strip_signal_frames(lg_prof *lp)
{
    size_t n = lp->n_sample, margin = n / 32;
    uint32_t *count = np_xcalloc(lp->n_loc ? lp->n_loc : 1, sizeof *count);
    for (int iter = 0; iter < 2; iter++) {
        for (size_t i = 0; i < lp->n_loc; i++)
            count[i] = 0;
        for (size_t i = 0; i < n; i++)
            if (lp->sample[i].n_loc > 1)
                count[lg_sample_locs(lp, &lp->sample[i])[1]]++;
        /* At most one frame can reach n - n/32 of n samples, so the pick is unambiguous. */
        uint32_t frame = NP_NONE;
        for (size_t i = 0; i < lp->n_loc && frame == NP_NONE; i++)
            if (count[i] && count[i] >= n - margin)
                frame = (uint32_t)i;
        if (frame == NP_NONE)
            continue;
        for (size_t i = 0; i < n; i++) {
            lg_sample *s = &lp->sample[i];
            if (s->n_loc > 1 && lg_sample_locs(lp, s)[1] == frame)
                lg_drop_second_frame(lp, s);
        }
    }
    free(count);
}

static int cpu_profile(lg_prof *lp, words *w, lg_rx *rx, bool java, np_err *err)
{
    static const char *const types[] = {"samples", "count", "cpu", "nanoseconds"};
    lg_prof_set_types(lp, 2, types);
    lp->period_type = (np_value_type){"cpu", "nanoseconds"};
    int rc = read_samples(lp, w, !java);
    if (rc != LG_OK)
        return rc;
    const char *rest = (const char *)w->b;
    size_t n = w->dead ? 0 : w->n;
    if (java)
        return lg_java_finish(lp, rest, n, rx, err) < 0 ? LG_ERROR : LG_OK;
    strip_signal_frames(lp);
    lg_scanner s;
    lg_scan_init(&s, rest, n);
    if (lg_parse_memory_map(lp, &s, rx, err) < 0)
        return LG_ERROR;
    lg_drop_duplicate_leaf(lp);
    return LG_OK;
}

int lg_parse_cpu(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err)
{
    for (int kind = W32L; kind <= W64B; kind++) {
        words w = {(const unsigned char *)d, n, kind, false};
        uint64_t h[5];
        for (int i = 0; i < 5; i++)
            h[i] = next_word(&w);
        /* Header: 0, 3 (header words), 0 for C++ or 1 for Java, period in µs, 0. */
        if (w.dead || h[0] != 0 || h[1] != 3 || h[2] > 1 || h[3] == 0 || h[4] != 0)
            continue;
        lg_prof lp;
        lg_prof_init(&lp);
        lp.period = lg_mul((int64_t)h[3], 1000);
        int rc = cpu_profile(&lp, &w, rx, h[2] == 1, err);
        if (rc == LG_OK)
            *out = lg_prof_finish(&lp);
        lg_prof_free(&lp);
        return rc;
    }
    return LG_UNRECOGNIZED;
}
