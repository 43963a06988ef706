/* What the in-process symbolizer found, kept from one profile to the next: a server scraped
 * every few seconds, or dumped in a loop, asks again for the same addresses, and finding them
 * anew means opening the objects again and inflating their compressed debug info from its
 * start. Addresses are keyed by their object's build ID (objects without one are not kept),
 * so an object unloaded and another loaded in its place can never be confused. Bounded: the
 * cache starts over when it is full. Callers hold np_enter (its allocations are not sampled). */
#ifndef NP_SYMCACHE_H
#define NP_SYMCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sym/symbolize.h"

/* Hold the cache while reading what np_symcache_get returns (its strings live in the cache). */
void np_symcache_lock(void);
void np_symcache_unlock(void);
/* What the cache holds for an address. */
typedef struct np_symcache_hit {
    uint64_t file_addr; /* the address the symbolizer looked up (frames' func_start is in its terms) */
    bool has_lines;     /* the object had line tables */
} np_symcache_hit;

/* The frames found for the address at file offset off of the object with this build ID: how
 * many (0 when the symbolizer found none), or -1 when the address is not in the cache. Up to
 * max frames into out. */
int np_symcache_get(const char *build_id, uint64_t off, np_sym_frame *out, int max, np_symcache_hit *hit);
/* Keeps what the symbolizer found (n may be 0) for the address at file offset off. */
void np_symcache_put(const char *build_id, uint64_t off, const np_sym_frame *frames, int n,
                     const np_symcache_hit *hit);
/* In a forked child: a lock some other thread held at the fork is free again, and the cache,
 * which that thread may have been changing, starts over. */
void np_symcache_child_reset(void);

#endif
