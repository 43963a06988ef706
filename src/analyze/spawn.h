/* Starting a helper program (dot, objdump, nprof's own Graphviz worker) without a shell. */
#ifndef NP_SPAWN_H
#define NP_SPAWN_H

#include <sys/types.h>

enum { NP_SPAWN_KEEP = -1, NP_SPAWN_NULL = -2 };

/* posix_spawnp of file with argv and envp. fds[i] is what the child gets as descriptor i (0, 1,
 * 2): a descriptor of ours, NP_SPAWN_KEEP for ours as it is, or NP_SPAWN_NULL for /dev/null.
 * The child starts with an empty signal mask and default actions for SIGINT, SIGTERM and
 * SIGPIPE (a server's threads block every signal, and a child would inherit that). Returns
 * posix_spawnp's error, or 0 with the child's pid in *pid. */
int np_spawn(const char *file, char *const argv[], char *const envp[], const int fds[3], pid_t *pid);

#endif
