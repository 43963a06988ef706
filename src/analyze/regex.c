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

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char other_case(char c)
{
    return (char)(c ^ 0x20); /* ASCII letters only */
}

/* One character or range of a bracket expression, with the other case added when a scoped
 * (?i) folds letters by hand ("a-f" also gets "A-F"). Returns its last character. */
static const char *class_item(np_buf *b, const char *p, bool fold)
{
    bool range = p[1] == '-' && p[2] && p[2] != ']' && p[2] != '\\' && p[2] != '[';
    const char *last = range ? p + 2 : p;
    np_buf_add(b, p, (size_t)(last - p + 1));
    if (fold && is_letter(*p) && (!range || (is_letter(*last) && (*p < 'a') == (*last < 'a')))) {
        np_buf_putc(b, other_case(*p));
        if (range) {
            np_buf_putc(b, '-');
            np_buf_putc(b, other_case(*last));
        }
    }
    return last;
}

/* Copies the bracket expression starting at p; returns its last character. Inside brackets
 * ERE takes a backslash literally, so Go's escapes are rewritten: Perl classes become POSIX
 * ones and an escaped punctuation character stands for itself. */
static const char *translate_class(np_buf *b, const char *p, bool fold)
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
            p = class_item(b, p, fold);
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

/* Parses Go's flag syntax at p, "(?flags)" or "(?flags:" with flags from "imsU" and one '-'
 * that clears those after it. Returns its length, or 0 when p does not start one; *icase is
 * 1 or 0 when i is set or cleared, else -1; *scoped when it opens a group. */
static size_t flag_group(const char *p, int *icase, bool *scoped)
{
    if (p[0] != '(' || p[1] != '?')
        return 0;
    int sign = 1;
    *icase = -1;
    const char *q = p + 2;
    for (; *q && strchr("imsU-", *q); q++) {
        if (*q == '-')
            sign = 0;
        else if (*q == 'i')
            *icase = sign;
    }
    if (*q != ')' && *q != ':')
        return 0;
    *scoped = *q == ':';
    return (size_t)(q + 1 - p);
}

/* The ERE being written, and per open group whether letters are folded by hand: a (?i) that
 * does not cover the whole pattern cannot use REG_ICASE. */
typedef struct xl {
    np_buf b;
    bool fold[32];
    int depth;
} xl;

static bool *fold_at(xl *x)
{
    return &x->fold[x->depth < 32 ? x->depth : 31];
}

static void open_group(xl *x, int icase)
{
    bool f = *fold_at(x);
    x->depth++;
    *fold_at(x) = icase < 0 ? f : icase;
    np_buf_putc(&x->b, '(');
}

/* A character that stands for itself. */
static void put_literal(xl *x, char c)
{
    if (*fold_at(x) && is_letter(c)) {
        np_buf_printf(&x->b, "[%c%c]", c, other_case(c));
        return;
    }
    if (strchr(".[]()*+?{}|^$\\", c))
        np_buf_putc(&x->b, '\\');
    np_buf_putc(&x->b, c);
}

/* "\Q...\E": everything up to \E (or the end) is literal. Returns the last character used. */
static const char *quoted(xl *x, const char *p)
{
    const char *e = strstr(p + 2, "\\E");
    const char *stop = e ? e : p + strlen(p);
    for (const char *q = p + 2; q < stop; q++)
        put_literal(x, *q);
    return e ? e + 1 : stop - 1;
}

/* An open parenthesis: a group of any kind, or flags for the rest of the current group. */
static const char *paren(xl *x, const char *p)
{
    int icase;
    bool scoped;
    size_t len = flag_group(p, &icase, &scoped);
    if (len && !scoped) {
        if (icase >= 0)
            *fold_at(x) = icase;
        return p + len - 1;
    }
    open_group(x, len ? icase : -1);
    if (len)
        return p + len - 1;
    if (p[1] == '?' && p[2] == 'P' && p[3] == '<' && strchr(p, '>'))
        return strchr(p, '>');
    return p;
}

/* A backslash sequence outside brackets. */
static void escape(xl *x, char c)
{
    switch (c) {
    case 'd': np_buf_puts(&x->b, "[0-9]"); break;
    case 'D': np_buf_puts(&x->b, "[^0-9]"); break;
    case 's': np_buf_puts(&x->b, "[[:space:]]"); break;
    case 'S': np_buf_puts(&x->b, "[^[:space:]]"); break;
    case 'w': np_buf_puts(&x->b, "[[:alnum:]_]"); break;
    case 'W': np_buf_puts(&x->b, "[^[:alnum:]_]"); break;
    case 't': np_buf_putc(&x->b, '\t'); break;
    case 'n': np_buf_putc(&x->b, '\n'); break;
    case 'A': np_buf_putc(&x->b, '^'); break;
    case 'z': np_buf_putc(&x->b, '$'); break;
    default:
        if (is_letter(c) || strchr(".[]()*+?{}|^$\\", c)) {
            np_buf_putc(&x->b, '\\');
            np_buf_putc(&x->b, c);
        } else {
            put_literal(x, c);
        }
    }
}

/* Whether a flag group in p clears i: a leading (?i) then cannot be REG_ICASE. */
static bool clears_icase(const char *p)
{
    int icase;
    bool scoped;
    for (; (p = strchr(p, '(')); p++)
        if (flag_group(p, &icase, &scoped) && icase == 0)
            return true;
    return false;
}

/* "\0" to "\377": a character code of up to three octal digits. Returns its last digit. */
static const char *octal(xl *x, const char *p)
{
    int v = 0, n = 0;
    for (p++; n < 3 && *p >= '0' && *p <= '7'; p++, n++)
        v = v * 8 + (*p - '0');
    if (v)
        put_literal(x, (char)v);
    else
        np_buf_puts(&x->b, "[^\x01-\xff]"); /* no C string holds a NUL */
    return p - 1;
}

/* Rewrites the RE2 constructs that ERE lacks; everything else passes through. A flag group
 * at the very start covers the whole pattern, so its i becomes REG_ICASE. */
static char *translate(const char *p, int *flags)
{
    xl x = {0};
    int icase;
    bool scoped;
    size_t len = flag_group(p, &icase, &scoped);
    if (len && !scoped) {
        p += len;
        if (icase == 1 && !clears_icase(p))
            *flags |= REG_ICASE;
        else
            x.fold[0] = icase == 1;
    }
    for (; *p; p++) {
        if (p[0] == '(') {
            p = paren(&x, p);
        } else if (p[0] == ')') {
            x.depth -= x.depth > 0;
            np_buf_putc(&x.b, ')');
        } else if (p[0] == '[') {
            p = translate_class(&x.b, p, *fold_at(&x));
        } else if (p[0] == '{') {
            /* A brace that does not start a count is a literal in Go but an error in ERE. */
            int min, max;
            size_t n = go_repeat(p, &min, &max);
            if (n == 0) {
                np_buf_puts(&x.b, "\\{");
            } else {
                np_buf_add(&x.b, p, n);
                p += n - 1;
            }
        } else if (p[0] == '\\' && p[1] == 'Q') {
            p = quoted(&x, p);
        } else if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7') {
            p = octal(&x, p);
        } else if (p[0] == '\\' && p[1]) {
            escape(&x, *++p);
        } else if (is_letter(p[0])) {
            put_literal(&x, p[0]);
        } else {
            np_buf_putc(&x.b, *p);
        }
    }
    np_buf_cstr(&x.b);
    return x.b.data;
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
            if (p[1] == 'Q') {
                const char *e = strstr(p + 2, "\\E");
                p = e ? e + 1 : p + strlen(p) - 1;
                can_repeat = true;
                break;
            }
            /* A lone digit would be a backreference, which RE2 has not; two or three octal
             * digits are a character code. */
            if (p[1] >= '1' && p[1] <= '9' && !(p[1] <= '7' && p[2] >= '0' && p[2] <= '7'))
                return np_fail(err, "error parsing regexp: invalid escape sequence: `%.2s`", p);
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
                while (*q && strchr("imsU-", *q))
                    q++;
                if (*q == ')') {
                    p = q;
                    break;
                }
                /* Lookarounds and other Perl groups RE2 does not have. */
                if (*q != ':')
                    return np_fail(err, "error parsing regexp: invalid or unsupported Perl syntax: `%.*s`",
                                   (int)(q - p + (*q != 0)), p);
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
