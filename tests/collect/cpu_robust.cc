// cpu_robust: host programs for CPU profiling at a high rate, each printing one line that must
// not change under the profiler; each burns CPU so that samples land in it.
//   cpu_robust churn N     threads started and joined N times, 4 at a time
//   cpu_robust throw N     N C++ exceptions thrown three frames deep and caught, on 2 threads
//   cpu_robust spawn N MB  MB mebibytes resident, then N forks and N posix_spawns of /bin/true;
//                          prints the slowest of each in milliseconds
//   cpu_robust dlloop LIB N  N rounds of dlopen LIB, 2 ms of CPU in its lib_hot, dlclose, on 2
//                          threads (libhot.so: samples land in code that is then unloaded)
//   cpu_robust malloc N    N allocations and frees of mixed sizes on 4 threads, contents checked
#include <dlfcn.h>
#include <pthread.h>
#include <spawn.h>
#include <stdexcept>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile uint64_t sink;

static void burn(int n)
{
    uint64_t x = sink | 1;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink = x;
}

static void *churn_one(void *)
{
    burn(200000);
    return nullptr;
}

static int churn(long n)
{
    long done = 0;
    for (long i = 0; i < n; i += 4) {
        pthread_t t[4];
        int k = 0;
        for (; k < 4; k++)
            if (pthread_create(&t[k], nullptr, churn_one, nullptr) != 0)
                break;
        for (int j = 0; j < k; j++)
            pthread_join(t[j], nullptr);
        done += k;
    }
    printf("churn %ld\n", done);
    return done == (n + 3) / 4 * 4 ? 0 : 1;
}

__attribute__((noinline)) static void thrower(int i)
{
    burn(2000);
    if (i >= 0)
        throw std::runtime_error("planned");
}
__attribute__((noinline)) static void middle(int i) { thrower(i); burn(10); }
__attribute__((noinline)) static long catcher(long n)
{
    long caught = 0;
    for (long i = 0; i < n; i++) {
        try {
            middle((int)i);
        } catch (const std::runtime_error &e) {
            caught += strcmp(e.what(), "planned") == 0;
        }
    }
    return caught;
}
static void *throw_thread(void *arg)
{
    *(long *)arg = catcher(*(long *)arg);
    return nullptr;
}

static int throws(long n)
{
    long a = n / 2, b = n - n / 2;
    pthread_t t;
    pthread_create(&t, nullptr, throw_thread, &a);
    throw_thread(&b);
    pthread_join(t, nullptr);
    printf("caught %ld\n", a + b);
    return a + b == n ? 0 : 1;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

// One child made by fork (or posix_spawn of /bin/true) and waited for; its milliseconds.
static double one_child(bool use_spawn, int *bad)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid;
    if (use_spawn) {
        char *argv[] = {(char *)"true", nullptr};
        if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0)
            pid = -1;
    } else if ((pid = fork()) == 0) {
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        ++*bad;
    return ms_since(&t0);
}

static int spawns(long n, long mb)
{
    size_t bytes = (size_t)mb << 20;
    char *big = (char *)malloc(bytes);
    if (!big)
        return 1;
    memset(big, 1, bytes);
    double fork_max = 0, spawn_max = 0;
    int bad = 0;
    for (long i = 0; i < n; i++) {
        burn(100000);
        double f = one_child(false, &bad), s = one_child(true, &bad);
        fork_max = f > fork_max ? f : fork_max;
        spawn_max = s > spawn_max ? s : spawn_max;
    }
    printf("children %ld failed %d\n", 2 * n, bad);
    fprintf(stderr, "slowest fork %.1f ms, slowest posix_spawn %.1f ms\n", fork_max, spawn_max);
    printf("under a second: %s\n", fork_max < 1000 && spawn_max < 1000 ? "yes" : "no");
    free(big);
    return bad != 0;
}

struct dl_job {
    const char *lib;
    long n;
    long loaded;
};

static void *dl_rounds(void *arg)
{
    dl_job *j = static_cast<dl_job *>(arg);
    for (long i = 0; i < j->n; i++) {
        void *h = dlopen(j->lib, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            continue;
        auto hot = reinterpret_cast<void (*)(double)>(dlsym(h, "lib_hot"));
        if (hot) {
            hot(0.002);
            j->loaded++;
        }
        dlclose(h);
    }
    return nullptr;
}

static int dlloop(const char *lib, long n)
{
    dl_job jobs[2] = {{lib, n, 0}, {lib, n, 0}};
    pthread_t t[2];
    for (auto &j : jobs)
        pthread_create(&t[&j - jobs], nullptr, dl_rounds, &j);
    for (pthread_t &x : t)
        pthread_join(x, nullptr);
    printf("rounds %ld\n", jobs[0].loaded + jobs[1].loaded);
    return jobs[0].loaded + jobs[1].loaded == 2 * n ? 0 : 1;
}

/* Allocations of sizes from 8 bytes to 64 KiB, each filled and checked before it is freed;
 * the count of good blocks is the output. */
static void *malloc_rounds(void *arg)
{
    long n = *static_cast<long *>(arg), good = 0;
    enum { KEEP = 256 };
    unsigned char *kept[KEEP] = {};
    size_t size[KEEP] = {};
    uint32_t r = 2463534242u;
    for (long i = 0; i < n; i++) {
        r ^= r << 13, r ^= r >> 17, r ^= r << 5;
        int k = (int)(r % KEEP);
        if (kept[k]) {
            bool ok = true;
            for (size_t b = 0; b < size[k]; b += 61)
                ok = ok && kept[k][b] == (unsigned char)(size[k] + b);
            good += ok;
            free(kept[k]);
        }
        size[k] = (size_t)8 << (r >> 8) % 14;
        kept[k] = static_cast<unsigned char *>(malloc(size[k]));
        for (size_t b = 0; b < size[k]; b += 61)
            kept[k][b] = (unsigned char)(size[k] + b);
        burn(200);
    }
    for (int k = 0; k < KEEP; k++)
        free(kept[k]);
    *static_cast<long *>(arg) = good;
    return nullptr;
}

static int mallocs(long n)
{
    long per[4] = {n, n, n, n};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], nullptr, malloc_rounds, &per[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], nullptr);
    printf("good blocks %ld\n", per[0] + per[1] + per[2] + per[3]);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? atol(argv[2]) : 0;
    if (argc > 2 && strcmp(argv[1], "churn") == 0)
        return churn(n);
    if (argc > 2 && strcmp(argv[1], "throw") == 0)
        return throws(n);
    if (argc > 3 && strcmp(argv[1], "spawn") == 0)
        return spawns(n, atol(argv[3]));
    if (argc > 3 && strcmp(argv[1], "dlloop") == 0)
        return dlloop(argv[2], atol(argv[3]));
    if (argc > 2 && strcmp(argv[1], "malloc") == 0)
        return mallocs(n);
    fprintf(stderr, "usage: cpu_robust churn N | throw N | spawn N MB | dlloop LIB N | malloc N\n");
    return 2;
}
