/* Entry point for the legacy (pre-profile.proto) formats: compiles the format patterns and
 * tries each parser in the order pprof does, stopping at the first that recognizes the data. */
#include "analyze/formats/legacy.h"

#include "analyze/formats/legacy_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The line formats, as pprof defines them. Written for lg_re (legacy_re.c): Go semantics. */
#define HEAP_TOTALS "heap profile: *(\\d+): *(\\d+) *\\[ *(\\d+): *(\\d+) *\\]"
#define HEX_RANGE "^\\s*(?:0x)?([[:xdigit:]]+)[\\s-]?\\s*(?:0x)?([[:xdigit:]]+):?"
#define PERM "(?:\\s+([-rwxp]+))?"

static const struct {
    size_t offset;
    const char *pattern;
} patterns[] = {
#define P(field, pat) {offsetof(lg_rx, field), pat}
    P(count_start, "^(\\S+) profile: total \\d+$"),
    P(count_line, "^(\\d+) @((?: 0x[0-9a-f]+)+)$"),
    P(heap_header, HEAP_TOTALS " *@ *(heap[_a-z0-9]*)/?(\\d*)"),
    P(heap_sample, "(-?\\d+): *(-?\\d+) *\\[ *(\\d+): *(\\d+) *\\] @([ x0-9a-f]*)"),
    P(growth_header, HEAP_TOTALS " @ growthz?"),
    P(frag_header, HEAP_TOTALS " @ fragmentationz?"),
    P(contention_sample, "(\\d+) *(\\d+) @([ x0-9a-f]*)"),
    P(threadz_start, "--- threadz \\d+ ---"),
    P(thread_start, "--- Thread ([[:xdigit:]]+) \\(name: (.*)/(\\d+)\\) stack: ---"),
    /* /proc/<pid>/maps: range, perms, offset, device, inode, path */
    P(proc_maps, HEX_RANGE PERM "(?:\\s+([[:xdigit:]]+))?\\s+[[:xdigit:]]+:[[:xdigit:]]+"
                 "\\s+[[:digit:]]+(?:\\s+(\\S+))?"),
    /* brief: range, perms, path, (@offset), build id */
    P(brief_maps, HEX_RANGE PERM "(?:\\s+(\\S+))?(?:\\s+\\(@([[:xdigit:]]+)\\))?"
                  "(?:\\s+([[:xdigit:]]+))?"),
    P(log_prefix, "^[^\\[\\]]+:[0-9]+\\]\\s"),
    P(java_attr, "([\\w ]+)=([\\w ]+)"),
    P(java_sample, " *(\\d+) +(\\d+) +@ +([ x0-9a-f]*)"),
    P(java_loc, "^\\s*0x([[:xdigit:]]+)\\s+(.*)\\s*$"),
    P(java_file_line, "^(.*)\\s+\\((.+):(-?[[:digit:]]+)\\)$"),
    P(java_path, "^(.*)\\s+\\((.*)\\)$"),
#undef P
};

int lg_rx_init(lg_rx *rx)
{
    memset(rx, 0, sizeof *rx);
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
        lg_re **slot = (lg_re **)((char *)rx + patterns[i].offset);
        if (!(*slot = lg_re_compile(patterns[i].pattern))) {
            lg_rx_free(rx);
            return -1;
        }
    }
    return 0;
}

void lg_rx_free(lg_rx *rx)
{
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
        lg_re **slot = (lg_re **)((char *)rx + patterns[i].offset);
        lg_re_free(*slot);
        *slot = NULL;
    }
}

int np_legacy_parse(const char *data, size_t len, np_profile **out, np_err *err)
{
    static int (*const parsers[])(const char *, size_t, lg_rx *, np_profile **, np_err *) = {
        lg_parse_cpu,    lg_parse_heap,       lg_parse_count,
        lg_parse_thread, lg_parse_contention, lg_parse_java,
        lg_parse_jemalloc,
    };
    *out = NULL;
    if (!data)
        data = "", len = 0;
    /* The compiled patterns are kept for the next parse (a profile list can hold many legacy
     * files); a parse running while another holds them compiles its own. */
    static lg_rx cached;
    static bool cached_ready, cached_busy;
    lg_rx own, *rx = &own;
    if (!__atomic_exchange_n(&cached_busy, true, __ATOMIC_ACQUIRE)) {
        if (cached_ready || lg_rx_init(&cached) == 0) {
            cached_ready = true;
            rx = &cached;
        } else {
            __atomic_store_n(&cached_busy, false, __ATOMIC_RELEASE);
        }
    }
    if (rx == &own && lg_rx_init(&own) < 0)
        return np_fail(err, "internal error: bad legacy format pattern");
    int rc = LG_UNRECOGNIZED;
    for (size_t i = 0; i < sizeof parsers / sizeof *parsers && rc == LG_UNRECOGNIZED; i++)
        rc = parsers[i](data, len, rx, out, err);
    if (rx == &cached)
        __atomic_store_n(&cached_busy, false, __ATOMIC_RELEASE);
    else
        lg_rx_free(&own);
    if (rc == LG_OK && np_profile_check(*out, err) < 0) {
        np_profile_free(*out);
        *out = NULL;
        return LG_ERROR;
    }
    return rc;
}
