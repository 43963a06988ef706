/* The interactive shell (pprof's interactive mode): report commands, option settings and
 * help over one loaded profile, reading lines from a terminal (libedit) or a pipe. */
#ifndef NP_SHELL_H
#define NP_SHELL_H

#include "analyze/config.h"
#include "core/profile.h"

/* Runs until EOF or quit. Returns the process exit status. */
int np_shell_run(const np_profile *p, np_config *cfg);

#endif
