/* Unit tests for the hand-written line matchers of the legacy formats (legacy_fast.c): on
 * typical, odd and mutated heap sample lines, every match is the regular expression's, group
 * by group, and a line it declines is one the pattern does not match from its first byte. */
#include <stdint.h>
#include <string.h>

#include "analyze/formats/legacy_int.h"
#include "unit.h"

static bool same_span(lg_span a, lg_span b)
{
    return a.p == b.p && a.n == b.n;
}

/* Whether the fast matcher agrees with the pattern on line (a match it makes is the
 * pattern's; a line it declines is matched, if at all, from a later byte). Counts matches. */
static bool agrees(lg_rx *rx, const char *line, size_t n, int *fast_hits)
{
    lg_span f[6], r[6];
    bool fast = lg_fast_heap_sample((lg_span){line, n}, f);
    bool re = lg_re_find(rx->heap_sample, line, n, r);
    if (!fast)
        return !re || r[0].p != line;
    (*fast_hits)++;
    if (!re)
        return false;
    for (int i = 0; i < 6; i++)
        if (!same_span(f[i], r[i]))
            return false;
    return true;
}

TEST(heap_sample_typical_and_odd_lines)
{
    lg_rx rx;
    CHECK(lg_rx_init(&rx) == 0);
    static const char *const lines[] = {
        "8: 512 [8: 512] @ 0x5d1481 0x513d85 0xb4bcf5",
        "0: 0 [1: 4096] @ 0x44c1a0",
        "-1: -20 [3: 30] @ 0x1 0x2",
        "1:2[3:4] @ 0x1",
        "1:   2   [   3:   4   ] @",
        "1: 2 [3: 4] @ 0x1 0x2 trailing words",
        "1: 2 [3: 4] @ 0xABC",
        "1: 2 [3: 4]  @ 0x1",     /* two spaces before @: no match from the start */
        "1: 2 [-3: 4] @ 0x1",     /* no sign inside the brackets */
        "x1: 2 [3: 4] @ 0x1",     /* a match only from the second byte */
        "1: 2 [3: 4] @ 0x1 7: 8 [9: 10] @ 0x2",
        "1 2 [3: 4] @ 0x1",
        "12345678901234567890123: 2 [3: 4] @ 0x1",
        "",
        "1",
        "1: 2 [3: 4]",
    };
    int hits = 0;
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        bool ok = agrees(&rx, lines[i], strlen(lines[i]), &hits);
        if (!ok)
            fprintf(stderr, "  disagrees: \"%s\"\n", lines[i]);
        CHECK(ok);
    }
    CHECK(hits == 9);
    lg_rx_free(&rx);
}

TEST(heap_sample_mutated_lines)
{
    lg_rx rx;
    CHECK(lg_rx_init(&rx) == 0);
    static const char base[] = "12: -345 [ 6: 78 ] @ 0x5d1481 0x513d85";
    static const char subst[] = "0123456789 :[]@x-ag\t";
    uint64_t seed = 88172645463325252ull;
    int hits = 0, bad = 0;
    for (int round = 0; round < 20000; round++) {
        char line[64];
        size_t n = sizeof base - 1;
        memcpy(line, base, n);
        for (int k = 0; k < 1 + round % 3; k++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            size_t at = seed % n;
            switch ((seed >> 20) % 3) {
            case 0: /* replace a byte */
                line[at] = subst[(seed >> 32) % (sizeof subst - 1)];
                break;
            case 1: /* delete one */
                memmove(line + at, line + at + 1, n - at - 1);
                n--;
                break;
            default: /* insert one */
                if (n + 1 < sizeof line) {
                    memmove(line + at + 1, line + at, n - at);
                    line[at] = subst[(seed >> 32) % (sizeof subst - 1)];
                    n++;
                }
            }
        }
        if (!agrees(&rx, line, n, &hits) && bad++ < 5)
            fprintf(stderr, "  disagrees: \"%.*s\"\n", (int)n, line);
    }
    CHECK(bad == 0);
    CHECK(hits > 1000); /* the mutations leave many lines the fast path takes */
    lg_rx_free(&rx);
}
