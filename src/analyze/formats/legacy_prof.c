/* The profile a legacy parser builds, the renumbering pprof applies to it (location and
 * function ids in first-use order, mappings assigned by address), and its conversion to an
 * np_profile with pprof's legacy drop/keep frame patterns. */
#include "analyze/formats/legacy_int.h"

#include <stdlib.h>
#include <string.h>

void lg_prof_init(lg_prof *lp)
{
    memset(lp, 0, sizeof *lp);
    lp->out = np_profile_new();
    lp->period_type = (np_value_type){"", ""};
}

void lg_prof_free(lg_prof *lp)
{
    free(lp->loc);
    free(lp->sample);
    free(lp->pool);
    free(lp->map);
    free(lp->func);
    free(lp->by_addr.keys);
    free(lp->by_addr.vals);
    np_profile_free(lp->out);
    memset(lp, 0, sizeof *lp);
}

void lg_prof_set_types(lg_prof *lp, size_t n, const char *const *type_unit)
{
    lp->n_st = n;
    for (size_t i = 0; i < n; i++)
        lp->st[i] = (np_value_type){np_profile_str(lp->out, type_unit[2 * i]),
                                    np_profile_str(lp->out, type_unit[2 * i + 1])};
}

static size_t addr_slot(const lg_addr_index *ix, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 20) & (ix->cap - 1);
    while (ix->vals[i] && ix->keys[i] != key)
        i = (i + 1) & (ix->cap - 1);
    return i;
}

static void addr_grow(lg_addr_index *ix)
{
    lg_addr_index old = *ix;
    ix->cap = old.cap ? old.cap * 2 : 64;
    ix->keys = np_xcalloc(ix->cap, sizeof *ix->keys);
    ix->vals = np_xcalloc(ix->cap, sizeof *ix->vals);
    for (size_t i = 0; i < old.cap; i++) {
        if (old.vals[i]) {
            size_t j = addr_slot(ix, old.keys[i]);
            ix->keys[j] = old.keys[i];
            ix->vals[j] = old.vals[i];
        }
    }
    free(old.keys);
    free(old.vals);
}

uint32_t lg_loc_for(lg_prof *lp, uint64_t addr)
{
    lg_addr_index *ix = &lp->by_addr;
    if ((ix->n + 1) * 2 > ix->cap)
        addr_grow(ix);
    size_t i = addr_slot(ix, addr);
    if (ix->vals[i])
        return ix->vals[i] - 1;
    lg_loc *l = NP_PUSH(lp->loc, lp->n_loc, lp->cap_loc);
    *l = (lg_loc){.addr = addr, .map = NP_NONE, .func = NP_NONE};
    ix->keys[i] = addr;
    ix->vals[i] = (uint32_t)lp->n_loc;
    ix->n++;
    return (uint32_t)(lp->n_loc - 1);
}

uint32_t lg_loc_find(const lg_prof *lp, uint64_t addr)
{
    if (lp->by_addr.cap == 0)
        return NP_NONE;
    size_t i = addr_slot(&lp->by_addr, addr);
    return lp->by_addr.vals[i] ? lp->by_addr.vals[i] - 1 : NP_NONE;
}

lg_sample *lg_add_sample(lg_prof *lp, const uint64_t *addrs, size_t n, int adj)
{
    /* +1: the pool exists even when every stack is empty, so offsets never apply to NULL */
    np_grow(&lp->pool, &lp->cap_pool, lp->n_pool + n + 1, sizeof *lp->pool);
    size_t off = lp->n_pool;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = addrs[i];
        /* Return addresses point after the call; step back onto it. The leaf of a CPU or
         * thread stack is the interrupted instruction itself, not a return address. */
        if (adj == LG_ADJ_ALL || (adj == LG_ADJ_CALLERS && i > 0))
            a--;
        lp->pool[lp->n_pool++] = lg_loc_for(lp, a);
    }
    lg_sample *s = NP_PUSH(lp->sample, lp->n_sample, lp->cap_sample);
    *s = (lg_sample){.off = off, .n_loc = (uint32_t)n};
    return s;
}

void lg_drop_second_frame(lg_prof *lp, lg_sample *s)
{
    uint32_t *l = lg_sample_locs(lp, s);
    memmove(l + 1, l + 2, (s->n_loc - 2) * sizeof *l);
    s->n_loc--;
}

void lg_drop_duplicate_leaf(lg_prof *lp)
{
    for (size_t i = 0; i < lp->n_sample; i++) {
        lg_sample *s = &lp->sample[i];
        uint32_t *l = lg_sample_locs(lp, s);
        if (s->n_loc > 1 && lp->loc[l[0]].addr == lp->loc[l[1]].addr + 1)
            lg_drop_second_frame(lp, s);
    }
}

/* ---- renumbering ---- */

/* Keeps only the locations samples use, in order of first use (remapLocationIDs). */
static void remap_locations(lg_prof *lp)
{
    uint32_t *newidx = np_xmalloc((lp->n_loc ? lp->n_loc : 1) * sizeof *newidx);
    for (size_t i = 0; i < lp->n_loc; i++)
        newidx[i] = NP_NONE;
    lg_loc *locs = np_xmalloc((lp->n_loc ? lp->n_loc : 1) * sizeof *locs);
    size_t n = 0;
    for (size_t i = 0; i < lp->n_sample; i++) {
        lg_sample *s = &lp->sample[i];
        uint32_t *l = lg_sample_locs(lp, s);
        for (uint32_t j = 0; j < s->n_loc; j++) {
            if (newidx[l[j]] == NP_NONE) {
                newidx[l[j]] = (uint32_t)n;
                locs[n++] = lp->loc[l[j]];
            }
            l[j] = newidx[l[j]];
        }
    }
    /* Address lookups end here (every parser looks locations up before renumbering), and
     * the old indices would be stale. */
    free(lp->by_addr.keys);
    free(lp->by_addr.vals);
    memset(&lp->by_addr, 0, sizeof lp->by_addr);
    free(lp->loc);
    lp->loc = locs;
    lp->n_loc = lp->cap_loc = n;
    free(newidx);
}

/* Keeps only the functions locations use, in order of first use (remapFunctionIDs). */
static void remap_functions(lg_prof *lp)
{
    if (lp->n_func == 0)
        return;
    uint32_t *newidx = np_xmalloc(lp->n_func * sizeof *newidx);
    for (size_t i = 0; i < lp->n_func; i++)
        newidx[i] = NP_NONE;
    lg_func *fns = np_xmalloc(lp->n_func * sizeof *fns);
    size_t n = 0;
    for (size_t i = 0; i < lp->n_loc; i++) {
        uint32_t f = lp->loc[i].func;
        if (f == NP_NONE)
            continue;
        if (newidx[f] == NP_NONE) {
            newidx[f] = (uint32_t)n;
            fns[n++] = lp->func[f];
        }
        lp->loc[i].func = newidx[f];
    }
    free(lp->func);
    lp->func = fns;
    lp->n_func = lp->cap_func = n;
    free(newidx);
}

static void drop_first_mapping(lg_prof *lp)
{
    memmove(lp->map, lp->map + 1, (lp->n_map - 1) * sizeof *lp->map);
    lp->n_map--;
}

/* Finds the first mapping (in list order) that holds an address. When the valid mappings do
 * not overlap, at most one holds any address and a binary search over them sorted by start
 * finds it; otherwise every lookup scans the list, as pprof does. */
typedef struct map_finder {
    const lg_prof *lp;
    uint32_t *sorted;
    size_t n;
    bool built, fast;
} map_finder;

static int by_start(const void *a, const void *b, void *ctx)
{
    const lg_prof *lp = ctx;
    uint64_t x = lp->map[*(const uint32_t *)a].start, y = lp->map[*(const uint32_t *)b].start;
    return x < y ? -1 : x > y;
}

static void finder_rebuild(map_finder *f, size_t n_real)
{
    const lg_prof *lp = f->lp;
    f->n = 0;
    for (size_t k = 0; k < n_real; k++)
        if (lp->map[k].start < lp->map[k].limit)
            f->sorted[f->n++] = (uint32_t)k;
    qsort_r(f->sorted, f->n, sizeof *f->sorted, by_start, (void *)lp);
    f->fast = true;
    for (size_t i = 1; i < f->n; i++)
        if (lp->map[f->sorted[i - 1]].limit > lp->map[f->sorted[i]].start)
            f->fast = false;
    f->built = true;
}

static uint32_t finder_lookup(map_finder *f, size_t n_real, uint64_t a)
{
    const lg_prof *lp = f->lp;
    if (!f->built)
        finder_rebuild(f, n_real);
    if (!f->fast) {
        for (size_t k = 0; k < n_real; k++)
            if (lp->map[k].start <= a && a < lp->map[k].limit)
                return (uint32_t)k;
        return NP_NONE;
    }
    size_t lo = 0, hi = f->n; /* first entry starting after a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lp->map[f->sorted[mid]].start <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NP_NONE;
    uint32_t k = f->sorted[lo - 1];
    return a < lp->map[k].limit ? k : NP_NONE;
}

/* remapMappingIDs: main-binary fix-ups, then each location goes to the first mapping holding
 * its address, or to one whose unencoded first part would, or to a catch-all fake mapping. */
static void remap_mappings(lg_prof *lp)
{
    if (lp->n_map > 1 && strncmp(lp->map[0].file, "/anon_hugepage", 14) == 0 &&
        lp->map[0].limit == lp->map[1].start)
        drop_first_mapping(lp);
    if (lp->n_map > 0) {
        lg_map *m = &lp->map[0];
        if (m->start - m->offset == 0x400000) {
            m->start = 0x400000;
            m->offset = 0;
        }
    }
    size_t n_real = lp->n_map;
    map_finder f = {.lp = lp, .sorted = np_xmalloc((n_real ? n_real : 1) * sizeof(uint32_t))};
    uint32_t fake = NP_NONE;
    for (size_t i = 0; i < lp->n_loc; i++) {
        lg_loc *l = &lp->loc[i];
        uint64_t a = l->addr;
        if (l->map != NP_NONE || a == 0)
            continue;
        l->map = finder_lookup(&f, n_real, a);
        if (l->map != NP_NONE)
            continue;
        /* Once the fake mapping exists it holds every address but the last one, so pprof
         * never gets to the adjustment below again. */
        if (fake != NP_NONE && a != UINT64_MAX) {
            l->map = fake;
            continue;
        }
        /* A mapping whose first part the legacy handler failed to write out. */
        for (size_t k = 0; k < n_real && l->map == NP_NONE; k++) {
            lg_map *m = &lp->map[k];
            if (m->offset != 0 && m->start - m->offset <= a && a < m->start) {
                m->start -= m->offset;
                m->offset = 0;
                l->map = (uint32_t)k;
                /* Starts moved: scan like pprof from now on (this is rare, and re-sorting
                 * after every such move could cost more than scanning). */
                f.built = true;
                f.fast = false;
            }
        }
        if (l->map != NP_NONE)
            continue;
        if (fake == NP_NONE) {
            /* Go's legacy handlers wrote no mappings at all. */
            lg_map *m = NP_PUSH(lp->map, lp->n_map, lp->cap_map);
            *m = (lg_map){.limit = UINT64_MAX, .file = "", .build_id = ""};
            fake = (uint32_t)(lp->n_map - 1);
        }
        l->map = fake;
    }
    free(f.sorted);
}

void lg_remap(lg_prof *lp)
{
    remap_locations(lp);
    remap_functions(lp);
    remap_mappings(lp);
}

/* ---- conversion ---- */

/* pprof's addLegacyFrameInfo: which frames are the profiler's or the allocator's own. */
static const char alloc_rx[] =
    "calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|realloc|"
    "tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|tc_posix_memalign|"
    "tc_pvalloc|tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|tc_deletearray|"
    "tc_new_nothrow|tc_newarray_nothrow|malloc_zone_malloc|malloc_zone_calloc|"
    "malloc_zone_valloc|malloc_zone_realloc|malloc_zone_memalign|malloc_zone_free|"
    "runtime\\..*|BaseArena::.*|(::)?do_malloc_no_errno|(::)?do_malloc_pages|(::)?do_malloc|"
    "DoSampledAllocation|MallocedMemBlock::MallocedMemBlock|_M_allocate|"
    "__builtin_(vec_)?delete|__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|"
    "__libc_malloc|__malloc_alloc_template::allocate|allocate|cpp_alloc|operator new(\\[\\])?|"
    "simple_alloc::allocate";
static const char alloc_skip_rx[] = "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*";
static const char cpu_rx[] = "ProfileData::Add|ProfileData::prof_handler|"
                             "CpuProfiler::prof_handler|__pthread_sighandler|__restore";
static const char lock_rx[] =
    "RecordLockProfileData|(base::)?RecordLockProfileData.*|(base::)?SubmitMutexProfileData.*|"
    "(base::)?SubmitSpinLockProfileData.*|(base::Mutex::)?AwaitCommon.*|"
    "(base::Mutex::)?Unlock.*|(base::Mutex::)?UnlockSlow.*|(base::Mutex::)?ReaderUnlock.*|"
    "(base::MutexLock::)?~MutexLock.*|(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|"
    "(Mutex::)?UnlockSlow.*|(Mutex::)?ReaderUnlock.*|(MutexLock::)?~MutexLock.*|"
    "(SpinLock::)?Unlock.*|(SpinLock::)?SlowUnlock.*|(SpinLockHolder::)?~SpinLockHolder.*";

static bool types_are(const lg_prof *lp, const char *const *names, size_t n)
{
    if (lp->n_st != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(lp->st[i].type, names[i]) != 0)
            return false;
    return true;
}

static void frame_info(lg_prof *lp, np_profile *p)
{
    static const char *const heap2[][2] = {{"allocations", "size"},
                                           {"objects", "space"},
                                           {"inuse_objects", "inuse_space"},
                                           {"alloc_objects", "alloc_space"}};
    static const char *const heap4[] = {"alloc_objects", "alloc_space", "inuse_objects",
                                        "inuse_space"};
    static const char *const lock[] = {"contentions", "delay"};
    bool heap = types_are(lp, heap4, 4);
    for (size_t i = 0; i < 4 && !heap; i++)
        heap = types_are(lp, heap2[i], 2);
    if (heap) {
        p->drop_frames = np_profile_str(p, alloc_rx);
        p->keep_frames = np_profile_str(p, alloc_skip_rx);
    } else if (types_are(lp, lock, 2)) {
        p->drop_frames = np_profile_str(p, lock_rx);
    } else {
        p->drop_frames = np_profile_str(p, cpu_rx);
    }
}

np_profile *lg_prof_finish(lg_prof *lp)
{
    np_profile *p = lp->out;
    np_profile_set_sample_types(p, lp->n_st, lp->st);
    p->period_type = lp->period_type;
    p->period = lp->period;
    p->duration_nanos = lp->duration;
    frame_info(lp, p);
    for (size_t i = 0; i < lp->n_map; i++) {
        np_mapping *m = np_profile_add_mapping(p);
        m->id = i + 1;
        m->start = lp->map[i].start;
        m->limit = lp->map[i].limit;
        m->offset = lp->map[i].offset;
        m->file = lp->map[i].file;
        m->build_id = lp->map[i].build_id;
    }
    for (size_t i = 0; i < lp->n_func; i++) {
        np_function *f = np_profile_add_function(p);
        f->id = i + 1;
        f->name = f->system_name = lp->func[i].name;
        f->filename = lp->func[i].file;
    }
    for (size_t i = 0; i < lp->n_loc; i++) {
        np_location *l = np_profile_add_location(p);
        l->id = i + 1;
        l->address = lp->loc[i].addr;
        l->mapping = lp->loc[i].map;
        if (lp->loc[i].func != NP_NONE) {
            l->line = np_arena_alloc(&p->arena, sizeof *l->line);
            l->line[0] = (np_line){.func = lp->loc[i].func, .line = lp->loc[i].line};
            l->n_line = 1;
        }
    }
    for (size_t i = 0; i < lp->n_sample; i++) {
        const lg_sample *ls = &lp->sample[i];
        np_sample *s = np_profile_add_sample(p);
        s->n_loc = ls->n_loc;
        s->loc = np_arena_alloc(&p->arena, (ls->n_loc ? ls->n_loc : 1) * sizeof *s->loc);
        memcpy(s->loc, lg_sample_locs(lp, ls), ls->n_loc * sizeof *s->loc);
        s->value = np_arena_alloc(&p->arena, (lp->n_st ? lp->n_st : 1) * sizeof *s->value);
        memcpy(s->value, ls->v, lp->n_st * sizeof *s->value);
        if (ls->has_bytes) {
            s->label = np_arena_alloc(&p->arena, sizeof *s->label);
            s->label[0] = (np_label){.key = "bytes", .str = "", .num_unit = "", .num = ls->bytes};
            s->n_label = 1;
        }
    }
    lp->out = NULL;
    return p;
}
