/* Lines typed at a terminal that libedit cannot drive: nprof-static in a container holds no
 * terminal descriptions (terminfo), and libedit would first complain about it, then run in a
 * dumb mode anyway. There the shell reads lines itself, edited by the terminal's cooked mode. */
#ifndef NP_LINEIN_H
#define NP_LINEIN_H

#include <stdbool.h>
#include <stdio.h>

/* Whether the shell should read through np_linein_read rather than libedit: in nprof-static,
 * when no terminfo description of $TERM is found; never in the dynamic nprof. Asked once. */
bool np_linein_needed(void);

/* Writes prompt to out, then reads one line from in. Returns it without its line end
 * (malloc'd, the caller frees), or NULL at the end of input. */
char *np_linein_read(FILE *in, FILE *out, const char *prompt);

#endif
