/* A host program for the CPU profile's tests of what the program must not notice:
 *   cpu_host fork N      burns CPU while forking N children (each exits at once); prints
 *                        "forked N" (under frequent signals an unblocked fork would restart
 *                        forever)
 *   cpu_host reads SEC   for SEC CPU seconds the main thread burns CPU, checking errno after
 *                        every chunk, while a thread reads a pipe that another fills slowly;
 *                        prints "eintr E errno_changed C reads R"
 *   cpu_host handler [S] installs its own SIGPROF handler first, then burns 1 s; prints "own
 *                        handler kept" if it is still the program's, then sleeps S seconds */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

/* About 0.1 ms of arithmetic: a linear congruential walk. */
__attribute__((noinline)) static void chunk(void)
{
    uint64_t v = sink + 7;
    for (int i = 0; i < 100000; i++)
        v = v * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = v;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int do_fork(int n)
{
    void *ballast = malloc(64 << 20); /* a bigger process: fork takes longer */
    memset(ballast, 1, 64 << 20);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 5; k++)
            chunk();
        pid_t p = fork();
        if (p < 0) {
            perror("fork");
            return 1;
        }
        if (p == 0)
            _exit(0);
        waitpid(p, NULL, 0);
    }
    printf("forked %d\n", n);
    free(ballast);
    return 0;
}

static int fds[2];
static volatile int done;
static long eintr, reads;

static void *reader(void *arg)
{
    (void)arg;
    char c;
    for (;;) {
        ssize_t r = read(fds[0], &c, 1);
        if (r < 0 && errno == EINTR)
            eintr++;
        else if (r <= 0)
            return NULL;
        else
            reads++;
    }
}

static void *writer(void *arg)
{
    (void)arg;
    while (!done) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        if (write(fds[1], "x", 1) != 1)
            break;
    }
    close(fds[1]);
    return NULL;
}

static int do_reads(double sec)
{
    pthread_t r, w;
    if (pipe(fds) != 0 || pthread_create(&r, NULL, reader, NULL) || pthread_create(&w, NULL, writer, NULL))
        return 1;
    long changed = 0;
    while (cpu_now() < sec) {
        errno = EDOM;
        chunk();
        if (errno != EDOM)
            changed++;
    }
    done = 1;
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    printf("eintr %ld errno_changed %ld reads %ld\n", eintr, changed, reads > 0 ? 1L : 0L);
    return 0;
}

static volatile long own_hits;
static void own(int sig)
{
    (void)sig;
    own_hits++;
}

static int do_handler(int linger)
{
    struct sigaction sa, cur;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = own;
    sigaction(SIGPROF, &sa, NULL);
    while (cpu_now() < 1)
        chunk();
    sigaction(SIGPROF, NULL, &cur);
    printf("%s\n", cur.sa_handler == own ? "own handler kept" : "own handler replaced");
    fflush(stdout);
    if (linger > 0)
        sleep((unsigned)linger);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "fork") == 0)
        return do_fork(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "reads") == 0)
        return do_reads(atof(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "handler") == 0)
        return do_handler(argc > 2 ? atoi(argv[2]) : 0);
    fprintf(stderr, "usage: cpu_host fork N | reads SEC | handler [S]\n");
    return 2;
}
