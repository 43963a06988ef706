/* Go-syntax regular expressions translated to POSIX ERE. */
#include "analyze/regex.h"

#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct np_regex {
    regex_t re;
    char *pattern;
};

static size_t go_repeat(const char *p, int *min, int *max);

/* Copies the bracket expression starting at p; returns its last character. Inside brackets
 * ERE takes a backslash literally, so Go's escapes are rewritten: Perl classes become POSIX
 * ones and an escaped punctuation character stands for itself. */
static const char *translate_class(np_buf *b, const char *p)
{
    np_buf_putc(b, *p++);
    if (*p == '^')
        np_buf_putc(b, *p++);
    if (*p == ']')
        np_buf_putc(b, *p++);
    for (; *p && *p != ']'; p++) {
        if (*p == '[' && p[1] == ':' && strstr(p + 2, ":]")) {
            const char *e = strstr(p + 2, ":]") + 1;
            while (p < e)
                np_buf_putc(b, *p++);
            np_buf_putc(b, *p);
            continue;
        }
        if (*p != '\\' || !p[1]) {
            np_buf_putc(b, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'd': np_buf_puts(b, "0-9"); break;
        case 's': np_buf_puts(b, "[:space:]"); break;
        case 'w': np_buf_puts(b, "[:alnum:]_"); break;
        case 't': np_buf_putc(b, '\t'); break;
        case 'n': np_buf_putc(b, '\n'); break;
        case ']': case '^': case '-':
            /* These keep a meaning wherever they stand; ERE has no escape for them. */
            np_buf_putc(b, '\\');
            np_buf_putc(b, *p);
            break;
        default: np_buf_putc(b, *p);
        }
    }
    if (*p)
        np_buf_putc(b, *p);
    else
        p--;
    return p;
}

/* Rewrites the RE2 constructs that ERE lacks; everything else passes through. */
static char *translate(const char *p, int *flags)
{
    np_buf b = {0};
    if (strncmp(p, "(?i)", 4) == 0) {
        *flags |= REG_ICASE;
        p += 4;
    }
    for (; *p; p++) {
        if (p[0] == '(' && p[1] == '?' && p[2] == ':') {
            np_buf_putc(&b, '(');
            p += 2;
            continue;
        }
        if (p[0] == '[') {
            p = translate_class(&b, p);
            continue;
        }
        if (p[0] == '{') {
            /* A brace that does not start a count is a literal in Go but an error in ERE. */
            int min, max;
            size_t len = go_repeat(p, &min, &max);
            if (len == 0) {
                np_buf_puts(&b, "\\{");
            } else {
                for (size_t k = 0; k < len; k++)
                    np_buf_putc(&b, p[k]);
                p += len - 1;
            }
            continue;
        }
        if (p[0] != '\\' || !p[1]) {
            np_buf_putc(&b, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'd': np_buf_puts(&b, "[0-9]"); break;
        case 'D': np_buf_puts(&b, "[^0-9]"); break;
        case 's': np_buf_puts(&b, "[[:space:]]"); break;
        case 'S': np_buf_puts(&b, "[^[:space:]]"); break;
        case 'w': np_buf_puts(&b, "[[:alnum:]_]"); break;
        case 'W': np_buf_puts(&b, "[^[:alnum:]_]"); break;
        case 't': np_buf_putc(&b, '\t'); break;
        case 'n': np_buf_putc(&b, '\n'); break;
        case 'A': np_buf_putc(&b, '^'); break;
        case 'z': np_buf_putc(&b, '$'); break;
        default:
            np_buf_putc(&b, '\\');
            np_buf_putc(&b, *p);
        }
    }
    np_buf_cstr(&b);
    return b.data;
}

/* Parses a Go counted repetition "{n}", "{n,}" or "{n,m}" at p. Returns its length, or 0
 * when the text is not one (Go then takes the brace as a literal). Counts too long to be
 * sane come back as -1 so the caller reports them as Go does. */
static size_t go_repeat(const char *p, int *min, int *max)
{
    const char *q = p + 1;
    int *dst = min;
    *max = -2; /* no comma yet */
    for (;;) {
        const char *d = q;
        long v = 0;
        while (*q >= '0' && *q <= '9') {
            if (q - d < 8)
                v = v * 10 + (*q - '0');
            q++;
        }
        if (q == d) {
            if (dst == min)
                return 0; /* "{" or "{,": Go wants digits first */
            *max = -1;    /* "{n,}" */
        } else {
            if (q - d > 1 && *d == '0')
                return 0; /* leading zeros make it a literal in Go */
            *dst = q - d >= 8 ? -1 : (int)v;
        }
        if (*q == '}')
            break;
        if (*q != ',' || dst == max)
            return 0;
        dst = max;
        q++;
    }
    if (*max == -2)
        *max = *min;
    return (size_t)(q + 1 - p);
}

/* Finds the syntax errors users make most and names them as Go's regexp package does, so
 * error lines match pprof's; anything subtler is left to regcomp's own message. */
static int go_syntax_error(const char *pat, np_err *err)
{
    int depth = 0;
    bool can_repeat = false;
    /* Start of the repetition operator just before, for Go's "nested repetition" text. */
    const char *last_rep = NULL;
    for (const char *p = pat; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '\\':
            if (!p[1])
                return np_fail(err, "error parsing regexp: trailing backslash at end of expression: ``");
            p++;
            can_repeat = true;
            break;
        case '[': {
            const char *q = p + 1;
            if (*q == '^')
                q++;
            if (*q == ']')
                q++;
            while (*q && *q != ']') {
                if (*q == '\\' && q[1])
                    q++;
                else if (*q == '[' && q[1] == ':' && strstr(q + 2, ":]"))
                    q = strstr(q + 2, ":]") + 1;
                q++;
            }
            if (!*q)
                return np_fail(err, "error parsing regexp: missing closing ]: `%s`", p);
            p = q;
            can_repeat = true;
            break;
        }
        case '(':
            can_repeat = false;
            if (p[1] == '?') {
                /* Flag groups "(?i)" open nothing; "(?i:", "(?:" and "(?P<name>" open a group. */
                const char *q = p + 2;
                if (*q == 'P' && q[1] == '<' && strchr(q, '>')) {
                    p = strchr(q, '>');
                    depth++;
                    break;
                }
                while ((*q >= 'a' && *q <= 'z') || *q == '-')
                    q++;
                if (*q == ')') {
                    p = q;
                    break;
                }
                if (*q == ':')
                    p = q;
            }
            depth++;
            break;
        case ')':
            if (--depth < 0)
                return np_fail(err, "error parsing regexp: unexpected ): `%s`", pat);
            can_repeat = true;
            break;
        case '|':
            can_repeat = false;
            break;
        case '{':
        case '*':
        case '+':
        case '?': {
            size_t len = 1;
            if (*p == '{') {
                int min, max;
                len = go_repeat(p, &min, &max);
                if (len == 0) { /* a literal brace */
                    can_repeat = true;
                    break;
                }
                if (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max))
                    return np_fail(err, "error parsing regexp: invalid repeat count: `%.*s`", (int)len, p);
            }
            rep = p;
            if (p[len] == '?')
                len++; /* non-greedy */
            /* Go checks stacking before the missing operand, and quotes from the first
             * operator to the end of this one. */
            if (last_rep)
                return np_fail(err, "error parsing regexp: invalid nested repetition operator: `%.*s`",
                               (int)(p + len - last_rep), last_rep);
            if (!can_repeat)
                return np_fail(err, "error parsing regexp: missing argument to repetition operator: `%.*s`",
                               (int)len, p);
            p += len - 1;
            break;
        }
        default:
            can_repeat = true;
        }
        last_rep = rep;
    }
    if (depth > 0)
        return np_fail(err, "error parsing regexp: missing closing ): `%s`", pat);
    return 0;
}

np_regex *np_regex_compile(const char *pattern, np_err *err)
{
    if (go_syntax_error(pattern, err) < 0)
        return NULL;
    np_regex *r = np_xcalloc(1, sizeof *r);
    int flags = REG_EXTENDED | REG_NOSUB;
    char *ere = translate(pattern, &flags);
    int rc = regcomp(&r->re, ere, flags);
    free(ere);
    if (rc != 0) {
        char msg[256];
        regerror(rc, &r->re, msg, sizeof msg);
        free(r);
        np_fail(err, "error parsing regexp: %s: `%s`", msg, pattern);
        return NULL;
    }
    r->pattern = np_xstrdup(pattern);
    return r;
}

bool np_regex_match(const np_regex *re, const char *s)
{
    return regexec(&re->re, s, 0, NULL, 0) == 0;
}

void np_regex_free(np_regex *re)
{
    if (!re)
        return;
    regfree(&re->re);
    free(re->pattern);
    free(re);
}

const char *np_regex_pattern(const np_regex *re)
{
    return re->pattern;
}
