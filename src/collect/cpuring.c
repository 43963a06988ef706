/* A bounded multi-producer queue of fixed slots, each with a sequence number saying whose turn
 * it is (free for the writer of position p when seq == p, readable when seq == p + 1). */
#include "collect/cpuring.h"

#include "collect/cmem.h"

enum { SLOTS = 2048 };

static unsigned char *mem;
static size_t slot_bytes;
static int frames;
static uint64_t head; /* next position to claim */
static uint64_t tail; /* next position to read (the reader's alone) */
static uint64_t drops;

static np_cpuslot *slot(uint64_t pos)
{
    return (np_cpuslot *)(mem + (pos & (SLOTS - 1)) * slot_bytes);
}

bool np_cpuring_init(int max_frames)
{
    if (mem)
        return true;
    size_t bytes = sizeof(np_cpuslot) + (size_t)max_frames * sizeof(uintptr_t);
    unsigned char *m = np_cmem_map(bytes * SLOTS);
    if (!m)
        return false;
    slot_bytes = bytes;
    frames = max_frames;
    for (uint64_t i = 0; i < SLOTS; i++)
        ((np_cpuslot *)(m + i * bytes))->seq = i;
    __atomic_store_n(&mem, m, __ATOMIC_RELEASE);
    return true;
}

int np_cpuring_frames(void)
{
    return frames;
}

np_cpuslot *np_cpuring_claim(void)
{
    if (!__atomic_load_n(&mem, __ATOMIC_ACQUIRE))
        return NULL;
    uint64_t pos = __atomic_load_n(&head, __ATOMIC_RELAXED);
    for (;;) {
        np_cpuslot *s = slot(pos);
        uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        if (seq == pos) {
            if (__atomic_compare_exchange_n(&head, &pos, pos + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                return s;
        } else if ((int64_t)(seq - pos) < 0) {
            __atomic_fetch_add(&drops, 1, __ATOMIC_RELAXED);
            return NULL;
        } else {
            pos = __atomic_load_n(&head, __ATOMIC_RELAXED);
        }
    }
}

void np_cpuring_publish(np_cpuslot *s)
{
    uint64_t pos = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&s->seq, pos + 1, __ATOMIC_RELEASE);
}

np_cpuslot *np_cpuring_next(void)
{
    if (!mem)
        return NULL;
    np_cpuslot *s = slot(tail);
    return __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == tail + 1 ? s : NULL;
}

void np_cpuring_release(np_cpuslot *s)
{
    __atomic_store_n(&s->seq, tail + SLOTS, __ATOMIC_RELEASE);
    tail++;
}

uint64_t np_cpuring_drops(void)
{
    return __atomic_load_n(&drops, __ATOMIC_RELAXED);
}
