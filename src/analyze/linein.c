/* The shell's own line reader for terminals libedit cannot describe (see linein.h): a prompt and
 * one line at a time, the terminal itself handling erase and kill in its cooked mode. */
#include "analyze/linein.h"

#include <stdlib.h>
#include <string.h>

#ifdef NP_STATIC
#include <termcap.h>
#endif

bool np_linein_needed(void)
{
#ifdef NP_STATIC
    static int needed = -1;
    if (needed < 0) {
        /* The same look-up libedit makes (tgetent), without its two-line complaint; what it
         * fills in is not used: libedit, when it runs, looks again. */
        const char *term = getenv("TERM");
        char room[4096];
        needed = !term || tgetent(room, term) <= 0;
    }
    return needed != 0;
#else
    return false;
#endif
}

char *np_linein_read(FILE *in, FILE *out, const char *prompt)
{
    fputs(prompt, out);
    fflush(out);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, in);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    return line;
}
