/* What tests/collect-locks.sh runs under libnprof's lock interposition:
 *   lockcheck results   -- the results of lock calls that do not succeed plainly (a robust
 *                          mutex whose owner died, a timed wait that times out, a relock of an
 *                          error-checking mutex), each with whether errno was kept; the output
 *                          must be the same with and without libnprof
 *   lockcheck rwcond S  -- readers and writers on one rwlock, a consumer waiting on a condition
 *                          variable, each from its own function; prints "done", lingers S s
 *   lockcheck fork      -- threads fight over a mutex while the main thread forks children
 *                          that take it; prints "forked N" */
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>

#include "common.h"

static void report(const char *what, int rc, int kept)
{
    printf("%-22s rc=%d (%s) errno %s\n", what, rc, rc ? strerror(rc) : "ok", kept ? "kept" : "CHANGED");
}

static struct timespec in_ms(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += (long)ms * 1000000L;
    t.tv_sec += t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    return t;
}

static pthread_mutex_t robust;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

/* Takes the robust mutex and dies holding it, a moment after the main thread began to wait. */
static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust);
    sleep_ms(100);
    return NULL;
}

static void *hold_a_while(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_rwlock_rdlock(&rw);
    sleep_ms(300);
    pthread_rwlock_unlock(&rw);
    pthread_mutex_unlock(&held);
    return NULL;
}

#define CALL(what, expr)                                                                           \
    do {                                                                                           \
        errno = 4242;                                                                              \
        int rc_ = (expr);                                                                          \
        report(what, rc_, errno == 4242);                                                          \
    } while (0)

static int results(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &a);
    pthread_t t;
    pthread_create(&t, NULL, die_holding, NULL);
    sleep_ms(30);
    CALL("robust owner died", pthread_mutex_lock(&robust)); /* waits: the try fails first */
    pthread_join(t, NULL);
    pthread_mutex_consistent(&robust);
    CALL("robust unlock", pthread_mutex_unlock(&robust));

    pthread_create(&t, NULL, hold_a_while, NULL);
    sleep_ms(50);
    struct timespec soon = in_ms(50);
    CALL("mutex timedlock", pthread_mutex_timedlock(&held, &soon));
    soon = in_ms(50);
    CALL("rwlock timedwrlock", pthread_rwlock_timedwrlock(&rw, &soon));
    pthread_join(t, NULL);

    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t ec;
    pthread_mutex_init(&ec, &a);
    pthread_mutex_lock(&ec);
    CALL("errorcheck relock", pthread_mutex_lock(&ec));
    CALL("errorcheck unlock", pthread_mutex_unlock(&ec));
    CALL("errorcheck not owner", pthread_mutex_unlock(&ec));

    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&held);
    soon = in_ms(30);
    CALL("cond timedwait", pthread_cond_timedwait(&cv, &held, &soon));
    pthread_mutex_unlock(&held);
    return 0;
}

static volatile int stop;
static volatile long items;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;

static void spin_us(int us)
{
    double end = now_sec() + us / 1e6;
    while (now_sec() < end)
        ;
}

/* The writer holds the lock most of the time, so that readers wait for it. */
static __attribute__((noinline)) void rw_writer_site(void)
{
    pthread_rwlock_wrlock(&rw);
    spin_us(2000);
    pthread_rwlock_unlock(&rw);
}

static __attribute__((noinline)) void rw_reader_site(void)
{
    pthread_rwlock_rdlock(&rw);
    spin_us(300);
    pthread_rwlock_unlock(&rw);
}

static void *writer(void *arg)
{
    (void)arg;
    while (!stop) {
        rw_writer_site();
        sleep_ms(1);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    while (!stop) {
        rw_reader_site();
        sleep_ms(1);
    }
    return NULL;
}

static __attribute__((noinline)) void cond_wait_site(void)
{
    pthread_mutex_lock(&qlock);
    while (items == 0 && !stop)
        pthread_cond_wait(&qcond, &qlock);
    if (items > 0)
        items--;
    pthread_mutex_unlock(&qlock);
}

static void *consumer(void *arg)
{
    (void)arg;
    while (!stop)
        cond_wait_site();
    return NULL;
}

static int rwcond(int linger)
{
    pthread_t t[5];
    pthread_create(&t[0], NULL, writer, NULL);
    pthread_create(&t[1], NULL, reader, NULL);
    pthread_create(&t[2], NULL, reader, NULL);
    pthread_create(&t[3], NULL, consumer, NULL);
    for (int i = 0; i < 200; i++) { /* producer: an item every 5 ms */
        sleep_ms(5);
        pthread_mutex_lock(&qlock);
        items++;
        pthread_cond_signal(&qcond);
        pthread_mutex_unlock(&qlock);
    }
    stop = 1;
    pthread_mutex_lock(&qlock);
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("done\n");
    fflush(stdout);
    sleep((unsigned)linger);
    return 0;
}

static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;

static void *fighter(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&busy);
        spin_us(20);
        pthread_mutex_unlock(&busy);
    }
    return NULL;
}

/* As a careful program does: the mutex is held across fork, so the child's copy is consistent. */
static void take_busy(void) { pthread_mutex_lock(&busy); }
static void give_busy(void) { pthread_mutex_unlock(&busy); }

static int forks(void)
{
    pthread_atfork(take_busy, give_busy, give_busy);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, fighter, NULL);
    int n = 0;
    for (int i = 0; i < 50; i++) {
        pid_t p = fork();
        if (p == 0) {
            pthread_mutex_lock(&busy);
            pthread_mutex_unlock(&busy);
            _exit(0);
        }
        int st;
        if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            n++;
    }
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("forked %d\n", n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "results") == 0)
        return results();
    if (argc > 1 && strcmp(argv[1], "rwcond") == 0)
        return rwcond(argc > 2 ? atoi(argv[2]) : 0);
    if (argc > 1 && strcmp(argv[1], "fork") == 0)
        return forks();
    fprintf(stderr, "usage: lockcheck results | rwcond [LINGER] | fork\n");
    return 2;
}
