/* Getting profiles: from files or URLs, format sniffing (gzip, profile.proto, legacy text),
 * and pprof's combination of several sources and bases into one profile. */
#ifndef NP_FETCH_H
#define NP_FETCH_H

#include <stdbool.h>

#include "core/profile.h"

typedef struct np_fetch_opts {
    int seconds;   /* -seconds, or -1 */
    int timeout;   /* -timeout, or -1 */
    bool quiet;    /* suppress "Fetching profile over HTTP from ..." */
} np_fetch_opts;

/* profile.ParseData: gunzip if needed, profile.proto, else the legacy parsers; the error is
 * "parsing profile: ..." / "decompressing profile: ..." / "malformed profile: ..." as pprof. */
int np_parse_profile_data(const void *data, size_t len, np_profile **out, np_err *err);

/* True when source names a URL rather than a file (pprof's adjustURL rules), and the URL to
 * fetch in *url (malloc'd) with -seconds/-timeout applied; *timeout_s receives the timeout. */
bool np_source_url(const char *source, int seconds, int timeout, char **url, int *timeout_s);

/* Fetches one URL into body. Errors are go tool pprof's (`Get "URL": reason`,
 * "server response: 404 Not Found"); timeout_s + 5 s bounds the wait for response headers. */
int np_fetch_url(const char *url, int timeout_s, np_buf *body, np_err *err);

/* Prints go tool pprof's "Fetching profile over HTTP from URL" and, when seconds > 0,
 * "Please wait... (30s)" to stderr. */
void np_fetch_url_announce(const char *url, int seconds);

/* POSTs data to url (as pprof's symbolizer does, with no time limit) into body. Errors are
 * Go's client errors (`Post "URL": reason`) or "server response: 404 Not Found". */
int np_post_url(const char *url, const char *data, size_t len, np_buf *body, np_err *err);

/* The symbol service that answers for a profile fetched from source (pprof's symbolz()):
 * "/debug/pprof/X" -> "/debug/pprof/symbol", other URLs -> "/symbolz", the query dropped.
 * False (and *out NULL) when source is not a URL with a host; *out is malloc'd. */
bool np_symbolz_url(const char *source, char **out);

/* Loads one source (file or URL) and parses it. */
int np_fetch_source(const char *source, const np_fetch_opts *o, np_profile **out, np_err *err);

#endif
