/* cpuwork: a fixed amount of CPU-bound work (no allocation, no system calls), its hot loop
 * about 20 calls deep, for the CPU profilers' overhead: cpuwork [MILLIONS] (default 400). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t leaf(uint64_t x, long n)
{
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

__attribute__((noinline)) static uint64_t nest(int depth, uint64_t x, long n)
{
    if (depth == 0)
        return leaf(x, n);
    uint64_t r = nest(depth - 1, x + (uint64_t)depth, n);
    sink += r; /* keeps the call from becoming a jump */
    return r;
}

int main(int argc, char **argv)
{
    long millions = argc > 1 ? atol(argv[1]) : 400;
    uint64_t x = 88172645463325252ULL;
    for (long m = 0; m < millions * 10; m++)
        x = nest(20, x, 100000);
    printf("%llu\n", (unsigned long long)(x & 0xff));
    return 0;
}
