/* Every thread the program starts runs the collector's per-thread set-up first and its
 * tear-down last (threads_hook.h). */
#include "collect/threads_hook.h"

#include <stdlib.h>
#include <unistd.h>

#include "collect/cpuprof.h"
#include "collect/tstate.h"

typedef struct start {
    void *(*fn)(void *);
    void *arg;
    uintptr_t creator_pc;
} start;

/* Who asked for each thread, by thread id modulo the table's size: a new thread writes its
 * slot, overwriting a dead one's (ids are reused); two live threads whose ids are that far
 * apart share a slot and the later one wins. Lock-free: the pc is written before the id. */
enum { CREATORS = 1 << 14 };
static struct {
    pid_t tid;
    uintptr_t pc;
} creators[CREATORS];

static void note_creator(uintptr_t pc)
{
    pid_t tid = gettid();
    unsigned i = (unsigned)tid % CREATORS;
    __atomic_store_n(&creators[i].tid, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&creators[i].pc, pc, __ATOMIC_RELEASE);
    __atomic_store_n(&creators[i].tid, tid, __ATOMIC_RELEASE);
}

uintptr_t np_thread_creator(pid_t tid)
{
    unsigned i = (unsigned)tid % CREATORS;
    if (__atomic_load_n(&creators[i].tid, __ATOMIC_ACQUIRE) != tid)
        return 0;
    uintptr_t pc = __atomic_load_n(&creators[i].pc, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&creators[i].tid, __ATOMIC_ACQUIRE) == tid ? pc : 0;
}

static pthread_key_t end_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void thread_end(void *unused)
{
    (void)unused;
    np_cpu_thread_end();
}

static void make_key(void)
{
    pthread_key_create(&end_key, thread_end);
}

static void *run(void *p)
{
    start s = *(start *)p;
    np_enter();
    free(p);
    np_cpu_thread_begin();
    np_leave();
    if (s.creator_pc)
        note_creator(s.creator_pc);
    pthread_setspecific(end_key, (void *)1); /* so that thread_end runs however it ends */
    return s.fn(s.arg);
}

int np_thread_spawn(np_create_fn *real, pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                    uintptr_t creator_pc)
{
    pthread_once(&key_once, make_key);
    np_enter();
    start *s = malloc(sizeof *s);
    np_leave();
    if (!s)
        return real(t, attr, fn, arg);
    *s = (start){fn, arg, creator_pc};
    int rc = real(t, attr, run, s);
    if (rc != 0) {
        np_enter();
        free(s);
        np_leave();
    }
    return rc;
}
