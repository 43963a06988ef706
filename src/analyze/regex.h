/* Regular expressions with the Go (RE2) syntax that pprof's options use, on top of POSIX
 * extended regexps: Perl classes (\d \s \w), flag groups ((?i) (?s) (?i:...)), \Q...\E,
 * named and non-capturing groups are translated. */
#ifndef NP_REGEX_H
#define NP_REGEX_H

#include <stdbool.h>

#include "core/util.h"

typedef struct np_regex np_regex;

/* Returns NULL with err ("error parsing regexp: ...") when the pattern is invalid. */
np_regex *np_regex_compile(const char *pattern, np_err *err);
/* Unanchored search, as Go's MatchString. */
bool np_regex_match(const np_regex *re, const char *s);
void np_regex_free(np_regex *re);
const char *np_regex_pattern(const np_regex *re);

#endif
