/* Source files for reports (the list report, and any view that shows source lines): trimming
 * the file names a profile records as pprof does, and finding and reading those files. */
#ifndef NP_SOURCE_H
#define NP_SOURCE_H

#include <stddef.h>

#include "core/util.h"

/* pprof's trimPath: the part of path left after the heuristic cut after "/<base of a search
 * dir>/" (only when trim is empty), else after the first of trim's ':'-separated prefixes or
 * /proc/self/cwd. The result is a suffix of path (a pointer into it). trim and search may be
 * NULL or "". */
const char *np_source_trim_path(const char *path, const char *trim, const char *search);

/* The same rule prepared once for many paths (a report trims every function's file name). */
typedef struct np_trimmer {
    char **cuts;     /* "/<base of a search dir>/", tried first */
    size_t n_cuts;
    char **prefixes; /* -trim_path's prefixes and /proc/self/cwd's, each ending in '/' */
    size_t n_prefixes;
} np_trimmer;
void np_trimmer_init(np_trimmer *t, const char *trim, const char *search);
const char *np_trimmer_apply(const np_trimmer *t, const char *path);
void np_trimmer_free(np_trimmer *t);

/* One source file as bufio.Scanner splits it: lines without "\n" and one trailing "\r"; a line
 * longer than 64 KiB ends the file, as it ends pprof's reading. */
typedef struct np_source_file {
    const char *key;   /* the profile's file name (owned by the caller) */
    np_buf text;       /* the lines' bytes */
    size_t *off, *len; /* per line, 1-based (index 0 unused) */
    size_t n_lines;    /* including the unused slot 0 */
    char *error;       /* pprof's text for a file not found or not readable, or NULL */
} np_source_file;

/* Files already read (pprof's sourceReader cache). Zero-initialize; free with
 * np_source_cache_free. */
typedef struct np_source_cache {
    np_source_file *files;
    size_t n;
} np_source_cache;

/* The file for the profile's name key: found after trimming (np_source_trim_path) in each
 * ':'-separated search directory and its parents, read once. Never NULL; a file that cannot be
 * found has no lines and an error. The pointer is valid until the next call on c. */
np_source_file *np_source_get(np_source_cache *c, const char *key, const char *search, const char *trim);
void np_source_cache_free(np_source_cache *c);

#endif
