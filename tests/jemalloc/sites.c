/* A program with known allocation sites for tests/jemalloc.sh: run under jemalloc's profiler,
 * it keeps some blocks and frees others, then asks jemalloc for a heap dump. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_MAX 400000
static void *kept[KEEP_MAX];
static size_t n_kept;
/* freed blocks pass through here, so the compiler cannot drop their malloc and free */
void *volatile last_freed;

/* noinline: each site must be a frame of its own, at the file:line the test expects. */
__attribute__((noinline)) static void keep_big(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kept[n_kept] = malloc(256 * 1024); /* SITE keep_big */
        memset(kept[n_kept++], 1, 64);
    }
}

__attribute__((noinline)) static void keep_small(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kept[n_kept] = malloc(96); /* SITE keep_small */
        memset(kept[n_kept++], 2, 8);
    }
}

__attribute__((noinline)) static void churn(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *p = malloc(64 * 1024); /* SITE churn */
        memset(p, 3, 64);
        last_freed = p;
        free(last_freed);
    }
}

__attribute__((noinline)) static void nested(size_t n)
{
    keep_small(n);
    churn(n / 10);
}

/* jemalloc is preloaded, so its mallctl is found at run time; without it nothing is dumped. */
static int dump(const char *path)
{
    int (*ctl)(const char *, void *, size_t *, void *, size_t) =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    if (!ctl)
        return fprintf(stderr, "sites: mallctl not found (jemalloc not preloaded?)\n"), 1;
    if (ctl("prof.dump", NULL, NULL, &path, sizeof path) != 0)
        return fprintf(stderr, "sites: prof.dump failed\n"), 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fprintf(stderr, "usage: sites DUMPFILE|- [SCALE]\n"), 2;
    size_t scale = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
    keep_big(200 * scale);
    keep_small(100000 * scale);
    churn(2000 * scale);
    nested(50000 * scale);
    /* "-": no dump asked for here (prof_final writes one at exit) */
    return strcmp(argv[1], "-") == 0 ? 0 : dump(argv[1]);
}
