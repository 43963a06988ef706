/* Holding a running thread still for a moment: a realtime signal, sent to that thread alone
 * with a sequence number, makes its handler publish the interrupted registers and wait
 * (bounded) while the caller reads its stack from outside. The handler does nothing else: no
 * unwinding, no lock, no allocation, errno kept; a signal of an earlier request is ignored. */
#ifndef NP_TPARK_H
#define NP_TPARK_H

#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>

#include "collect/rwalk.h"

/* The signal in use, chosen at the first call among the realtime signals the program leaves
 * alone (0 when none is free); a program that later takes it over gets it back and another is
 * chosen, with one message. */
int np_tpark_signal(void);
/* Stops thread tid in the handler and calls fn with its registers while it is held; false when
 * it was not held (it blocks the signal, is gone, or did not answer within the bound, or fn's
 * time ran out). One caller at a time. */
bool np_tpark_run(pid_t tid, void (*fn)(const np_rregs *regs, void *arg), void *arg);

#endif
