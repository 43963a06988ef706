/* dlloop LIB ITER THREADS GOFILE
 *
 * ITER times: dlopen LIB, call its allocating functions, keep a buffer it made, dlclose it,
 * while THREADS threads allocate. The buffers made by earlier copies of the library are freed
 * only later, after their library is gone. Prints "dlloop: loop done ..." and then waits for
 * GOFILE (the script scrapes the profile of a process whose stacks point into unloaded code),
 * then frees everything and prints "dlloop: ok". */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"

static atomic_bool stop;

static void *allocator(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 31 + 7;
    void *keep[32] = {0};
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int i = (int)(rnd(&seed) % 32);
        free(keep[i]);
        keep[i] = malloc(32 + rnd(&seed) % 20000);
        if (!keep[i])
            die("malloc failed");
    }
    for (int i = 0; i < 32; i++)
        free(keep[i]);
    return NULL;
}

static int still_mapped(const char *lib)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    int n = 0;
    const char *base = strrchr(lib, '/');
    base = base ? base + 1 : lib;
    /* Only the loader's executable mapping counts: a profiler may keep the file mapped
     * read-only to symbolize it. */
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, base) != NULL && strstr(line, " r-xp ") != NULL;
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        die("usage: dlloop LIB ITER THREADS GOFILE");
    const char *lib = argv[1];
    int iter = atoi(argv[2]), nthreads = atoi(argv[3]);
    pthread_t t[16];
    if (nthreads > 16)
        nthreads = 16;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, allocator, (void *)(uintptr_t)i) != 0)
            die("pthread_create failed");
    enum { KEEP = 16 };
    char *kept[KEEP] = {0};
    uint64_t sum = 0;
    int unloaded = 0;
    for (int i = 0; i < iter; i++) {
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            die("dlopen: %s", dlerror());
        uint64_t (*work)(int) = (uint64_t(*)(int))dlsym(h, "dl_work");
        char *(*make)(int) = (char *(*)(int))dlsym(h, "dl_make");
        if (!work || !make)
            die("dlsym: %s", dlerror());
        sum += work(50 + i % 50);
        free(kept[i % KEEP]);
        kept[i % KEEP] = make(i);
        if (!kept[i % KEEP] || kept[i % KEEP][99] != (char)(i & 0xff))
            die("dl_make gave bad memory");
        if (dlclose(h) != 0)
            die("dlclose: %s", dlerror());
        if (i % 50 == 0)
            unloaded += still_mapped(lib) == 0;
    }
    printf("dlloop: loop done sum=%llu unloaded=%d\n", (unsigned long long)sum, unloaded);
    fflush(stdout);
    int go = wait_file(argv[4], 30);
    atomic_store(&stop, true);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < KEEP; i++)
        free(kept[i]);
    printf("dlloop: %s\n", go ? "ok" : "no go file");
    return go ? 0 : 1;
}
