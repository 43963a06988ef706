/* Demangling through the C++ runtime's __cxa_demangle when the process has it, then pprof's
 * simplifications, which also apply to names that are already demangled. */
#include "core/demangle.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

#ifdef NP_STATIC
/* nprof-static cannot load libstdc++ and links its demangler in instead. */
char *__cxa_demangle(const char *, char *, size_t *, int *);
#endif

static bool may_load;

void np_demangle_may_load_runtime(void)
{
    may_load = true;
}

void *np_libstdcxx_sym(const char *name, bool load)
{
#ifdef NP_STATIC
    return NULL; /* a static program loads no libraries */
#endif
    void *cxx = dlopen("libstdc++.so.6", RTLD_LAZY | (load ? 0 : RTLD_NOLOAD));
    return cxx ? dlsym(cxx, name) : NULL;
}

static cxa_demangle_fn find_demangler(void)
{
    static cxa_demangle_fn fn;
    static bool looked;
    if (!looked) {
#ifdef NP_STATIC
        fn = __cxa_demangle;
#else
        fn = (cxa_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
#endif
        if (!fn)
            fn = (cxa_demangle_fn)np_libstdcxx_sym("__cxa_demangle", may_load);
        looked = true;
    }
    return fn;
}

/* Removes every balanced start..end group; unbalanced input is left alone. */
static void remove_matching(char *name, char start, char end)
{
    int nesting = 0;
    size_t first = 0;
    for (size_t cur = 0; name[cur]; cur++) {
        if (name[cur] == start) {
            if (++nesting == 1)
                first = cur;
        } else if (name[cur] == end) {
            if (--nesting < 0)
                return;
            if (nesting == 0) {
                memmove(name + first, name + cur + 1, strlen(name + cur + 1) + 1);
                cur = first - 1;
            }
        }
    }
}

static bool looks_like_demangled_cpp(const char *s)
{
    if (strstr(s, ".<") || strstr(s, "]).")) /* Java constructors, Go generic methods */
        return false;
    return strpbrk(s, "<>[]") != NULL || strstr(s, "::") != NULL;
}

bool np_demangle_simplified(const char *name, const char *mode, np_buf *out)
{
    if (strcmp(mode, "none") == 0)
        return false;
    bool keep_params = strcmp(mode, "full") == 0;
    bool keep_templates = keep_params || strcmp(mode, "templates") == 0;
    char *d = NULL;
    cxa_demangle_fn demangle = strncmp(name, "_Z", 2) == 0 ? find_demangler() : NULL;
    if (demangle) {
        int status = 0;
        d = demangle(name, NULL, NULL, &status);
        if (status != 0) {
            free(d);
            d = NULL;
        }
    }
    if (!d) {
        if (!looks_like_demangled_cpp(name))
            return false;
        d = np_xstrdup(name);
    }
    if (!keep_params)
        remove_matching(d, '(', ')');
    if (!keep_templates)
        remove_matching(d, '<', '>');
    bool changed = strcmp(d, name) != 0;
    if (changed)
        np_buf_puts(out, d);
    free(d);
    return changed;
}
