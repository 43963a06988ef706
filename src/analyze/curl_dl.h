/* libcurl, loaded on first use. Linking libcurl pulls some thirty libraries (TLS, Kerberos,
 * LDAP, ...) into every run, and loading and relocating them costs more than reading a small
 * profile; most runs read files and never fetch. fetch_url.c includes this after <curl/curl.h>:
 * the curl functions it calls are renamed to the np_curl_ stand-ins below, which dlopen
 * libcurl.so.4 when first called and forward to it. When libcurl cannot be loaded,
 * np_curl_global_init fails (and np_curl_easy_init returns NULL, np_curl_url NULL), which
 * fetch_url.c reports as it reports any libcurl initialisation failure. */
#ifndef NP_CURL_DL_H
#define NP_CURL_DL_H

#include <curl/curl.h>

CURLcode np_curl_global_init(long flags);
CURL *np_curl_easy_init(void);
CURLcode np_curl_easy_setopt(CURL *h, CURLoption option, ...);
CURLcode np_curl_easy_getinfo(CURL *h, CURLINFO info, ...);
CURLcode np_curl_easy_perform(CURL *h);
void np_curl_easy_cleanup(CURL *h);
const char *np_curl_easy_strerror(CURLcode code);
void np_curl_free(void *p);
struct curl_slist *np_curl_slist_append(struct curl_slist *list, const char *s);
void np_curl_slist_free_all(struct curl_slist *list);
CURLU *np_curl_url(void);
void np_curl_url_cleanup(CURLU *u);
CURLUcode np_curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags);
CURLUcode np_curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags);

/* curl.h may define the variadic two as type-checking macros; the stand-ins replace them. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init np_curl_global_init
#define curl_easy_init np_curl_easy_init
#define curl_easy_setopt np_curl_easy_setopt
#define curl_easy_getinfo np_curl_easy_getinfo
#define curl_easy_perform np_curl_easy_perform
#define curl_easy_cleanup np_curl_easy_cleanup
#define curl_easy_strerror np_curl_easy_strerror
#define curl_free np_curl_free
#define curl_slist_append np_curl_slist_append
#define curl_slist_free_all np_curl_slist_free_all
#define curl_url np_curl_url
#define curl_url_cleanup np_curl_url_cleanup
#define curl_url_get np_curl_url_get
#define curl_url_set np_curl_url_set

#endif
