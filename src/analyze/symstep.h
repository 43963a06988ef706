/* The symbolization step pprof runs on every fetched profile: checks that the mappings needing
 * symbols have binaries (with pprof's messages) and demangles/simplifies C++ function names. */
#ifndef NP_SYMSTEP_H
#define NP_SYMSTEP_H

#include "profile.h"

/* mode is the -symbolize value ("" for the default). Messages go to stderr. */
void np_symbolize(np_profile *p, const char *mode);
/* Demangles (or simplifies an already demangled) C++ name as pprof's default demangler mode:
 * no parameters, no template arguments. Writes into out; returns false when name is left as is. */
bool np_demangle_simplified(const char *name, const char *mode, np_buf *out);

#endif
