/* Go-syntax regular expressions translated to POSIX ERE. */
#include "regex.h"

#include <regex.h>
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

np_regex *np_regex_compile(const char *pattern, np_err *err)
{
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
