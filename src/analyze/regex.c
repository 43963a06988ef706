/* Go-syntax regular expressions translated to POSIX ERE. */
#include "regex.h"

#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct np_regex {
    regex_t re;
    char *pattern;
};

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

/* Finds the syntax errors users make most and names them as Go's regexp package does, so
 * error lines match pprof's; anything subtler is left to regcomp's own message. */
static int go_syntax_error(const char *pat, np_err *err)
{
    int depth = 0;
    bool can_repeat = false;
    for (const char *p = pat; *p; p++) {
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
        case '*':
        case '+':
        case '?':
            if (!can_repeat)
                return np_fail(err, "error parsing regexp: missing argument to repetition operator: `%c`", *p);
            if (p[1] == '*' || p[1] == '+')
                return np_fail(err, "error parsing regexp: invalid nested repetition operator: `%.2s`", p);
            if (p[1] == '?')
                p++; /* non-greedy */
            break;
        default:
            can_repeat = true;
        }
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
