/* Private to graphviz*.c: the worker that keeps Graphviz's libraries loaded for a server. */
#ifndef NP_GRAPHVIZ_INT_H
#define NP_GRAPHVIZ_INT_H

#include <sys/types.h>

#include "core/util.h"

/* posix_spawnp of file with fd0 as its standard input and fd1 (unless -1) as its output, an
 * empty signal mask and default actions for SIGINT, SIGTERM and SIGPIPE (a server's threads
 * block every signal, and a child would inherit that). Returns posix_spawnp's error or 0. */
int np_graphviz_spawn(const char *file, char *const argv[], char *const envp[], int fd0, int fd1,
                      pid_t *pid);

/* Draws text (NUL-terminated DOT) as format through the worker: 0 with the picture appended
 * to img, or -1 when dot must draw it (no worker, a format it does not draw, any failure). */
int np_graphviz_worker_render(const char *format, const char *text, np_buf *img);

#endif
