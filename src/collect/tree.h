/* The process tree of a served program: every process it forks, and every program exec'd in it,
 * serves too, on a loopback port of its own, and writes how to reach it into a registry that the
 * whole tree shares (made by the first served process, inherited by forks and across exec), so
 * that the configured address can answer for each of them. */
#ifndef NP_TREE_H
#define NP_TREE_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct np_tree_proc {
    pid_t pid, ppid;
    char addr[64];    /* where it serves: "127.0.0.1:41234" */
    char program[48]; /* its name (/proc/PID/comm at registration) */
} np_tree_proc;

/* Makes the registry if this process has none yet (the first served process of the tree), or
 * maps the one it inherited; false if it cannot be mapped. */
bool np_tree_init(void);
/* Whether this process belongs to a tree made by another one: forked from it, or exec'd by one
 * of its processes (then it maps the registry it inherited). */
bool np_tree_inherited(void);
/* Writes this process (serving at addr) into the registry, or updates its entry. */
void np_tree_register(const char *addr);
/* Takes this process out (at exit). */
void np_tree_unregister(void);
/* The live processes of the tree, this one first, at most cap; entries of processes that are
 * gone (exited, or their pid reused) are cleared on the way. */
size_t np_tree_list(np_tree_proc *out, size_t cap);
/* The live process pid of the tree; false if there is none. */
bool np_tree_find(pid_t pid, np_tree_proc *out);
/* Bytes of the registry mapping (shared by the tree, backed as entries are written). */
size_t np_tree_bytes(void);

#endif
