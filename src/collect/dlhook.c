/* dlopen and dlclose, interposed: what loading and unloading code means for the collector. New
 * code gets its unwind rules before dlopen returns when a CPU profile runs (its first samples
 * walk through it), and unloaded code's cached rules are dropped (its addresses may come back
 * with other code). */
#include <dlfcn.h>

#include "collect/cfi.h"
#include "collect/cpuprof.h"
#include "collect/export.h"

/* The next definition of name in link order (the loader's), looked up once. */
static void *next_fn(void **slot, const char *name)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    return f;
}

EXPORT void *dlopen(const char *file, int mode)
{
    static void *next;
    void *(*f)(const char *, int) = (void *(*)(const char *, int))next_fn(&next, "dlopen");
    if (!f)
        return NULL;
    void *h = f(file, mode);
    if (h)
        np_cpu_code_loaded();
    return h;
}

EXPORT int dlclose(void *handle)
{
    static void *next;
    int (*f)(void *) = (int (*)(void *))next_fn(&next, "dlclose");
    if (!f)
        return -1;
    int rc = f(handle);
    np_cfi_flush();
    return rc;
}
