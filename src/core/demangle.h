/* C++ names as pprof shows them by default: demangled, without parameters or template
 * arguments ("std::vector::push_back"). Shared by the collector and the analyzer. */
#ifndef NP_DEMANGLE_H
#define NP_DEMANGLE_H

#include <stdbool.h>

#include "core/util.h"

/* mode: "" (pprof's default: no parameters, no templates), "templates" (keep templates),
 * "full" (keep both) or "none". Appends the result to out and returns true when it differs
 * from name. Mangled names need libstdc++'s demangler, looked up at run time in the process
 * (a C program profiled by the collector does not get libstdc++ pulled in). */
bool np_demangle_simplified(const char *name, const char *mode, np_buf *out);
/* Lets the demangler load libstdc++ when the process has none (the analyzer: it only needs
 * it for profiles with mangled names). */
void np_demangle_may_load_runtime(void);
/* libstdc++'s own definition of name, also when it is loaded but not in the global scope (a C
 * program's C++ plugin came with RTLD_LOCAL); with load, libstdc++ is loaded if it is not yet.
 * NULL without libstdc++. The reference taken is kept. */
void *np_libstdcxx_sym(const char *name, bool load);

#endif
