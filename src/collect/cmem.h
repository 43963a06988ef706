/* Collector-internal memory: mmap-backed bump arenas that never call malloc, for everything the
 * sampling path touches (buckets, stacks, their indexes, the table of live sampled objects). */
#ifndef NP_CMEM_H
#define NP_CMEM_H

#include <stddef.h>

/* Zeroed memory that is never freed individually; NULL if the system is out of memory. */
void *np_cmem_alloc(size_t n);
/* A fresh zeroed mapping of n bytes (for tables that are replaced wholesale), and its release. */
void *np_cmem_map(size_t n);
void np_cmem_unmap(void *p, size_t n);
/* The same with every page backed at once, for a table about to be filled throughout. */
void *np_cmem_map_populated(size_t n);
/* Gives a mapping's memory back but keeps the addresses readable (as zeros), for a table that
 * lock-free readers may still be looking at. */
void np_cmem_retire(void *p, size_t n);
/* Bytes the collector holds in its own mappings (for self-monitoring). */
size_t np_cmem_bytes(void);

#endif
