/* Holding running threads still for a moment: a realtime signal, sent to one thread alone with
 * a slot and a sequence number, makes its handler publish the interrupted registers in that
 * slot and wait (bounded) while the caller reads its stack from outside. Many threads can be
 * asked at once, each in its own slot, and each is read and let go as soon as it answers: a
 * dump then takes as long as the slowest thread to answer, not the sum, and no thread waits for
 * another's read. The handler does nothing else: no unwinding, no lock, no allocation, errno
 * kept; a signal of an earlier request is ignored. */
#ifndef NP_TPARK_H
#define NP_TPARK_H

#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>

#include "collect/rwalk.h"

/* How many threads can be asked at once; np_tpark_send says when none is free. */
enum { NP_TPARK_SLOTS = 64 };

/* Called for slot's thread with its registers while it is held; called again (or only) with
 * regs NULL when it was not held, or not to the end of the read, which must then be dropped. */
typedef void np_tpark_fn(int slot, const np_rregs *regs, void *arg);

/* The signal in use, chosen at the first call among the realtime signals the program leaves
 * alone (0 when none is free); a program that later takes it over gets it back and another is
 * chosen, with one message. */
int np_tpark_signal(void);
/* Signals thread tid to park; its slot, or -1 when no slot is free (reap first) or the thread
 * cannot be signalled (it is gone). One caller at a time, from send to the last reap. */
int np_tpark_send(pid_t tid);
/* Reads (through fn) and lets go of every thread parked now, and gives up on those that did not
 * answer within the bound; when none was parked, first waits up to wait_us for one to answer.
 * Returns how many asked threads are still outstanding. Allocates nothing. */
int np_tpark_reap(long wait_us, np_tpark_fn *fn, void *arg);
/* Reaps until no asked thread is outstanding (each within its bound). */
void np_tpark_finish(np_tpark_fn *fn, void *arg);

#endif
