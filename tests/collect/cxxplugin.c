/* cxxplugin LIB -- a C program (no libstdc++ of its own) that dlopens a C++ library with
 * RTLD_LOCAL and calls plugin_huge_new; prints "cxxplugin: bad_alloc caught" and exits 0 when
 * the failed new threw as C++ requires. */
#include <dlfcn.h>

#include "common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: cxxplugin LIB");
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h)
        die("dlopen: %s", dlerror());
    int (*huge_new)(void) = (int (*)(void))dlsym(h, "plugin_huge_new");
    if (!huge_new)
        die("dlsym: %s", dlerror());
    int ok = huge_new();
    printf("cxxplugin: %s\n", ok ? "bad_alloc caught" : "no bad_alloc");
    return ok ? 0 : 1;
}
