/* Parsers for the legacy profile formats pprof still reads: gperftools/Go heap text, Go count
 * profiles (goroutine/threadcreate debug=1), thread text, contention text, the gperftools CPU
 * binary and Java profiles. Each builds an np_profile. */
#ifndef NP_LEGACY_H
#define NP_LEGACY_H

#include <stddef.h>

#include "core/profile.h"

/* Tries every legacy format in pprof's order. Returns 1 with *out on success, 0 if the data is
 * in none of these formats (caller reports "unrecognized profile format"), -1 if it is one of
 * them but malformed (err says why). */
int np_legacy_parse(const char *data, size_t len, np_profile **out, np_err *err);

/* `perf script` output (perfscript.c), a format pprof does not read: tried after the legacy
 * ones. Same results as np_legacy_parse. */
int np_perfscript_parse(const char *data, size_t len, np_profile **out, np_err *err);

#endif
