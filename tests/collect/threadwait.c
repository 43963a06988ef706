/* threadwait: threads for thread dumps to look at (tests/collect-threads.sh).
 *   threadwait wait SECONDS  threads waiting in poll, nanosleep, read and pthread_cond_wait
 *                            over and over, threads spinning on the CPU (one with every signal
 *                            blocked), and a thread that forks; at the end one line with each
 *                            kind of wait's calls and EINTR failures, and the forks.
 *   threadwait many N        N threads blocked in pthread_cond_wait; "ready", then waits to be
 *                            killed. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "common.h"

enum { POLL, SLEEP, READ, COND, KINDS };
static const char *kind_name[KINDS] = {"poll", "nanosleep", "read", "cond"};
static atomic_long calls[KINDS], eintr[KINDS], forks;
static atomic_bool done;
static int wake_pipe[2], quiet_pipe[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long ticks;

static void count(int kind, int rc)
{
    calls[kind]++;
    if (rc < 0 && errno == EINTR)
        eintr[kind]++;
}

__attribute__((noinline)) static void *wait_in_poll(void *arg)
{
    (void)arg;
    struct pollfd p = {quiet_pipe[0], POLLIN, 0};
    while (!done)
        count(POLL, poll(&p, 1, 50));
    return NULL;
}

__attribute__((noinline)) static void *wait_in_nanosleep(void *arg)
{
    (void)arg;
    while (!done)
        count(SLEEP, nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL));
    return NULL;
}

__attribute__((noinline)) static void *wait_in_read(void *arg)
{
    (void)arg;
    char c;
    while (!done)
        count(READ, read(wake_pipe[0], &c, 1) < 0 ? -1 : 0);
    return NULL;
}

__attribute__((noinline)) static void *wait_in_cond(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (long seen = ticks; !done; seen = ticks) {
        while (ticks == seen && !done) {
            int rc = pthread_cond_wait(&cv, &mu);
            calls[COND]++;
            if (rc == EINTR)
                eintr[COND]++;
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* Wakes the reader and the condition waiters every 30 ms. */
__attribute__((noinline)) static void *ticker(void *arg)
{
    (void)arg;
    while (!done) {
        sleep_ms(30);
        if (write(wake_pipe[1], "x", 1) < 0)
            break;
        pthread_mutex_lock(&mu);
        ticks++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    if (write(wake_pipe[1], "x", 1) < 0)
        return NULL;
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

__attribute__((noinline)) static void *spin_on_cpu(void *arg)
{
    if (arg) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, NULL);
    }
    volatile unsigned long x = 0;
    while (!done)
        x = x * 6364136223846793005UL + 1;
    return NULL;
}

__attribute__((noinline)) static void *fork_again(void *arg)
{
    (void)arg;
    while (!done) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        if (p > 0 && waitpid(p, NULL, 0) == p)
            forks++;
        sleep_ms(50);
    }
    return NULL;
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    if (pthread_create(t, NULL, fn, arg) != 0) {
        perror("pthread_create");
        exit(1);
    }
}

static int wait_mode(int seconds)
{
    void *(*fns[])(void *) = {wait_in_poll, wait_in_nanosleep, wait_in_read, wait_in_cond, ticker,
                              spin_on_cpu, spin_on_cpu, fork_again};
    void *args[] = {NULL, NULL, NULL, NULL, NULL, NULL, (void *)1, NULL};
    enum { N = sizeof fns / sizeof *fns };
    pthread_t t[N];
    if (pipe(wake_pipe) < 0 || pipe(quiet_pipe) < 0)
        return 1;
    for (int i = 0; i < N; i++)
        start(&t[i], fns[i], args[i]);
    printf("ready\n");
    fflush(stdout);
    sleep_ms(seconds * 1000);
    done = true;
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int k = 0; k < KINDS; k++)
        printf("%s calls=%ld eintr=%ld\n", kind_name[k], (long)calls[k], (long)eintr[k]);
    printf("forks=%ld\n", (long)forks);
    return 0;
}

__attribute__((noinline)) static void *park_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

static int many_mode(int n)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, &a, park_forever, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "wait") == 0)
        return wait_mode(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "many") == 0)
        return many_mode(atoi(argv[2]));
    fprintf(stderr, "usage: threadwait wait SECONDS | many N\n");
    return 2;
}
