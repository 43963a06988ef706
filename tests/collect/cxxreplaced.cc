// cxxreplaced -- a program with its own operator new(size_t) and operator delete(void *),
// which count their calls. The standard's nothrow and array forms are defined to call them,
// so under the preload they must still reach these (libnprof's own forms step aside). Prints
// "cxxreplaced: ok" and exits 0 when every form did.
#include <cstdio>
#include <cstdlib>
#include <new>

static int news, deletes;

void *operator new(size_t n)
{
    news++;
    void *p = malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}

void operator delete(void *p) noexcept
{
    if (p)
        deletes++;
    free(p);
}

void operator delete(void *p, size_t) noexcept
{
    operator delete(p);
}

int main()
{
    int *a = new (std::nothrow) int;
    int *b = new (std::nothrow) int[64];
    int *c = new int[32];
    void *d = ::operator new(1000, std::nothrow);
    bool ok = a && b && c && d && news == 4;
    delete a;
    delete[] b;
    delete[] c;
    ::operator delete(d, std::nothrow);
    ok &= deletes == 4;
    printf("cxxreplaced: %s (%d news, %d deletes)\n", ok ? "ok" : "forms bypassed", news, deletes);
    return ok ? 0 : 1;
}
