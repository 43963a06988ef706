/* Hand-written matchers for the lines that make up most of a legacy profile, so that a large
 * profile is not read through the regular expressions line by line; any other line is left to
 * the pattern, which stays the definition of the format. */
#include "analyze/formats/legacy_int.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* End of the run of digits at i, after a '-' when minus allows one; i when there is none. */
static size_t number_end(lg_span s, size_t i, bool minus)
{
    size_t j = i;
    if (minus && j < s.n && s.p[j] == '-')
        j++;
    size_t k = j;
    while (k < s.n && is_digit(s.p[k]))
        k++;
    return k == j ? i : k;
}

static size_t spaces_end(lg_span s, size_t i)
{
    while (i < s.n && s.p[i] == ' ')
        i++;
    return i;
}

/* The number at *i, its span in g; *i moves past it. */
static bool take_number(lg_span s, size_t *i, bool minus, lg_span *g)
{
    size_t e = number_end(s, *i, minus);
    if (e == *i)
        return false;
    *g = (lg_span){s.p + *i, e - *i};
    *i = e;
    return true;
}

static bool take_char(lg_span s, size_t *i, char c)
{
    if (*i >= s.n || s.p[*i] != c)
        return false;
    (*i)++;
    return true;
}

/* "N: *M *" from *i: the two numbers' spans in g[0] and g[1]; *i moves past the spaces. */
static bool take_pair(lg_span s, size_t *i, bool minus, lg_span g[2])
{
    if (!take_number(s, i, minus, &g[0]) || !take_char(s, i, ':'))
        return false;
    *i = spaces_end(s, *i);
    if (!take_number(s, i, minus, &g[1]))
        return false;
    *i = spaces_end(s, *i);
    return true;
}

static bool is_addr_char(char c)
{
    return c == ' ' || c == 'x' || is_digit(c) || (c >= 'a' && c <= 'f');
}

/* Each element of the heap sample pattern, "(-?\d+): *(-?\d+) *\[ *(\d+): *(\d+) *\] @([ x0-9a-f]*)",
 * admits one way on from where the last one ended, so a match starting at the line's first
 * byte is found without backtracking; being the leftmost, it is the one the pattern finds. */
bool lg_fast_heap_sample(lg_span line, lg_span g[6])
{
    size_t i = 0;
    if (!take_pair(line, &i, true, g + 1))
        return false;
    if (!take_char(line, &i, '['))
        return false;
    i = spaces_end(line, i);
    if (!take_pair(line, &i, false, g + 3))
        return false;
    if (!take_char(line, &i, ']') || !take_char(line, &i, ' ') || !take_char(line, &i, '@'))
        return false;
    size_t a = i;
    while (i < line.n && is_addr_char(line.p[i]))
        i++;
    g[5] = (lg_span){line.p + a, i - a};
    g[0] = (lg_span){line.p, i};
    return true;
}
