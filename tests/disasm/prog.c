/* prog: the C program tests/disasm.sh profiles. "cpu" burns CPU in burn_hot and burn_cold (3:1)
 * for about a second; "heap" keeps blocks allocated in keep_blocks and keep_small.
 *   prog cpu | prog heap */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile uint64_t sink;
static void *kept[4096];

__attribute__((noinline)) static void burn_hot(int units)
{
    uint64_t x = sink | 1;
    for (long i = 0; i < units * 100000L; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink = x;
}

__attribute__((noinline)) static void burn_cold(int units)
{
    uint64_t x = sink | 3;
    for (long i = 0; i < units * 100000L; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void keep_blocks(int n)
{
    for (int i = 0; i < n; i++)
        memset(kept[i] = malloc(4096), 1, 4096);
}

__attribute__((noinline)) static void keep_small(int n)
{
    for (int i = 0; i < n; i++)
        memset(kept[2048 + i] = malloc(256), 2, 256);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "heap") == 0) {
        keep_blocks(1000);
        keep_small(1000);
        printf("%d\n", ((char *)kept[500])[10] + ((char *)kept[2500])[10]);
        return 0;
    }
    if (argc != 2 || strcmp(argv[1], "cpu") != 0) {
        fprintf(stderr, "usage: prog cpu|heap\n");
        return 2;
    }
    for (double end = seconds() + 1; seconds() < end;) {
        burn_hot(3);
        burn_cold(1);
    }
    printf("%llu\n", (unsigned long long)sink);
    return 0;
}
