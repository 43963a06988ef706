/* np_regex: the RE2 constructs translated for POSIX regexps (quoting, flag groups, named
 * groups, octal codes) match as Go's regexp package does; what RE2 rejects is an error. */
#include "analyze/regex.h"

#include "unit.h"

/* 1 when pattern matches s, 0 when not, -1 when it does not compile. */
static int matches(const char *pattern, const char *s)
{
    np_err err;
    np_regex *re = np_regex_compile(pattern, &err);
    if (!re)
        return -1;
    int m = np_regex_match(re, s);
    np_regex_free(re);
    return m;
}

static const char *error_of(const char *pattern)
{
    static np_err err;
    np_regex *re = np_regex_compile(pattern, &err);
    if (re) {
        np_regex_free(re);
        return "(compiled)";
    }
    return err.msg;
}

TEST(quoted_text_is_literal)
{
    CHECK(matches("\\Qmain.\\E", "main.fib") == 1);
    CHECK(matches("\\Qa.b\\E", "axb") == 0);
    CHECK(matches("\\Q(*)\\Ex", "f(*)x") == 1);
    CHECK(matches("\\Q[x", "a[x") == 1); /* no \E: quoted to the end */
    CHECK(matches("\\Qa\\E+", "aaa") == 1);
}

TEST(flag_groups)
{
    CHECK(matches("(?i)MAIN\\.FIB", "main.fib") == 1);
    CHECK(matches("(?i:MAIN)\\.fib", "main.fib") == 1);
    CHECK(matches("(?i:MAIN)\\.FIB", "main.fib") == 0);
    CHECK(matches("main\\.(?i)FIB", "main.fib") == 1);
    CHECK(matches("(?i)main\\.(?-i)FIB", "MAIN.fib") == 0);
    CHECK(matches("(?i)main\\.(?-i)fib", "MAIN.fib") == 1);
    CHECK(matches("(?i:[a-c]x)", "Bx") == 1);
    CHECK(matches("(?sm)fib$", "main.fib") == 1);
    CHECK(matches("(?U)a+", "a") == 1);
}

TEST(named_groups_and_codes)
{
    CHECK(matches("(?P<pkg>main)\\.fib", "main.fib") == 1);
    CHECK(matches("\\155ain", "main") == 1);
    CHECK(matches("\\0", "main") == 0);
    CHECK(matches("[[:upper:]]", "Sort") == 1);
    CHECK(matches("[[:upper:]]", "sort") == 0);
}

TEST(what_re2_rejects)
{
    CHECK_STR_EQ(error_of("(a)\\1"), "error parsing regexp: invalid escape sequence: `\\1`");
    CHECK_STR_EQ(error_of("a(?=b)"), "error parsing regexp: invalid or unsupported Perl syntax: `(?=`");
    CHECK_STR_EQ(error_of("(?<=a)b"), "error parsing regexp: invalid or unsupported Perl syntax: `(?<`");
    CHECK_STR_EQ(error_of("(?x)a"), "error parsing regexp: invalid or unsupported Perl syntax: `(?x`");
    CHECK_STR_EQ(error_of("(?i"), "error parsing regexp: invalid or unsupported Perl syntax: `(?i`");
}
