/* The symbolization step pprof runs on every fetched profile: names the addresses of mappings
 * not yet symbolized, from the binaries on this machine and then from the symbol service of
 * the server the profile came from, and demangles/simplifies C++ function names. */
#ifndef NP_SYMSTEP_H
#define NP_SYMSTEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"

/* Where the mappings of the fetched profiles came from (pprof's MappingSources): for each
 * mapping of a profile fetched over HTTP, its key (build ID, else file), the URL it was fetched
 * from and its start there. Strings are malloc'd and owned by the list. */
typedef struct np_map_source {
    char *key, *url;
    uint64_t start;
} np_map_source;

typedef struct np_map_sources {
    np_map_source *v;
    size_t n, cap;
} np_map_sources;

/* collectMappingSources: records p's mappings as fetched from url; a mapping with neither
 * build ID nor file is given url as its file, so that it can be symbolized remotely. */
void np_map_sources_collect(np_profile *p, const char *url, np_map_sources *ms);
void np_map_sources_free(np_map_sources *ms);
/* unsourceMappings: the URLs given as file names above become "" again. */
void np_map_sources_unsource(np_profile *p);

/* mode is the -symbolize value ("" for the default); ms may be NULL (no remote sources).
 * Messages go to stderr. -1 with err when the symbol service fails, as pprof then stops. */
int np_symbolize(np_profile *p, const char *mode, const np_map_sources *ms, np_err *err);

/* pprof's Mapping.Unsymbolizable: [vdso], [vsyscall], linux-vdso, GPU buffers. */
bool np_symstep_unsymbolizable(const np_mapping *m);

/* Local symbolization as go tool pprof does it (its Go object reader): for each mapping in
 * use and not yet symbolized (or all with force), the binary named by the mapping, and for
 * each address one frame from the binary's own DWARF: the enclosing function's name and the
 * line table's file and line. Sets the mapping's has_* flags. Messages go to stderr. */
void np_symstep_local(np_profile *p, bool force);

/* Local symbolization of the mappings with a build ID, the native way (symstep_native.c):
 * the file found by np_binfind_open, all inlined frames, separate debug files. Returns a
 * malloc'd flag per mapping, set for those it took (named or not); the caller frees it. */
bool *np_symstep_native(np_profile *p, bool force);

/* One answer line of a symbol service, as pprof reads it. */
typedef struct np_symbolz_entry {
    uint64_t addr;
    const char *name; /* into the answer, name_len bytes */
    size_t name_len;
} np_symbolz_entry;

/* Parses a symbol service's answer: each complete ("\n"-ended) line holding "0xHEX", white
 * space and a name. Fills *out (malloc'd, caller frees) and *n. -1 with err when an address
 * does not fit 64 bits, as pprof then fails. */
int np_symbolz_parse(const char *data, size_t len, np_symbolz_entry **out, size_t *n, np_err *err);

/* Remote symbolization (pprof's symbolz): for each mapping without functions (or all with
 * force) that was fetched from a URL, POSTs its unsymbolized addresses to the URL's symbol
 * service and names them from the answer. */
int np_symstep_remote(np_profile *p, bool force, const np_map_sources *ms, np_err *err);

#endif
