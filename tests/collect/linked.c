/* linked OUT -- a program with libnprof.a linked in (no preload), using the API: every
 * allocation is sampled (nprof_set_heap_rate(1)), 64 MiB are kept in linked_leak, and the heap
 * profile is written to OUT with nprof_write_heap_profile. Prints "linked: ok". */
#include <fcntl.h>

#include "common.h"
#include "nprof.h"

static char *kept[64];

__attribute__((noinline)) static void linked_leak(void)
{
    for (int i = 0; i < 64; i++) {
        kept[i] = do_malloc(1 << 20);
        if (!kept[i])
            die("malloc failed");
        memset(kept[i], i, 1 << 20);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: linked OUT");
    if (nprof_set_heap_rate(1) != 0)
        die("nprof_set_heap_rate failed");
    linked_leak();
    for (int i = 0; i < 1000; i++)
        do_free(do_realloc(do_malloc((size_t)i + 1), (size_t)i * 3 + 1));
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || nprof_write_heap_profile(fd, 0) != 0)
        die("nprof_write_heap_profile failed");
    close(fd);
    printf("linked: ok\n");
    return 0;
}
