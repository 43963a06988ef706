/* A minimal unit-test harness: TEST(name) registers a test, CHECK/CHECK_STR_EQ record
 * failures with their location, and main() runs every test and prints "N passed, M failed"
 * (tests, not checks). Include from exactly one file per test binary. */
#ifndef NP_UNIT_H
#define NP_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void (*unit_fn)(void);

static struct {
    const char *name[1024];
    unit_fn fn[1024];
    int n;
    int check_failed; /* failed checks in the running test */
} unit_state;

static void unit_register(const char *name, unit_fn fn)
{
    if (unit_state.n < 1024) {
        unit_state.name[unit_state.n] = name;
        unit_state.fn[unit_state.n++] = fn;
    }
}

#define TEST(name)                                                                           \
    static void name(void);                                                                  \
    __attribute__((constructor)) static void unit_reg_##name(void) { unit_register(#name, name); } \
    static void name(void)

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);         \
            unit_state.check_failed++;                                                       \
        }                                                                                    \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                   \
    do {                                                                                     \
        const char *unit_a_ = (a), *unit_b_ = (b);                                           \
        if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0) {                         \
            fprintf(stderr, "%s:%d: CHECK_STR_EQ failed: %s vs %s\n  got:  \"%s\"\n  want: \"%s\"\n", \
                    __FILE__, __LINE__, #a, #b, unit_a_ ? unit_a_ : "(null)",                \
                    unit_b_ ? unit_b_ : "(null)");                                           \
            unit_state.check_failed++;                                                       \
        }                                                                                    \
    } while (0)

/* Marks the running test as skipped-but-passing with a reason (e.g. no go toolchain). */
#define SKIP(reason)                                                                         \
    do {                                                                                     \
        fprintf(stderr, "  skipped: %s\n", reason);                                          \
        return;                                                                              \
    } while (0)

/* A repository file: relative to the working directory (the repository root under make), else
 * to the test binary (BUILD/tests/test_x). */
static inline const char *repo_file(const char *rel)
{
    static char path[4096];
    if (access(rel, R_OK) == 0)
        return rel;
    char exe[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return rel;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    snprintf(path, sizeof path, "%s/../../%s", exe, rel);
    return access(path, R_OK) == 0 ? path : rel;
}

#ifndef UNIT_NO_MAIN
int main(void)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < unit_state.n; i++) {
        unit_state.check_failed = 0;
        unit_state.fn[i]();
        if (unit_state.check_failed) {
            fprintf(stderr, "FAIL %s\n", unit_state.name[i]);
            failed++;
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
#endif

#endif
