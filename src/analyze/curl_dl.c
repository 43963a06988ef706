/* The libcurl stand-ins of curl_dl.h: libcurl is opened with dlopen on the first call, so runs
 * that never fetch over HTTP do not pay for loading it and its dependencies at start-up. */
#include "analyze/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    CURLcode (*easy_perform)(CURL *);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    void (*free)(void *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *);
    CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded; /* 1 when every function above was found */

/* Looks up one symbol into *slot; false when it is missing. */
static int sym(void *lib, const char *name, void *slot)
{
    void *p = dlsym(lib, name);
    if (!p)
        return 0;
    /* POSIX guarantees that a dlsym result converts to the function pointer type. */
    *(void **)slot = p;
    return 1;
}

static void load(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return;
    loaded = sym(lib, "curl_global_init", &fn.global_init) && sym(lib, "curl_easy_init", &fn.easy_init) &&
             sym(lib, "curl_easy_setopt", &fn.easy_setopt) && sym(lib, "curl_easy_getinfo", &fn.easy_getinfo) &&
             sym(lib, "curl_easy_perform", &fn.easy_perform) && sym(lib, "curl_easy_cleanup", &fn.easy_cleanup) &&
             sym(lib, "curl_easy_strerror", &fn.easy_strerror) && sym(lib, "curl_free", &fn.free) &&
             sym(lib, "curl_slist_append", &fn.slist_append) &&
             sym(lib, "curl_slist_free_all", &fn.slist_free_all) && sym(lib, "curl_url", &fn.url) &&
             sym(lib, "curl_url_cleanup", &fn.url_cleanup) && sym(lib, "curl_url_get", &fn.url_get) &&
             sym(lib, "curl_url_set", &fn.url_set);
    /* The library stays open for the life of the process, as a linked one would. */
}

static int ready(void)
{
    pthread_once(&load_once, load);
    return loaded;
}

CURLcode np_curl_global_init(long flags)
{
    return ready() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *np_curl_easy_init(void)
{
    return ready() ? fn.easy_init() : NULL;
}

/* The variadic argument is forwarded with the type the option's number range gives it (curl.h
 * numbers options by argument type). */
CURLcode np_curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    if (!ready())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        rc = fn.easy_setopt(h, option, v);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT || option >= CURLOPTTYPE_BLOB) {
        void *v = va_arg(ap, void *);
        rc = fn.easy_setopt(h, option, v);
    } else if (option < CURLOPTTYPE_OFF_T) {
        void (*v)(void) = va_arg(ap, void (*)(void));
        rc = fn.easy_setopt(h, option, v);
    } else {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = fn.easy_setopt(h, option, v);
    }
    va_end(ap);
    return rc;
}

/* Every curl_easy_getinfo result is returned through a pointer. */
CURLcode np_curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    if (!ready())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return fn.easy_getinfo(h, info, out);
}

CURLcode np_curl_easy_perform(CURL *h)
{
    return ready() ? fn.easy_perform(h) : CURLE_FAILED_INIT;
}

void np_curl_easy_cleanup(CURL *h)
{
    if (ready())
        fn.easy_cleanup(h);
}

const char *np_curl_easy_strerror(CURLcode code)
{
    return ready() ? fn.easy_strerror(code) : "libcurl could not be loaded";
}

void np_curl_free(void *p)
{
    if (ready())
        fn.free(p);
}

struct curl_slist *np_curl_slist_append(struct curl_slist *list, const char *s)
{
    return ready() ? fn.slist_append(list, s) : NULL;
}

void np_curl_slist_free_all(struct curl_slist *list)
{
    if (ready())
        fn.slist_free_all(list);
}

CURLU *np_curl_url(void)
{
    return ready() ? fn.url() : NULL;
}

void np_curl_url_cleanup(CURLU *u)
{
    if (ready())
        fn.url_cleanup(u);
}

CURLUcode np_curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
    return ready() ? fn.url_get(u, what, part, flags) : CURLUE_BAD_HANDLE;
}

CURLUcode np_curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
    return ready() ? fn.url_set(u, what, part, flags) : CURLUE_BAD_HANDLE;
}
