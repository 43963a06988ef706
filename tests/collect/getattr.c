/* getattr -- the main thread asks pthread_getattr_np for its own stack first thing, as Rust's
 * runtime does. glibc then reads /proc/self/maps with fopen, a malloc, while it holds the
 * thread's lock: under NPROF_HEAP_RATE=1 that malloc is sampled, and the sampler must find the
 * stack's bounds without asking pthread_getattr_np again (it would wait on the same lock). A
 * second thread does the same. Then each keeps 1 MiB from getattr_leak, so that the profile
 * shows whole stacks. Prints "getattr: ok". */
#include <pthread.h>

#include "common.h"

static size_t stack_size(void)
{
    pthread_attr_t a;
    void *addr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return 0;
    pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    return size;
}

__attribute__((noinline)) static void *getattr_leak(void)
{
    return do_malloc(1 << 20);
}

static void *worker(void *arg)
{
    (void)arg;
    return stack_size() ? getattr_leak() : NULL;
}

int main(void)
{
    if (!stack_size())
        return 1;
    pthread_t t;
    void *kept = NULL;
    if (pthread_create(&t, NULL, worker, NULL) != 0 || pthread_join(t, &kept) != 0 || !kept)
        return 1;
    if (!getattr_leak())
        return 1;
    puts("getattr: ok");
    return 0;
}
