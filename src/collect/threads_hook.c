/* Every thread the program starts runs the collector's per-thread set-up first and its
 * tear-down last (threads_hook.h). */
#include "collect/threads_hook.h"

#include <stdlib.h>

#include "collect/cpuprof.h"
#include "collect/tstate.h"

typedef struct start {
    void *(*fn)(void *);
    void *arg;
} start;

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
    pthread_setspecific(end_key, (void *)1); /* so that thread_end runs however it ends */
    return s.fn(s.arg);
}

int np_thread_spawn(np_create_fn *real, pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    pthread_once(&key_once, make_key);
    np_enter();
    start *s = malloc(sizeof *s);
    np_leave();
    if (!s)
        return real(t, attr, fn, arg);
    *s = (start){fn, arg};
    int rc = real(t, attr, run, s);
    if (rc != 0) {
        np_enter();
        free(s);
        np_leave();
    }
    return rc;
}
