/* Private interface shared by the legacy-format parsers (legacy*.c): a small regexp engine with
 * Go's match semantics, Go-compatible text helpers, and the intermediate profile they build. */
#ifndef NP_LEGACY_INT_H
#define NP_LEGACY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"

/* Parser results, as in legacy.h: parsed, not this format (try the next one), malformed. */
enum { LG_UNRECOGNIZED = 0, LG_OK = 1, LG_ERROR = -1 };

/* A byte range of the input; formats are matched on bytes, never on C strings, so NULs in
 * the input cannot cut a line short. */
typedef struct lg_span {
    const char *p;
    size_t n;
} lg_span;

/* ---- regexps (legacy_re.c) ---------------------------------------------------------------
 * The formats are defined by pprof's RE2 patterns, whose leftmost-first submatch rules decide
 * what a line means; lg_re reproduces those rules in linear time on any input. */
typedef struct lg_re lg_re;

/* Compiles a fixed pattern (a subset of RE2 syntax); NULL if the pattern itself is bad. */
lg_re *lg_re_compile(const char *pattern);
void lg_re_free(lg_re *re);
/* Number of capture groups, group 0 (the whole match) included. */
int lg_re_ngroups(const lg_re *re);
/* Unanchored leftmost-first search. On a match fills g[0..ngroups) (a group that did not take
 * part is an empty span) and returns true. */
bool lg_re_find(lg_re *re, const char *s, size_t n, lg_span *g);
/* The heap sample pattern's groups where it matches from the line's first byte, without the
 * regular expression (legacy_fast.c); false otherwise, and the caller asks the pattern. */
bool lg_fast_heap_sample(lg_span line, lg_span g[6]);
/* Test hook: inputs with at least this many (instruction, position) pairs go to the Pike VM. */
void lg_re_set_bitstate_limit(size_t pairs);

/* Every pattern the parsers use (legacy.c), compiled once per np_legacy_parse call, so
 * parsing needs no global state. */
typedef struct lg_rx {
    lg_re *count_start, *count_line, *heap_header, *heap_sample, *growth_header, *frag_header,
        *contention_sample, *threadz_start, *thread_start, *proc_maps, *brief_maps, *log_prefix,
        *java_attr, *java_sample, *java_loc, *java_file_line, *java_path;
} lg_rx;

int lg_rx_init(lg_rx *rx);
void lg_rx_free(lg_rx *rx);

/* ---- Go-compatible text helpers (legacy_text.c) ------------------------------------------ */

/* bufio.Scanner with ScanLines: lines without "\n" and a trailing "\r"; a line longer than
 * Go's 64 KiB token limit stops the scan with an error, as it does in pprof. */
typedef struct lg_scanner {
    const char *d;
    size_t len, pos;
    lg_span tok; /* the current line; empty once scan returned false */
    bool too_long;
} lg_scanner;

void lg_scan_init(lg_scanner *s, const char *d, size_t len);
bool lg_scan(lg_scanner *s);
/* Reports the scanner's error (if any) in err; returns -1 then, else 0. */
int lg_scan_err(const lg_scanner *s, np_err *err);

lg_span lg_span_of(const char *p, size_t n);
lg_span lg_trim(lg_span s); /* strings.TrimSpace: ASCII and Unicode white space */
bool lg_space_or_comment(lg_span s);
bool lg_has_prefix(lg_span s, const char *prefix);
bool lg_contains(lg_span s, const char *needle);
bool lg_eq(lg_span s, const char *lit);
bool lg_is_map_sentinel(lg_span s);

/* strconv.ParseUint / ParseInt (base 0 or 2..36, 64 bits); false on syntax or range error. */
bool lg_parse_uint(lg_span s, int base, uint64_t *out);
bool lg_parse_int(lg_span s, int base, int64_t *out);
/* int64(f) as Go compiles it on amd64: out-of-range and NaN give INT64_MIN. */
int64_t lg_f2i(double f);
/* Go's wrapping signed arithmetic, without C's undefined behaviour. */
int64_t lg_mul(int64_t a, int64_t b);
int64_t lg_div(int64_t a, int64_t b); /* b != 0 */
/* pprof's scaleHeapSample: unbias Poisson-sampled (count, size) at mean rate. */
void lg_scale_heap(int64_t *count, int64_t *size, int64_t rate);

/* Growable array of addresses. */
typedef struct lg_addrs {
    uint64_t *v;
    size_t n, cap;
} lg_addrs;

/* Appends every "0x[0-9a-f]+" in s (parseHexAddresses); false if one overflows 64 bits. */
bool lg_hex_addrs(lg_span s, lg_addrs *out);

/* ---- the intermediate profile (legacy_prof.c) -------------------------------------------- */

typedef struct lg_loc {
    uint64_t addr;
    uint32_t map;  /* mapping index or NP_NONE */
    uint32_t func; /* function index or NP_NONE (Java only) */
    int64_t line;
} lg_loc;

typedef struct lg_sample {
    size_t off; /* first location index in lg_prof.pool */
    uint32_t n_loc;
    bool has_bytes;
    int64_t bytes; /* the "bytes" numeric label of heap profiles */
    int64_t v[4];
} lg_sample;

typedef struct lg_map {
    uint64_t start, limit, offset;
    const char *file, *build_id;
} lg_map;

typedef struct lg_func {
    const char *name, *file;
} lg_func;

/* Address -> location index, for the parsers' one-location-per-address rule. */
typedef struct lg_addr_index {
    uint64_t *keys;
    uint32_t *vals; /* index + 1; 0 = empty */
    size_t cap, n;
} lg_addr_index;

/* Mirrors the pprof Profile a legacy parser builds before it is converted to an np_profile.
 * Strings live in out's arena, so out is created first and freed on failure. */
typedef struct lg_prof {
    np_profile *out;
    lg_loc *loc;
    size_t n_loc, cap_loc;
    lg_sample *sample;
    size_t n_sample, cap_sample;
    uint32_t *pool; /* location indices of all samples */
    size_t n_pool, cap_pool;
    lg_map *map;
    size_t n_map, cap_map;
    lg_func *func;
    size_t n_func, cap_func;
    lg_addr_index by_addr;
    np_value_type st[4];
    size_t n_st;
    np_value_type period_type;
    int64_t period, duration;
} lg_prof;

/* How a parser turns stack addresses into call sites before looking locations up. */
enum { LG_ADJ_NONE, LG_ADJ_ALL, LG_ADJ_CALLERS };

void lg_prof_init(lg_prof *lp);
void lg_prof_free(lg_prof *lp); /* frees out too unless it was taken by lg_prof_finish */
void lg_prof_set_types(lg_prof *lp, size_t n, const char *const *type_unit);
/* The location for addr, created on first use. */
uint32_t lg_loc_for(lg_prof *lp, uint64_t addr);
/* The location for addr, or NP_NONE; valid until locations are renumbered. */
uint32_t lg_loc_find(const lg_prof *lp, uint64_t addr);
/* Appends a sample whose stack is addrs (leaf first), adjusted as adj says; values zeroed. */
lg_sample *lg_add_sample(lg_prof *lp, const uint64_t *addrs, size_t n, int adj);
static inline uint32_t *lg_sample_locs(lg_prof *lp, const lg_sample *s)
{
    return lp->pool + s->off;
}
/* Deletes the second frame of a sample (pprof's frame clean-ups). */
void lg_drop_second_frame(lg_prof *lp, lg_sample *s);
/* cleanupDuplicateLocations: a leaf seen both from the signal context and the unwinder. */
void lg_drop_duplicate_leaf(lg_prof *lp);

/* remapLocationIDs + remapFunctionIDs + remapMappingIDs, without reading mappings (Java). */
void lg_remap(lg_prof *lp);
/* Moves the result into an np_profile (with legacy drop/keep frames) and returns it. */
np_profile *lg_prof_finish(lg_prof *lp);

/* ---- the memory map (legacy_maps.c) ------------------------------------------------------ */

/* Reads map lines from the scanner's next line on, then renumbers everything as pprof's
 * ParseMemoryMapFromScanner does. 0 or -1 with err. */
int lg_parse_memory_map(lg_prof *lp, lg_scanner *s, lg_rx *rx, np_err *err);
/* parseAdditionalSections: skips to the memory-map sentinel (unless the current line is it),
 * then reads the map. */
int lg_additional_sections(lg_prof *lp, lg_scanner *s, lg_rx *rx, np_err *err);

/* ---- the parsers, in the order pprof tries them ----------------------------------------- */
int lg_parse_cpu(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err);
int lg_parse_heap(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err);
int lg_parse_count(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err);
int lg_parse_thread(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err);
int lg_parse_contention(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err);
int lg_parse_java(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err);
/* jemalloc's "heap_v2/<rate>" dumps, which pprof itself does not read (legacy_jemalloc.c). */
int lg_parse_jemalloc(const char *d, size_t n, lg_rx *rx, np_profile **out, np_err *err);
/* Java profiles end with a symbol section: reads it from b, then renumbers and strips
 * addresses as pprof does. Shared by the text Java profiles and the binary Java CPU profile. */
int lg_java_finish(lg_prof *lp, const char *b, size_t n, lg_rx *rx, np_err *err);

#endif
