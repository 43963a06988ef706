/* np_linein: the shell's own reader writes the prompt before each line, hands lines back
 * without their line ends (a last one without any too), and says when the input has ended. */
#include "analyze/linein.h"

#include "unit.h"

TEST(lines_after_a_prompt_each)
{
    char typed[] = "top 2\nlist main\r\nquit";
    FILE *in = fmemopen(typed, strlen(typed), "r");
    char *shown = NULL;
    size_t shown_len = 0;
    FILE *out = open_memstream(&shown, &shown_len);
    const char *want[] = {"top 2", "list main", "quit"};
    for (int i = 0; i < 3; i++) {
        char *line = np_linein_read(in, out, "(pprof) ");
        CHECK_STR_EQ(line, want[i]);
        free(line);
    }
    CHECK(np_linein_read(in, out, "(pprof) ") == NULL);
    fclose(out);
    CHECK_STR_EQ(shown, "(pprof) (pprof) (pprof) (pprof) ");
    free(shown);
    fclose(in);
}

TEST(an_empty_line_is_not_the_end)
{
    char typed[] = "\n";
    FILE *in = fmemopen(typed, 1, "r");
    FILE *out = fopen("/dev/null", "w");
    char *line = np_linein_read(in, out, "> ");
    CHECK_STR_EQ(line, "");
    free(line);
    CHECK(np_linein_read(in, out, "> ") == NULL);
    fclose(out);
    fclose(in);
}

TEST(the_dynamic_nprof_keeps_libedit)
{
    CHECK(!np_linein_needed()); /* only nprof-static (NP_STATIC) reads lines itself */
}
