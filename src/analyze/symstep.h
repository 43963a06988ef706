/* The symbolization step pprof runs on every fetched profile: checks that the mappings needing
 * symbols have binaries (with pprof's messages) and demangles/simplifies C++ function names. */
#ifndef NP_SYMSTEP_H
#define NP_SYMSTEP_H

#include "core/profile.h"

/* mode is the -symbolize value ("" for the default). Messages go to stderr. */
void np_symbolize(np_profile *p, const char *mode);
#endif
