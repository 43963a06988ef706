/* Go 1.19's sort.Sort, rewritten in C from its description: pattern-defeating quicksort
 * (Orson Peters) with insertion sort for short runs and heapsort past a recursion budget.
 * The sequence of comparisons and swaps must be the one Go makes, or elements that compare
 * equal end up in another order (see gosort.h). */
#include "analyze/gosort.h"

#include <stdint.h>
#include <string.h>

typedef struct seq {
    unsigned char *base;
    size_t size;
    np_less_fn less;
    void *ctx;
} seq;

static bool lt(const seq *s, size_t i, size_t j)
{
    return s->less(s->base + i * s->size, s->base + j * s->size, s->ctx);
}

static void swap(const seq *s, size_t i, size_t j)
{
    unsigned char *a = s->base + i * s->size, *b = s->base + j * s->size;
    for (size_t k = 0; k < s->size; k++) {
        unsigned char t = a[k];
        a[k] = b[k];
        b[k] = t;
    }
}

/* Number of bits needed to write n (0 for 0), as Go's bits.Len. */
static int bit_len(size_t n)
{
    int l = 0;
    while (n) {
        l++;
        n >>= 1;
    }
    return l;
}

static void insertion(const seq *s, size_t a, size_t b)
{
    for (size_t i = a + 1; i < b; i++)
        for (size_t j = i; j > a && lt(s, j, j - 1); j--)
            swap(s, j, j - 1);
}

/* Max-heap over [first+lo, first+hi), restoring the property below root. */
static void sift(const seq *s, size_t root, size_t hi, size_t first)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= hi)
            return;
        if (child + 1 < hi && lt(s, first + child, first + child + 1))
            child++;
        if (!lt(s, first + root, first + child))
            return;
        swap(s, first + root, first + child);
        root = child;
    }
}

static void heap(const seq *s, size_t a, size_t b)
{
    size_t n = b - a;
    for (size_t i = (n - 1) / 2 + 1; i-- > 0;)
        sift(s, i, n, a);
    for (size_t i = n; i-- > 0;) {
        swap(s, a, a + i);
        sift(s, 0, i, a);
    }
}

enum hint { HINT_UNKNOWN, HINT_UP, HINT_DOWN };

/* Orders two positions by value, counting a swap when they were reversed. */
static void order2(const seq *s, size_t *x, size_t *y, int *swaps)
{
    if (lt(s, *y, *x)) {
        ++*swaps;
        size_t t = *x;
        *x = *y;
        *y = t;
    }
}

static size_t median3(const seq *s, size_t x, size_t y, size_t z, int *swaps)
{
    order2(s, &x, &y, swaps);
    order2(s, &y, &z, swaps);
    order2(s, &x, &y, swaps);
    return y;
}

/* Median of three (of nine on long runs) at the quartiles; the hint says whether every
 * comparison found them in order (likely sorted) or all reversed (likely descending). */
static size_t pick_pivot(const seq *s, size_t a, size_t b, enum hint *h)
{
    size_t len = b - a;
    int swaps = 0;
    size_t i = a + len / 4, j = a + len / 4 * 2, k = a + len / 4 * 3;
    if (len >= 8) {
        if (len >= 50) {
            i = median3(s, i - 1, i, i + 1, &swaps);
            j = median3(s, j - 1, j, j + 1, &swaps);
            k = median3(s, k - 1, k, k + 1, &swaps);
        }
        j = median3(s, i, j, k, &swaps);
    }
    *h = swaps == 0 ? HINT_UP : swaps == 12 ? HINT_DOWN : HINT_UNKNOWN;
    return j;
}

static void reverse(const seq *s, size_t a, size_t b)
{
    for (size_t i = a, j = b - 1; i < j; i++, j--)
        swap(s, i, j);
}

/* Tries to finish an almost sorted run by shifting a handful of misplaced elements. */
static bool nearly_sorted(const seq *s, size_t a, size_t b)
{
    size_t i = a + 1;
    for (int step = 0; step < 5; step++) {
        while (i < b && !lt(s, i, i - 1))
            i++;
        if (i == b)
            return true;
        if (b - a < 50)
            return false;
        swap(s, i, i - 1);
        if (i - a >= 2)
            for (size_t j = i - 1; j >= 1 && lt(s, j, j - 1); j--)
                swap(s, j, j - 1);
        if (b - i >= 2)
            for (size_t j = i + 1; j < b && lt(s, j, j - 1); j++)
                swap(s, j, j - 1);
    }
    return false;
}

/* Shuffles three middle elements with a fixed xorshift sequence after a bad split. */
static void scramble(const seq *s, size_t a, size_t b)
{
    size_t len = b - a;
    if (len < 8)
        return;
    uint64_t r = len;
    size_t mask = ((size_t)1 << bit_len(len)) - 1;
    for (size_t idx = a + len / 4 * 2 - 1; idx <= a + len / 4 * 2 + 1; idx++) {
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        size_t other = (size_t)r & mask;
        if (other >= len)
            other -= len;
        swap(s, idx, a + other);
    }
}

/* Splits [a,b) around the element at p, keeping elements equal to it on the right. Returns
 * the pivot's final place; *already is set when nothing had to move. */
static size_t split(const seq *s, size_t a, size_t b, size_t p, bool *already)
{
    swap(s, a, p);
    /* i and j bound the unsplit middle, inclusive; j can fall below a+1 (to a). */
    size_t i = a + 1, j = b - 1;
    while (i <= j && lt(s, i, a))
        i++;
    while (i <= j && !lt(s, j, a))
        j--;
    if (i > j) {
        swap(s, j, a);
        *already = true;
        return j;
    }
    swap(s, i, j);
    i++;
    j--;
    for (;;) {
        while (i <= j && lt(s, i, a))
            i++;
        while (i <= j && !lt(s, j, a))
            j--;
        if (i > j)
            break;
        swap(s, i, j);
        i++;
        j--;
    }
    swap(s, j, a);
    *already = false;
    return j;
}

/* When the pivot equals the element left of the range, moves everything equal to it to the
 * front and returns where the greater ones start. */
static size_t split_equal(const seq *s, size_t a, size_t b, size_t p)
{
    swap(s, a, p);
    size_t i = a + 1, j = b - 1;
    for (;;) {
        while (i <= j && !lt(s, a, i))
            i++;
        while (i <= j && lt(s, a, j))
            j--;
        if (i > j)
            break;
        swap(s, i, j);
        i++;
        j--;
    }
    return i;
}

static void pdq(const seq *s, size_t a, size_t b, int budget)
{
    bool balanced = true, partitioned = true;
    for (;;) {
        size_t len = b - a;
        if (len <= 12) {
            insertion(s, a, b);
            return;
        }
        if (budget == 0) {
            heap(s, a, b);
            return;
        }
        if (!balanced) {
            scramble(s, a, b);
            budget--;
        }
        enum hint h;
        size_t p = pick_pivot(s, a, b, &h);
        if (h == HINT_DOWN) {
            reverse(s, a, b);
            p = (b - 1) - (p - a);
            h = HINT_UP;
        }
        if (balanced && partitioned && h == HINT_UP && nearly_sorted(s, a, b))
            return;
        if (a > 0 && !lt(s, a - 1, p)) {
            a = split_equal(s, a, b, p);
            continue;
        }
        bool already;
        size_t mid = split(s, a, b, p, &already);
        partitioned = already;
        size_t left = mid - a, right = b - mid;
        if (left < right) {
            balanced = left >= len / 8;
            pdq(s, a, mid, budget);
            a = mid + 1;
        } else {
            balanced = right >= len / 8;
            pdq(s, mid + 1, b, budget);
            b = mid;
        }
    }
}

void np_gosort(void *base, size_t n, size_t size, np_less_fn less, void *ctx)
{
    if (n <= 1)
        return;
    seq s = {base, size, less, ctx};
    pdq(&s, 0, n, bit_len(n));
}
