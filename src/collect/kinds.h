/* The profiles the collector serves, one table as Go's runtime/pprof keeps them: a name, the
 * index page's description and count, the profile now, and Go's text form. The endpoints serve
 * every kind the same way (debug=N, ?seconds=N deltas, ?pid=N and ?pid=all over a process tree). */
#ifndef NP_KINDS_H
#define NP_KINDS_H

#include <stddef.h>

#include "core/profile.h"
#include "core/util.h"

typedef struct np_kind {
    const char *name, *description;
    /* What the index page counts (records of the profile now); NULL shows 0. */
    size_t (*count)(void);
    /* The profile now, symbolized, from a collector thread; NULL when out of memory. NULL for
     * an entry that is served otherwise (cmdline). */
    np_profile *(*profile)(void);
    /* Go's text for debug=1 (and 2, where the kind has no other), or NULL: debug is ignored. */
    void (*text)(np_buf *out, int debug);
} np_kind;

/* Every kind, sorted by name as Go's index lists them. */
const np_kind *np_kinds(size_t *n);
/* The kind of that name, or NULL. */
const np_kind *np_kind_find(const char *name);

#endif
