/* Go-compatible renderings of durations, times and floats. */
#include "core/gofmt.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Writes v/10^prec with trailing zeros of the fraction removed, as Go's fmtFrac+fmtInt do. */
static void put_frac(np_buf *b, uint64_t v, int prec)
{
    char digits[32];
    int n = 0;
    bool any = false;
    for (int i = 0; i < prec; i++) {
        int d = (int)(v % 10);
        any = any || d != 0;
        if (any)
            digits[n++] = (char)('0' + d);
        v /= 10;
    }
    char head[24];
    snprintf(head, sizeof head, "%llu", (unsigned long long)v);
    np_buf_puts(b, head);
    if (n) {
        np_buf_putc(b, '.');
        while (n > 0)
            np_buf_putc(b, digits[--n]);
    }
}

void np_go_duration(np_buf *b, int64_t ns)
{
    bool neg = ns < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (neg)
        np_buf_putc(b, '-');
    if (u < 1000000000ULL) {
        if (u == 0) {
            np_buf_puts(b, "0s");
        } else if (u < 1000ULL) {
            np_buf_printf(b, "%lluns", (unsigned long long)u);
        } else if (u < 1000000ULL) {
            put_frac(b, u, 3);
            np_buf_puts(b, "\xc2\xb5s");
        } else {
            put_frac(b, u, 6);
            np_buf_puts(b, "ms");
        }
        return;
    }
    uint64_t secs = u / 1000000000ULL, frac = u % 1000000000ULL;
    uint64_t h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
    if (h)
        np_buf_printf(b, "%lluh", (unsigned long long)h);
    if (h || m)
        np_buf_printf(b, "%llum", (unsigned long long)m);
    put_frac(b, s * 1000000000ULL + frac, 9);
    np_buf_putc(b, 's');
}

void np_go_time(np_buf *b, int64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000LL);
    long frac = (long)(ns % 1000000000LL);
    if (frac < 0) {
        frac += 1000000000L;
        secs--;
    }
    struct tm tm;
    localtime_r(&secs, &tm);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    np_buf_puts(b, date);
    if (frac) {
        char f[16];
        snprintf(f, sizeof f, ".%09ld", frac);
        size_t n = strlen(f);
        while (f[n - 1] == '0')
            f[--n] = 0;
        np_buf_puts(b, f);
    }
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    np_buf_printf(b, " %c%02ld%02ld ", sign, off / 3600, off / 60 % 60);
    if (tm.tm_zone && tm.tm_zone[0] && tm.tm_zone[0] != '+' && tm.tm_zone[0] != '-')
        np_buf_puts(b, tm.tm_zone);
    else
        np_buf_printf(b, "%c%02ld%02ld", sign, off / 3600, off / 60 % 60);
}

/* Shortest %.*e digits that read back to v. */
static int shortest_digits(double v, char *digits, int *exp10)
{
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v || prec == 17) {
            int n = 0;
            for (char *p = tmp; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9')
                    digits[n++] = *p;
            while (n > 1 && digits[n - 1] == '0')
                n--;
            digits[n] = 0;
            *exp10 = atoi(strchr(tmp, 'e') + 1);
            return n;
        }
    }
    return 0;
}

static bool special(np_buf *b, double v)
{
    if (isnan(v)) {
        np_buf_puts(b, "NaN");
        return true;
    }
    if (isinf(v)) {
        np_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
        return true;
    }
    return false;
}

static void put_fixed(np_buf *b, const char *digits, int n, int exp10)
{
    if (exp10 < 0) {
        np_buf_puts(b, "0.");
        for (int i = 0; i < -exp10 - 1; i++)
            np_buf_putc(b, '0');
        np_buf_puts(b, digits);
        return;
    }
    for (int i = 0; i <= exp10; i++)
        np_buf_putc(b, i < n ? digits[i] : '0');
    if (n > exp10 + 1) {
        np_buf_putc(b, '.');
        np_buf_puts(b, digits + exp10 + 1);
    }
}

void np_go_float_g(np_buf *b, double v)
{
    if (special(b, v))
        return;
    if (v == 0) {
        np_buf_puts(b, signbit(v) ? "-0" : "0");
        return;
    }
    if (v < 0) {
        np_buf_putc(b, '-');
        v = -v;
    }
    char digits[32];
    int exp10;
    int n = shortest_digits(v, digits, &exp10);
    /* strconv's shortest 'g': exponent form when exp < -4 or exp >= 6, where the 6 drops to the
     * digit count when all digits are before the decimal point. */
    int eprec = 6;
    if (eprec > n && n >= exp10 + 1)
        eprec = n;
    if (exp10 < -4 || exp10 >= eprec) {
        np_buf_putc(b, digits[0]);
        if (n > 1) {
            np_buf_putc(b, '.');
            np_buf_puts(b, digits + 1);
        }
        np_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        return;
    }
    put_fixed(b, digits, n, exp10);
}

void np_go_float_f(np_buf *b, double v)
{
    if (special(b, v))
        return;
    if (v == 0) {
        np_buf_puts(b, signbit(v) ? "-0" : "0");
        return;
    }
    if (v < 0) {
        np_buf_putc(b, '-');
        v = -v;
    }
    char digits[32];
    int exp10;
    int n = shortest_digits(v, digits, &exp10);
    put_fixed(b, digits, n, exp10);
}

size_t np_go_rune_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len <= 1 || len > n)
        return 1;
    /* The second byte's range is narrower after E0, ED, F0 and F4 (no overlongs, surrogates or
     * code points above U+10FFFF). */
    unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (u[1] < lo || u[1] > hi)
        return 1;
    for (size_t i = 2; i < len; i++)
        if (u[i] < 0x80 || u[i] > 0xbf)
            return 1;
    return len;
}

size_t np_go_rune_count(const char *s, size_t n)
{
    size_t runes = 0;
    for (size_t i = 0; i < n; runes++)
        i += np_go_rune_len(s + i, n - i);
    return runes;
}

void np_put_runes(np_buf *b, const char *s, int max_runes)
{
    size_t n = strlen(s), i = 0;
    for (int runes = 0; i < n && runes < max_runes; runes++)
        i += np_go_rune_len(s + i, n - i);
    np_buf_add(b, s, i);
}

void np_go_quote(np_buf *b, const char *s)
{
    np_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': np_buf_puts(b, "\\\""); break;
        case '\\': np_buf_puts(b, "\\\\"); break;
        case '\a': np_buf_puts(b, "\\a"); break;
        case '\b': np_buf_puts(b, "\\b"); break;
        case '\f': np_buf_puts(b, "\\f"); break;
        case '\n': np_buf_puts(b, "\\n"); break;
        case '\r': np_buf_puts(b, "\\r"); break;
        case '\t': np_buf_puts(b, "\\t"); break;
        case '\v': np_buf_puts(b, "\\v"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                np_buf_printf(b, "\\x%02x", *p);
            else
                np_buf_putc(b, (char)*p);
        }
    }
    np_buf_putc(b, '"');
}

int64_t np_go_f2i(double v)
{
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)v;
}

void np_go_error_text(np_buf *b, const char *msg)
{
    size_t at = b->len;
    np_buf_puts(b, msg);
    char *d = b->data;
    if (b->len > at + 1 && d[at] >= 'A' && d[at] <= 'Z' && d[at + 1] >= 'a' && d[at + 1] <= 'z')
        d[at] = (char)(d[at] - 'A' + 'a');
}

void np_go_errno(np_buf *b, int e)
{
    /* Go keeps the older wording where glibc's changed. */
    if (e == ESTALE) {
        np_buf_puts(b, "stale NFS file handle");
        return;
    }
    np_go_error_text(b, strerror(e));
}

size_t np_go_path_clean(char *out, const char *path, size_t n)
{
    if (n == 0) {
        memcpy(out, ".", 2);
        return 1;
    }
    bool rooted = path[0] == '/';
    size_t w = 0, r = 0, dotdot = 0; /* dotdot: where ".." can backtrack to */
    if (rooted) {
        out[w++] = '/';
        r = dotdot = 1;
    }
    while (r < n) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && r + 1 < n && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && path[r] != '/'; r++)
                out[w++] = path[r];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = 0;
    return w;
}
