// cxxforms -- allocates 8 MiB through each form of C++'s operator new (plain, array, nothrow,
// aligned, aligned nothrow; scalar and array), each from its own function, and keeps it; then
// checks the failure behaviour of the forms libnprof defines: a nothrow form that cannot
// allocate runs the new-handler and returns NULL, an aligned form runs it and throws
// std::bad_alloc. Prints "cxxforms: ok" and exits 0 when all of that held. Run with
// NPROF_HEAP_DUMP, its last profile must name each leak_* function as the leaf of 8 MiB.
#include <cstdio>
#include <cstring>
#include <new>

enum { N = 8, SIZE = 1 << 20 };

struct alignas(64) Line {
    char bytes[SIZE];
};

static void *kept[10][N];

#define LEAK(name, row, expr)                                                                      \
    __attribute__((noinline)) static void name()                                                   \
    {                                                                                              \
        for (int i = 0; i < N; i++) {                                                              \
            void *p = (expr);                                                                      \
            if (!p)                                                                                \
                throw std::bad_alloc();                                                            \
            memset(p, i, SIZE);                                                                    \
            kept[row][i] = p;                                                                      \
        }                                                                                          \
    }

LEAK(leak_new, 0, new char[SIZE])
LEAK(leak_new_scalar, 1, new Line)
LEAK(leak_new_nothrow, 2, new (std::nothrow) char[SIZE])
LEAK(leak_new_nothrow_scalar, 3, new (std::nothrow) Line)
LEAK(leak_new_aligned_array, 4, new Line[1])
LEAK(leak_new_aligned_nothrow_array, 5, new (std::nothrow) Line[1])
LEAK(leak_operator_new, 6, ::operator new(SIZE))
LEAK(leak_operator_new_nothrow, 7, ::operator new(SIZE, std::nothrow))

static int handler_calls;

static void out_of_memory()
{
    handler_calls++;
    std::set_new_handler(nullptr); // the next failure gives up
}

static bool failures_behave()
{
    volatile size_t huge = ~static_cast<size_t>(0) / 4;
    bool ok = true;
    std::set_new_handler(out_of_memory);
    handler_calls = 0;
    ok &= ::operator new(huge, std::nothrow) == nullptr && handler_calls == 1;
    std::set_new_handler(out_of_memory);
    handler_calls = 0;
    ok &= ::operator new[](huge, std::nothrow) == nullptr && handler_calls == 1;
    std::set_new_handler(out_of_memory);
    handler_calls = 0;
    ok &= ::operator new(huge, std::align_val_t(64), std::nothrow) == nullptr && handler_calls == 1;
    std::set_new_handler(out_of_memory);
    handler_calls = 0;
    try {
        void *p = ::operator new(huge, std::align_val_t(128));
        ok = false;
        ::operator delete(p, std::align_val_t(128));
    } catch (const std::bad_alloc &) {
        ok &= handler_calls == 1;
    }
    void *small = ::operator new(100, std::align_val_t(256));
    ok &= (reinterpret_cast<unsigned long>(small) & 255) == 0;
    ::operator delete(small, std::align_val_t(256));
    return ok;
}

int main()
{
    leak_new();
    leak_new_scalar();
    leak_new_nothrow();
    leak_new_nothrow_scalar();
    leak_new_aligned_array();
    leak_new_aligned_nothrow_array();
    leak_operator_new();
    leak_operator_new_nothrow();
    bool ok = failures_behave();
    printf("cxxforms: %s\n", ok ? "ok" : "failure behaviour wrong");
    return ok ? 0 : 1;
}
