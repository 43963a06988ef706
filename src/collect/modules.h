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
/* The segment containing addr, or NULL. */
const np_module_seg *np_modules_find(const np_module_seg *segs, size_t n, uint64_t addr);

#endif
