/* dumper GOFILE -- keeps 8 MiB allocated in leak_for_dump (seen at the default rate), prints
 * "dumper: ready", waits for GOFILE (at most 30 s) and exits 0: for NPROF_HEAP_DUMP tests. */
#include "common.h"

static char *leaked[8];

__attribute__((noinline)) static void leak_for_dump(void)
{
    for (int i = 0; i < 8; i++) {
        leaked[i] = malloc(1 << 20);
        if (!leaked[i])
            die("malloc failed");
        memset(leaked[i], i, 1 << 20);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: dumper GOFILE");
    leak_for_dump();
    printf("dumper: ready\n");
    fflush(stdout);
    int go = wait_file(argv[1], 30);
    printf("dumper: %s\n", go ? "done" : "no go file");
    return go ? 0 : 1;
}
