/* Loaded-object enumeration through dl_iterate_phdr (only from collector threads: it takes the
 * loader lock), with build IDs read from the PT_NOTE segments already in memory. */
#include "collect/modules.h"

#include "collect/cmem.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct collect {
    np_module_seg *segs;
    size_t n, max;
    int module;
} collect;

static void build_id_of(const struct dl_phdr_info *info, char *out, size_t cap)
{
    out[0] = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *nh;
            const unsigned char *desc = (const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
            if ((const char *)desc + nh->n_descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                size_t k = 0;
                for (size_t j = 0; j < nh->n_descsz && k + 3 < cap; j++)
                    k += (size_t)snprintf(out + k, cap - k, "%02x", desc[j]);
                return;
            }
            p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    collect *c = arg;
    char path[512];
    const char *name = info->dlpi_name;
    if (!name || !*name) {
        /* The first object is the program itself (its name is empty). */
        ssize_t n = c->module == 0 ? readlink("/proc/self/exe", path, sizeof path - 1) : -1;
        path[n > 0 ? n : 0] = 0;
    } else {
        snprintf(path, sizeof path, "%s", name);
    }
    char build_id[80];
    build_id_of(info, build_id, sizeof build_id);
    for (int i = 0; i < info->dlpi_phnum && c->n < c->max; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        np_module_seg *s = &c->segs[c->n++];
        s->start = info->dlpi_addr + ph->p_vaddr;
        s->limit = s->start + ph->p_memsz;
        s->offset = ph->p_offset;
        s->module = c->module;
        snprintf(s->path, sizeof s->path, "%s", path);
        snprintf(s->build_id, sizeof s->build_id, "%s", build_id);
    }
    c->module++;
    return 0;
}

static int by_start(const void *a, const void *b)
{
    const np_module_seg *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* dl_iterate_phdr holds the loader's dl_load_write_lock while it runs, and glibc (2.36) does
 * not reset that lock in a fork child: a fork from another thread during a snapshot left the
 * child deadlocked in its own first snapshot (its heap dump at exit, or a server it starts).
 * Snapshots hold modules_lock, which the fork handlers take, so none runs across a fork. */
static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;

void np_modules_fork_lock(void)
{
    pthread_mutex_lock(&modules_lock);
}

void np_modules_fork_unlock(void)
{
    pthread_mutex_unlock(&modules_lock);
}

void np_modules_fork_child(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&modules_lock, &fresh, sizeof fresh);
}

size_t np_modules_snapshot(np_module_seg *segs, size_t max)
{
    collect c = {segs, 0, max, 0};
    pthread_mutex_lock(&modules_lock);
    dl_iterate_phdr(visit, &c);
    pthread_mutex_unlock(&modules_lock);
    /* Keep the program's segment first (pprof treats mapping 1 as the main binary); sort the
     * rest for lookups. */
    if (c.n > 1)
        qsort(segs + 1, c.n - 1, sizeof *segs, by_start);
    return c.n;
}

np_module_seg *np_modules_take(size_t *n)
{
    np_module_seg *segs = np_cmem_map(NP_MAX_SEGS * sizeof *segs);
    *n = segs ? np_modules_snapshot(segs, NP_MAX_SEGS) : 0;
    return segs;
}

void np_modules_release(np_module_seg *segs)
{
    np_cmem_unmap(segs, NP_MAX_SEGS * sizeof *segs);
}

const np_module_seg *np_modules_find(const np_module_seg *segs, size_t n, uint64_t addr)
{
    if (n && addr >= segs[0].start && addr < segs[0].limit)
        return &segs[0];
    size_t lo = 1, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < segs[mid].start)
            hi = mid;
        else if (addr >= segs[mid].limit)
            lo = mid + 1;
        else
            return &segs[mid];
    }
    return NULL;
}

/* ---- unloaded objects ---- */

enum { RETIRED = 64 };
static np_module_seg retired[RETIRED]; /* a ring: retired[(next - 1) % RETIRED] is the newest */
static size_t n_retired, next_retired;

static bool live_in(const np_module_seg *segs, size_t n, const np_module_seg *s)
{
    for (size_t i = 0; i < n; i++)
        if (segs[i].start == s->start && strcmp(segs[i].path, s->path) == 0)
            return true;
    return false;
}

void np_modules_retire_gone(const np_module_seg *before, size_t n)
{
    size_t n_now;
    np_module_seg *now = np_modules_take(&n_now);
    if (!now)
        return;
    pthread_mutex_lock(&modules_lock);
    for (size_t i = 0; i < n; i++) {
        if (live_in(now, n_now, &before[i]) || !before[i].path[0])
            continue;
        retired[next_retired] = before[i];
        next_retired = (next_retired + 1) % RETIRED;
        n_retired += n_retired < RETIRED;
    }
    pthread_mutex_unlock(&modules_lock);
    np_modules_release(now);
}

size_t np_modules_add_retired(np_module_seg *segs, size_t n, size_t max)
{
    pthread_mutex_lock(&modules_lock);
    for (size_t k = 1; k <= n_retired && n < max; k++)
        segs[n++] = retired[(next_retired + RETIRED - k) % RETIRED];
    pthread_mutex_unlock(&modules_lock);
    return n;
}

const np_module_seg *np_modules_find_retired(const np_module_seg *segs, size_t n, uint64_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (addr >= segs[i].start && addr < segs[i].limit)
            return &segs[i];
    return NULL;
}
