/* early -- 1,000 allocations made by a C++ static initialiser, before main and possibly before
 * libnprof's own constructor has run. At NPROF_HEAP_RATE=1 each must be recorded under
 * early_alloc (the settings hold from the first allocation); they stay live to the exit dump. */
#include <cstdio>
#include <cstdlib>

static void *blocks[1000];

__attribute__((noinline)) static void early_alloc()
{
    for (int i = 0; i < 1000; i++)
        blocks[i] = malloc(100 + i);
}

static struct Init {
    Init() { early_alloc(); }
} init __attribute__((init_priority(101)));

int main()
{
    for (void *p : blocks)
        if (!p)
            return 1;
    std::puts("early: 1000 blocks");
    return 0;
}
