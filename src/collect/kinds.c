/* The table of profile kinds: each kind's entry points live in its own module; this file only
 * lists them. */
#include "collect/kinds.h"

#include <string.h>

#include "collect/heapprof.h"
#include "collect/thrcreate.h"
#include "collect/thrprof.h"
#include "collect/lockprof.h"

static const np_kind kinds[] = {
    {"allocs", "A sampling of all past memory allocations", np_heap_count, np_heap_allocs_profile,
     np_heap_text},
    {"block", "Stack traces that led to blocking on synchronization primitives", np_lockprof_block_count,
     np_lockprof_block_profile, np_lockprof_block_text},
    {"cmdline", "The command line invocation of the current program", NULL, NULL, NULL},
    {"goroutine",
     "Stack traces of all current threads (also served as threads). Use debug=2 as a query parameter for one "
     "block per thread with its name, state and system call.",
     np_thrprof_count, np_thrprof_profile, np_thrprof_text},
    {"heap",
     "A sampling of memory allocations of live objects. You can specify the gc GET parameter to run GC "
     "before taking the heap sample.",
     np_heap_count, np_heap_inuse_profile, np_heap_text},
    {"mutex", "Stack traces of holders of contended mutexes", np_lockprof_mutex_count, np_lockprof_mutex_profile,
     np_lockprof_mutex_text},
    /* Served by the endpoints from a CPU profiling session (cpuprof.h), not from counts. */
    {"profile",
     "CPU profile. You can specify the duration in the seconds GET parameter. After you get the profile "
     "file, use the go tool pprof command to investigate the profile.",
     NULL, NULL, NULL},
    {"threadcreate", "Stack traces that led to the creation of new OS threads", np_thrcreate_count,
     np_thrcreate_profile, np_thrcreate_text},
};

const np_kind *np_kinds(size_t *n)
{
    *n = sizeof kinds / sizeof *kinds;
    return kinds;
}

const np_kind *np_kind_find(const char *name)
{
    if (strcmp(name, "threads") == 0) /* what a thread dump of a C program is called */
        name = "goroutine";
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}
