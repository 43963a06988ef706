/* The program's loaded objects (main executable, shared libraries, vdso) with their executable
 * segments and build IDs, read from the loader's in-memory tables. */
#ifndef NP_MODULES_H
#define NP_MODULES_H

#include <stddef.h>
#include <stdint.h>

typedef struct np_module_seg {
    uint64_t start, limit, offset; /* runtime address range and file offset */
    char path[512];                /* file name ("/proc/self/exe" resolved for the program) */
    char build_id[80];             /* lowercase hex or "" */
    int module;                    /* index of the object in load order */
} np_module_seg;

/* Fills up to max executable segments; returns how many (sorted by start). */
size_t np_modules_snapshot(np_module_seg *segs, size_t max);
/* A snapshot in a table of its own (*n segments), mapped and unmapped directly: the table is
 * large (NP_MAX_SEGS entries) and lives for one request, and through malloc it would leave the
 * program's arenas fragmented after every scrape. NULL (and *n = 0) if out of memory. */
enum { NP_MAX_SEGS = 4096 };
np_module_seg *np_modules_take(size_t *n);
void np_modules_release(np_module_seg *segs);
/* Fork handlers: no fork happens in the middle of a snapshot (see modules.c). */
void np_modules_fork_lock(void);
void np_modules_fork_unlock(void);
void np_modules_fork_child(void);
/* The segment containing addr, or NULL; segs as a snapshot orders them. */
const np_module_seg *np_modules_find(const np_module_seg *segs, size_t n, uint64_t addr);

/* Objects the program unloaded (dlclose) are remembered, the most recent few dozen segments,
 * so that samples taken in their code while they were loaded still find their object. */
/* Called after an unload with the snapshot taken before it: keeps the segments now gone. */
void np_modules_retire_gone(const np_module_seg *before, size_t n);
/* Appends the remembered segments, most recent first, to segs[n..max); the new count. Look
 * them up with np_modules_find_retired, after the live ones (whose addresses may be reused). */
size_t np_modules_add_retired(np_module_seg *segs, size_t n, size_t max);
const np_module_seg *np_modules_find_retired(const np_module_seg *segs, size_t n, uint64_t addr);

#endif
