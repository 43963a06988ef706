/* The goroutine profile of a C program: its threads (tsnap.h), counted per stack in Go's count
 * profile (debug=0 and debug=1), or one block per thread in the layout of Go's debug=2 with
 * the thread's id, name, state, system call and wait. */
#ifndef NP_THRPROF_H
#define NP_THRPROF_H

#include <stddef.h>

#include "core/profile.h"
#include "core/util.h"

/* The kind's entry points (kinds.h). */
size_t np_thrprof_count(void);
np_profile *np_thrprof_profile(void);
void np_thrprof_text(np_buf *out, int debug);

#endif
