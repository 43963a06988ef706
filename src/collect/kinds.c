/* The table of profile kinds: each kind's entry points live in its own module; this file only
 * lists them. */
#include "collect/kinds.h"

#include <string.h>

#include "collect/heapprof.h"

static const np_kind kinds[] = {
    {"allocs", "A sampling of all past memory allocations", np_heap_count, np_heap_allocs_profile,
     np_heap_text},
    {"cmdline", "The command line invocation of the current program", NULL, NULL, NULL},
    {"heap",
     "A sampling of memory allocations of live objects. You can specify the gc GET parameter to run GC "
     "before taking the heap sample.",
     np_heap_count, np_heap_inuse_profile, np_heap_text},
};

const np_kind *np_kinds(size_t *n)
{
    *n = sizeof kinds / sizeof *kinds;
    return kinds;
}

const np_kind *np_kind_find(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}
