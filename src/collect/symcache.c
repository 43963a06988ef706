/* The symbolization cache of symcache.h: a hash map from (build ID, address) to a run of frames,
 * whose strings are interned once each in one buffer. */
#include "collect/symcache.h"

#include <stdlib.h>
#include <string.h>

#include "collect/spin.h"
#include "core/hmap.h"

/* Enough for the distinct addresses of a large server's profiles many times over; the strings
 * of one such cache took a few megabytes. */
enum { MAX_ENTRIES = 1u << 16, MAX_STRING_BYTES = 8u << 20, MAX_FRAMES = 32 };

typedef struct entry {
    uint32_t first, n; /* frames[first .. first + n) */
    np_symcache_hit hit;
} entry;

typedef struct cframe {
    uint32_t function, file; /* offsets in strs, NONE for NULL */
    int64_t line, start_line;
    uint64_t func_start;
} cframe;

#define NONE UINT32_MAX

static atomic_int lock;
static struct {
    np_hmap keys, str_ids;
    entry *entries;
    size_t n_entries, cap_entries;
    cframe *frames;
    size_t n_frames, cap_frames;
    np_buf strs;
    bool ready;
} c;

void np_symcache_lock(void)
{
    np_spin_lock(&lock);
}

void np_symcache_unlock(void)
{
    np_spin_unlock(&lock);
}

static void start_over(void)
{
    if (c.ready) {
        np_hmap_free(&c.keys);
        np_hmap_free(&c.str_ids);
        free(c.entries);
        free(c.frames);
        np_buf_free(&c.strs);
    }
    memset(&c, 0, sizeof c);
    np_hmap_init(&c.keys, 1024);
    np_hmap_init(&c.str_ids, 1024);
    c.ready = true;
}

/* The key of an address: the build ID's characters, then the address's bytes. */
static size_t make_key(const char *build_id, uint64_t off, char *key, size_t cap)
{
    size_t n = strlen(build_id);
    if (n + sizeof off > cap)
        n = cap - sizeof off;
    memcpy(key, build_id, n);
    memcpy(key + n, &off, sizeof off);
    return n + sizeof off;
}

int np_symcache_get(const char *build_id, uint64_t off, np_sym_frame *out, int max, np_symcache_hit *hit)
{
    if (!c.ready || !build_id[0])
        return -1;
    char key[128];
    uint32_t ix = np_hmap_get(&c.keys, key, make_key(build_id, off, key, sizeof key));
    if (ix == UINT32_MAX)
        return -1;
    const entry *e = &c.entries[ix];
    int n = (int)e->n < max ? (int)e->n : max;
    for (int i = 0; i < n; i++) {
        const cframe *f = &c.frames[e->first + (uint32_t)i];
        out[i] = (np_sym_frame){f->function == NONE ? NULL : c.strs.data + f->function,
                                f->file == NONE ? NULL : c.strs.data + f->file, f->line, f->start_line,
                                f->func_start};
    }
    *hit = e->hit;
    return n;
}

static uint32_t intern(const char *s)
{
    if (!s)
        return NONE;
    size_t len = strlen(s);
    bool found;
    uint32_t off = np_hmap_intern(&c.str_ids, s, len, (uint32_t)c.strs.len, &found);
    if (!found)
        np_buf_add(&c.strs, s, len + 1);
    return off;
}

void np_symcache_put(const char *build_id, uint64_t off, const np_sym_frame *frames, int n,
                     const np_symcache_hit *hit)
{
    if (!build_id[0] || n < 0)
        return;
    if (n > MAX_FRAMES)
        n = MAX_FRAMES;
    if (!c.ready || c.n_entries >= MAX_ENTRIES || c.strs.len >= MAX_STRING_BYTES)
        start_over();
    char key[128];
    bool found;
    np_hmap_intern(&c.keys, key, make_key(build_id, off, key, sizeof key), (uint32_t)c.n_entries, &found);
    if (found)
        return;
    *NP_PUSH(c.entries, c.n_entries, c.cap_entries) = (entry){(uint32_t)c.n_frames, (uint32_t)n, *hit};
    for (int i = 0; i < n; i++)
        *NP_PUSH(c.frames, c.n_frames, c.cap_frames) =
            (cframe){intern(frames[i].function), intern(frames[i].file), frames[i].line, frames[i].start_line,
                     frames[i].func_start};
}

void np_symcache_child_reset(void)
{
    atomic_store(&lock, 0);
    /* Dropped, not freed: another thread may have been half-way through changing it. */
    memset(&c, 0, sizeof c);
}
