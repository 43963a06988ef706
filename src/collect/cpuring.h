/* The CPU profile's sample buffer: fixed slots in collector memory, filled by the profiling
 * signal's handler on any thread without a lock, emptied by one collector thread (as Go's
 * profBuf); a full buffer drops the sample and counts it. */
#ifndef NP_CPURING_H
#define NP_CPURING_H

#include <stdbool.h>
#include <stdint.h>

typedef struct np_cpuslot {
    uint64_t seq; /* the ring's bookkeeping */
    int32_t n;    /* pcs */
    int32_t weight;
    int64_t cpu_ns; /* the CPU time it stands for */
    uintptr_t pcs[];
} np_cpuslot;

/* Maps the buffer once (slots of up to max_frames pcs); false when out of memory. */
bool np_cpuring_init(int max_frames);
/* Frames a slot holds. */
int np_cpuring_frames(void);
/* Handler side: a slot to fill and publish, or NULL (buffer full: the drop is counted). */
np_cpuslot *np_cpuring_claim(void);
void np_cpuring_publish(np_cpuslot *s);
/* Reader side (one thread): the oldest published slot or NULL, and its release once read. */
np_cpuslot *np_cpuring_next(void);
void np_cpuring_release(np_cpuslot *s);
/* Samples dropped so far. */
uint64_t np_cpuring_drops(void);

#endif
