/* forkstorm ITER THREADS [main|thread] [GOFILE]
 *
 * THREADS threads malloc/realloc/free without pause while ITER children are made one after
 * the other, from the main thread or (with "thread") from a thread of its own: plain forks
 * whose child allocates, checks what it wrote and exits (_exit or exit), fork+exec of
 * /bin/true, and posix_spawn of /bin/true (the vfork path, no atfork handlers). Each child
 * must exit 0 within 10 s; one that does not is killed and reported with its wchan (a child
 * stuck on a lock inherited from the parent shows up here). If GOFILE is given, waits for it
 * first (the test script reads the HTTP port file before exec'd children can rewrite it).
 * Prints "forkstorm: N ok, B bad, H hung" and exits 0 only if every child was fine. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "common.h"

extern char **environ;

static atomic_bool stop;
static atomic_long worker_ops;

static void *allocator(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)((uintptr_t)arg + 1);
    enum { SLOTS = 64 };
    char *slot[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    long ops = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int i = (int)(rnd(&seed) % SLOTS);
        uint64_t r = rnd(&seed);
        size_t n = (r & 15) == 0 ? 200000 + r % 400000 : 16 + r % 4000;
        if (slot[i] && (r & 3) == 1) {
            char *q = realloc(slot[i], n);
            if (!q)
                die("realloc failed");
            slot[i] = q;
        } else {
            free(slot[i]);
            slot[i] = malloc(n);
            if (!slot[i])
                die("malloc failed");
        }
        len[i] = n;
        memset(slot[i], (int)(n & 0xff), n < 64 ? n : 64);
        ops++;
    }
    for (int i = 0; i < SLOTS; i++)
        free(slot[i]);
    atomic_fetch_add(&worker_ops, ops);
    (void)len;
    return NULL;
}

/* The child of a plain fork: allocate through the collector (sampled at rate 1) and check. */
static void child_work(int i)
{
    uint64_t seed = (uint64_t)i * 7919 + 1;
    int bad = 0;
    for (int k = 0; k < 2000; k++) {
        size_t n = (k % 100 == 0) ? 300000 : 8 + rnd(&seed) % 2000;
        unsigned char *p = malloc(n);
        if (!p) {
            bad++;
            break;
        }
        memset(p, k & 0xff, n);
        if (p[n - 1] != (k & 0xff) || p[0] != (k & 0xff))
            bad++;
        if (k & 1) {
            p = realloc(p, n + 100);
            if (!p || p[0] != (k & 0xff))
                bad++;
        }
        free(p);
    }
    if (i % 6 == 0)
        exit(bad ? 3 : 0); /* runs atexit handlers and destructors in the child */
    _exit(bad ? 3 : 0);
}

static int ok, bad, hung;

static void reap(pid_t pid, int kind)
{
    double end = now_sec() + 10;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            bad++;
            fprintf(stderr, "waitpid %d: %s\n", (int)pid, strerror(errno));
            return;
        }
        if (now_sec() > end) {
            char wchan[128];
            read_wchan((int)pid, wchan, sizeof wchan);
            fprintf(stderr, "child %d (kind %d) hung, wchan %s\n", (int)pid, kind, wchan);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            hung++;
            return;
        }
        sleep_ms(1);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        ok++;
    } else {
        bad++;
        if (WIFSIGNALED(st))
            fprintf(stderr, "child %d (kind %d) killed by signal %d\n", (int)pid, kind, WTERMSIG(st));
        else
            fprintf(stderr, "child %d (kind %d) exited %d\n", (int)pid, kind, WEXITSTATUS(st));
    }
}

static int iterations;

static void *forker(void *arg)
{
    (void)arg;
    char *argv_true[] = {"/bin/true", NULL};
    for (int i = 0; i < iterations; i++) {
        int kind = i % 3;
        pid_t pid;
        if (kind == 2) {
            int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, argv_true, environ);
            if (rc != 0) {
                fprintf(stderr, "posix_spawn: %s\n", strerror(rc));
                bad++;
                continue;
            }
        } else {
            pid = fork();
            if (pid < 0) {
                fprintf(stderr, "fork: %s\n", strerror(errno));
                bad++;
                continue;
            }
            if (pid == 0) {
                if (kind == 0)
                    child_work(i);
                execv("/bin/true", argv_true);
                _exit(127);
            }
        }
        reap(pid, kind);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: forkstorm ITER THREADS [main|thread] [GOFILE]");
    iterations = atoi(argv[1]);
    int nthreads = atoi(argv[2]);
    bool from_thread = argc > 3 && strcmp(argv[3], "thread") == 0;
    if (argc > 4 && !wait_file(argv[4], 20))
        die("forkstorm: %s did not appear", argv[4]);
    pthread_t t[64];
    if (nthreads > 64)
        nthreads = 64;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, allocator, (void *)(uintptr_t)i) != 0)
            die("pthread_create failed");
    double t0 = now_sec();
    if (from_thread) {
        pthread_t f;
        if (pthread_create(&f, NULL, forker, NULL) != 0)
            die("pthread_create failed");
        pthread_join(f, NULL);
    } else {
        forker(NULL);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    printf("forkstorm: %d ok, %d bad, %d hung (%.1fs, %ld allocator ops)\n", ok, bad, hung, now_sec() - t0,
           atomic_load(&worker_ops));
    return ok == iterations && !bad && !hung ? 0 : 1;
}
