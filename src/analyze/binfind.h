/* Where the binary of a profile's mapping is on this machine: pprof's binary search path
 * ($NPROF_BINARY_PATH, $PPROF_BINARY_PATH), separate debug files kept by build ID under the
 * debug root, and the check that a file found is the build the profile was taken from. */
#ifndef NP_BINFIND_H
#define NP_BINFIND_H

#include "core/profile.h"
#include "core/sym/symbolize.h"

/* pprof's locateBinaries: each mapping's file becomes the first file of the search path that
 * opens as an object file, trying per folder <buildid>/<base>, every file in <buildid>, <file>/<buildid>,
 * then <base> and <file>. A candidate of another build is passed over with a warning. The
 * search path is $NPROF_BINARY_PATH then $PPROF_BINARY_PATH (colon-separated), or
 * $HOME/pprof/binaries when both are empty. Messages go to stderr. */
void np_binfind_locate(np_profile *p);

/* The roots of separate debug files, colon-separated: $NPROF_DEBUG_ROOT, else /usr/lib/debug. */
const char *np_binfind_debug_root(void);

/* Opens the file to name m's addresses with (m has a build ID): m's file if its build ID is
 * m's (its debug file found by build ID or .gnu_debuglink under the first debug root holding
 * it), else the first debug root's .build-id/xx/yyyy.debug of m's build. NULL when neither is of m's build: a file of another
 * build is refused with a warning naming the mapping and both build IDs, once per file. */
np_elf *np_binfind_open(const np_mapping *m);

#endif
