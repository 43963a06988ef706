/* The threadcreate profile: pthread_create, interposed, counts the stack of the code that
 * created each thread, cumulatively, as Go counts the creation of its threads. */
#ifndef NP_THRCREATE_H
#define NP_THRCREATE_H

#include <stddef.h>

#include "core/profile.h"
#include "core/util.h"

/* The kind's entry points (kinds.h). */
size_t np_thrcreate_count(void);
np_profile *np_thrcreate_profile(void);
void np_thrcreate_text(np_buf *out, int debug);

#endif
