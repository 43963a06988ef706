/* C++ names as pprof shows them by default: demangled, without parameters or template
 * arguments ("std::vector::push_back"). Shared by the collector and the analyzer. */
#ifndef NP_DEMANGLE_H
#define NP_DEMANGLE_H

#include <stdbool.h>

#include "util.h"

/* mode: "" (pprof's default: no parameters, no templates), "templates" (keep templates),
 * "full" (keep both) or "none". Appends the result to out and returns true when it differs
 * from name. Mangled names need libstdc++'s demangler to be loaded in the process (it is
 * looked up at run time, so C programs do not pull libstdc++ in). */
bool np_demangle_simplified(const char *name, const char *mode, np_buf *out);

#endif
