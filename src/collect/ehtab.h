/* Unwind rules prepared ahead for every loaded object (program, libraries, vDSO): the rows of
 * each one's .eh_frame, found through its .eh_frame_hdr and kept in collector memory, so that a
 * signal handler finds the rule of any pc by a binary search, reaching no loader structure and
 * taking no lock (libgcc's lookup goes through dl_iterate_phdr and the loader lock). */
#ifndef NP_EHTAB_H
#define NP_EHTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/cfi.h"

/* Brings the tables up to date with the loaded objects: new ones are prepared, those unloaded
 * are dropped once no reader can be looking at them. Never from a signal handler; callers are
 * serialized inside. Returns how many objects were prepared by this call. */
int np_ehtab_sync(void);
/* Whether objects were loaded or unloaded since the last sync (one look at the loader's
 * counters; never from a signal handler). */
bool np_ehtab_stale(void);

/* A reader (signal handler) brackets its lookups with these, so that the memory of an object
 * dropped meanwhile is kept until it leaves. Async-signal-safe, as are the lookups. */
void np_ehtab_enter(void);
void np_ehtab_leave(void);
/* The rule for code at pc; 0 when no prepared object's rows cover pc. */
np_cfi_rule np_ehtab_rule(uintptr_t pc);
/* Whether pc lies in the code of a prepared object. */
bool np_ehtab_known(uintptr_t pc);

/* In a forked child: the lock of a sync the parent was in the middle of is made fresh. */
void np_ehtab_child_reset(void);

#endif
