/* dlopen and dlclose, interposed: what loading and unloading code means for the collector. New
 * code gets its unwind rules before dlopen returns when a CPU profile runs (its first samples
 * walk through it), unloaded code's cached rules are dropped (its addresses may come back
 * with other code), and the unloaded objects are remembered for the samples taken in them. */
#include <dlfcn.h>

#include "collect/cfi.h"
#include "collect/cpuprof.h"
#include "collect/export.h"
#include "collect/modules.h"

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
    /* What the call unloads is known by comparing the objects before and after it. */
    size_t n_before;
    np_module_seg *before = np_modules_take(&n_before);
    int rc = f(handle);
    np_cfi_flush();
    if (before) {
        np_modules_retire_gone(before, n_before);
        np_modules_release(before);
    }
    return rc;
}
