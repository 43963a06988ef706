/* Renderings that must match Go's fmt/time output byte for byte (reports are compared with
 * go tool pprof): durations, times, and shortest float formatting. */
#ifndef NP_GOFMT_H
#define NP_GOFMT_H

#include <stdint.h>

#include "core/util.h"

/* time.Duration.String(), e.g. "1m30s", "1.5ms", "0s". */
void np_go_duration(np_buf *b, int64_t ns);
/* time.Unix(0, ns).String() in the local time zone: "2006-01-02 15:04:05.999999999 -0700 MST". */
void np_go_time(np_buf *b, int64_t ns);
/* strconv.FormatFloat(v, 'g', -1, 64): the shortest text that reads back as v. */
void np_go_float_g(np_buf *b, double v);
/* strconv.FormatFloat(v, 'f', -1, 64). */
void np_go_float_f(np_buf *b, double v);
/* Appends at most max_runes UTF-8 characters of s (Go's %.Nv on strings). */
void np_put_runes(np_buf *b, const char *s, int max_runes);
/* Bytes of the rune at s (n > 0 bytes available) as Go's utf8.DecodeRune takes them: 1 for an
 * invalid or truncated sequence, which Go counts as one rune (U+FFFD). */
size_t np_go_rune_len(const char *s, size_t n);
/* utf8.RuneCount of s[0..n): what Go's %-Ns and text/tabwriter count as a string's width. */
size_t np_go_rune_count(const char *s, size_t n);

/* Go's int64(v) on amd64: truncation toward zero; NaN and values out of range give the
 * "integer indefinite" INT64_MIN (C leaves those undefined). */
int64_t np_go_f2i(double v);
/* Go's abs64 as pprof writes it: the minimum value wraps to itself instead of trapping. */
static inline int64_t np_go_abs64(int64_t v)
{
    return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
}
/* Go's path.Clean of path[0..n) into out, which has room for n + 2 bytes (the result is never
 * longer than path, or "." for an empty one); NUL-terminated; returns its length. Allocates
 * nothing, so the symbolizer can use it inside a profiled program. */
size_t np_go_path_clean(char *out, const char *path, size_t n);
/* strconv.Quote (Go's %q) for ASCII text: backslash escapes for quotes, backslashes and
 * control characters. Bytes from 0x80 up pass through as they are. */
void np_go_quote(np_buf *b, const char *s);
/* A Go error's text: starts in lower case (Go's wording of C library messages; a leading
 * acronym such as "RFS" or "SSL" stays). */
void np_go_error_text(np_buf *b, const char *msg);
/* Go's syscall.Errno text for e (strerror's, worded as np_go_error_text does, with Go's own
 * text where the two tables differ). */
void np_go_errno(np_buf *b, int e);

#endif
