/* Go-compatible text primitives for the legacy parsers: line scanning, trimming, integer
 * parsing and arithmetic with exactly the edge cases of the Go code pprof runs. */
#include "analyze/formats/legacy_int.h"

#include <math.h>
#include <string.h>

/* bufio.MaxScanTokenSize: the largest line (newline included) a default Scanner returns. */
#define GO_MAX_TOKEN 65536

void lg_scan_init(lg_scanner *s, const char *d, size_t len)
{
    *s = (lg_scanner){.d = d, .len = len, .tok = {d, 0}};
}

bool lg_scan(lg_scanner *s)
{
    s->tok = (lg_span){s->d + s->pos, 0};
    if (s->too_long || s->pos >= s->len)
        return false;
    size_t rest = s->len - s->pos;
    const char *start = s->d + s->pos;
    const char *nl = memchr(start, '\n', rest < GO_MAX_TOKEN ? rest : GO_MAX_TOKEN);
    size_t n;
    if (nl) {
        n = (size_t)(nl - start);
        s->pos += n + 1;
    } else if (rest >= GO_MAX_TOKEN) {
        /* Go's buffer fills up before it sees a newline or the end of the data. */
        s->too_long = true;
        return false;
    } else {
        n = rest;
        s->pos = s->len;
    }
    if (n && start[n - 1] == '\r')
        n--;
    s->tok = (lg_span){start, n};
    return true;
}

int lg_scan_err(const lg_scanner *s, np_err *err)
{
    if (s->too_long)
        return np_fail(err, "bufio.Scanner: token too long");
    return 0;
}

lg_span lg_span_of(const char *p, size_t n)
{
    return (lg_span){p, n};
}

/* Length of the Unicode white-space rune at the start of p[0..n), or 0. */
static size_t space_prefix(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c == 0xc2 && n >= 2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (n >= 3 && c == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
        return 3; /* U+1680 */
    if (n >= 3 && c == 0xe2 && p[1] == 0x80 &&
        (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf) && p[2] >= 0x80)
        return 3; /* U+2000..U+200A, U+2028, U+2029, U+202F */
    if (n >= 3 && c == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
        return 3; /* U+205F */
    if (n >= 3 && c == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
        return 3; /* U+3000 */
    return 0;
}

/* Same at the end. A well-formed space encoding ending the text is what Go's DecodeLastRune
 * returns there, so matching the suffix is exact. */
static size_t space_suffix(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = p[n - 1];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c < 0x80)
        return 0;
    if (n >= 2 && space_prefix(p + n - 2, 2) == 2)
        return 2;
    if (n >= 3 && space_prefix(p + n - 3, 3) == 3)
        return 3;
    return 0;
}

lg_span lg_trim(lg_span s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t k;
    while ((k = space_prefix(p, s.n)) != 0)
        p += k, s.n -= k;
    while ((k = space_suffix(p, s.n)) != 0)
        s.n -= k;
    s.p = (const char *)p;
    return s;
}

bool lg_space_or_comment(lg_span s)
{
    s = lg_trim(s);
    return s.n == 0 || s.p[0] == '#';
}

bool lg_has_prefix(lg_span s, const char *prefix)
{
    size_t k = strlen(prefix);
    return s.n >= k && memcmp(s.p, prefix, k) == 0;
}

bool lg_contains(lg_span s, const char *needle)
{
    return memmem(s.p, s.n, needle, strlen(needle)) != NULL;
}

bool lg_eq(lg_span s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

bool lg_is_map_sentinel(lg_span s)
{
    /* memchr first: most lines have neither a '-' nor an 'M', and memmem costs more. */
    return s.n && ((memchr(s.p, '-', s.n) && lg_contains(s, "--- Memory map: ---")) ||
                   (memchr(s.p, 'M', s.n) && lg_contains(s, "MAPPED_LIBRARIES:")));
}

static unsigned char lower(unsigned char c)
{
    return c | 0x20;
}

/* strconv's rule for '_' digit separators, allowed only with base 0. */
static bool underscore_ok(lg_span s)
{
    char saw = '^';
    size_t i = 0;
    const unsigned char *p = (const unsigned char *)s.p;
    size_t n = s.n;
    if (n >= 1 && (p[0] == '-' || p[0] == '+'))
        p++, n--;
    bool hex = false;
    if (n >= 2 && p[0] == '0' && (lower(p[1]) == 'b' || lower(p[1]) == 'o' || lower(p[1]) == 'x')) {
        i = 2;
        saw = '0';
        hex = lower(p[1]) == 'x';
    }
    for (; i < n; i++) {
        if ((p[i] >= '0' && p[i] <= '9') || (hex && lower(p[i]) >= 'a' && lower(p[i]) <= 'f')) {
            saw = '0';
            continue;
        }
        if (p[i] == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
    }
    return saw != '_';
}

bool lg_parse_uint(lg_span s, int base, uint64_t *out)
{
    if (s.n == 0)
        return false;
    const lg_span s0 = s;
    bool base0 = base == 0;
    const unsigned char *p = (const unsigned char *)s.p;
    size_t n = s.n;
    if (base0) {
        base = 10;
        if (p[0] == '0') {
            if (n >= 3 && lower(p[1]) == 'b')
                base = 2, p += 2, n -= 2;
            else if (n >= 3 && lower(p[1]) == 'o')
                base = 8, p += 2, n -= 2;
            else if (n >= 3 && lower(p[1]) == 'x')
                base = 16, p += 2, n -= 2;
            else
                base = 8, p++, n--;
        }
    } else if (base < 2 || base > 36) {
        return false;
    }
    uint64_t cutoff = UINT64_MAX / (uint64_t)base + 1;
    bool underscores = false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i], d;
        if (c == '_' && base0) {
            underscores = true;
            continue;
        } else if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (lower((unsigned char)c) >= 'a' && lower((unsigned char)c) <= 'z') {
            d = lower((unsigned char)c) - 'a' + 10u;
        } else {
            return false;
        }
        if (d >= (unsigned)base || v >= cutoff)
            return false;
        v *= (uint64_t)base;
        if (v + d < v)
            return false;
        v += d;
    }
    if (underscores && !underscore_ok(s0))
        return false;
    *out = v;
    return true;
}

bool lg_parse_int(lg_span s, int base, int64_t *out)
{
    if (s.n == 0)
        return false;
    bool neg = false;
    if (s.p[0] == '+' || s.p[0] == '-') {
        neg = s.p[0] == '-';
        s.p++, s.n--;
    }
    uint64_t u;
    if (!lg_parse_uint(s, base, &u))
        return false;
    if (!neg && u >= (uint64_t)1 << 63)
        return false;
    if (neg && u > (uint64_t)1 << 63)
        return false;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

int64_t lg_f2i(double f)
{
    /* CVTTSD2SQ yields the "integer indefinite" value for NaN and out-of-range inputs. */
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)f;
}

int64_t lg_mul(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

int64_t lg_div(int64_t a, int64_t b)
{
    if (b == -1)
        return (int64_t)(0 - (uint64_t)a); /* Go defines MinInt64 / -1 == MinInt64 */
    return a / b;
}

void lg_scale_heap(int64_t *count, int64_t *size, int64_t rate)
{
    if (*count == 0 || *size == 0) {
        *count = *size = 0;
        return;
    }
    if (rate <= 1)
        return; /* everything was recorded, or the rate is unknown */
    double avg = (double)*size / (double)*count;
    double scale = 1 / (1 - exp(-avg / (double)rate));
    *count = lg_f2i((double)*count * scale);
    *size = lg_f2i((double)*size * scale);
}

static bool is_lhex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The value of at most 16 lower-case hex digits (no overflow possible): the common address,
 * read without lg_parse_uint's generality, which was most of reading a large heap profile. */
static uint64_t hex_value(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++)
        v = v << 4 | (uint64_t)(p[k] <= '9' ? p[k] - '0' : p[k] - 'a' + 10);
    return v;
}

bool lg_hex_addrs(lg_span s, lg_addrs *out)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0;
    while (i + 2 < s.n) {
        if (p[i] != '0' || p[i + 1] != 'x' || !is_lhex(p[i + 2])) {
            i++;
            continue;
        }
        size_t j = i + 2;
        while (j < s.n && is_lhex(p[j]))
            j++;
        uint64_t v;
        if (j - i - 2 <= 16)
            v = hex_value(p + i + 2, j - i - 2);
        else if (!lg_parse_uint(lg_span_of(s.p + i + 2, j - i - 2), 16, &v))
            return false;
        *NP_PUSH(out->v, out->n, out->cap) = v;
        i = j;
    }
    return true;
}
