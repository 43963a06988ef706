/* The tree's registry: a table of slots in a shared mapping of a memfd, so that entries written
 * by any process of the tree are seen by all, whatever user each runs as: forks inherit the
 * mapping, and programs exec'd in the tree inherit the file (its descriptor is named in
 * NPROF_TREE_FD). A slot is claimed by a compare-and-swap of its pid; a process that died
 * without clearing its slot is told from a live one by its start time in /proc. */
#include "collect/tree.h"

#include "collect/cconfig.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOTS = 4096 };

typedef struct slot {
    _Atomic int32_t pid;  /* 0: free; written last, when the rest is in place */
    int32_t ppid;
    uint64_t start;       /* start time in clock ticks since boot, /proc/PID/stat field 22 */
    char addr[48];
    char program[48];
} slot;

/* The mapping: how many slots have ever been handed out (entries are looked for below that, so
 * a process touches only the pages in use), then the slots. */
typedef struct registry {
    _Atomic uint32_t used;
    char pad[sizeof(slot) - sizeof(uint32_t)];
    slot slots[SLOTS - 1];
} registry;

static registry *table;   /* shared by the tree */
static slot *mine;        /* this process's slot, NULL before it registers */
static pid_t mine_pid;    /* whose `mine` it is: a fork inherits the parent's */

static const char memfd_name[] = "nprof-tree";

/* The registry file an exec'd program inherited, if NPROF_TREE_FD still names one (a program
 * may have closed it, and the number been reused); -1 otherwise. */
static int inherited_fd(void)
{
    const char *v = getenv("NPROF_TREE_FD");
    char path[64], target[64];
    int fd = v ? atoi(v) : -1;
    if (fd < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return -1;
    target[n] = 0;
    return strncmp(target, "/memfd:", 7) == 0 && strncmp(target + 7, memfd_name, sizeof memfd_name - 1) == 0 ? fd : -1;
}

/* A new registry file, left open across exec so that programs exec'd in the tree join it
 * (unless they are not profiled: NPROF_FOLLOW_EXEC=0). */
static int new_fd(void)
{
    int fd = memfd_create(memfd_name, np_cfg.follow_exec ? 0 : MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, sizeof(registry)) < 0) {
        close(fd);
        return -1;
    }
    char v[16];
    snprintf(v, sizeof v, "%d", fd);
    if (np_cfg.follow_exec)
        setenv("NPROF_TREE_FD", v, 1);
    return fd;
}

static bool map_table(int fd)
{
    void *m = mmap(NULL, sizeof(registry), PROT_READ | PROT_WRITE,
                   MAP_SHARED | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);
    if (m == MAP_FAILED)
        return false;
    table = m;
    return true;
}

static size_t in_use(void)
{
    size_t n = atomic_load(&table->used);
    return n < SLOTS - 1 ? n : SLOTS - 1;
}

/* Claims a slot that holds `from` (0: a free one) below the high-water mark; NULL if none. */
static slot *claim(int32_t from)
{
    for (size_t i = 0, n = in_use(); i < n; i++) {
        int32_t had = from;
        if (atomic_compare_exchange_strong(&table->slots[i].pid, &had, -1))
            return &table->slots[i];
    }
    return NULL;
}

bool np_tree_inherited(void)
{
    if (table)
        return true;
    int fd = inherited_fd();
    return fd >= 0 && map_table(fd);
}

bool np_tree_init(void)
{
    return np_tree_inherited() || map_table(new_fd()); /* without a memfd: forks only */
}

size_t np_tree_bytes(void)
{
    return table ? sizeof(registry) : 0;
}

/* Reads a small /proc file into buf (NUL-terminated); its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return n;
}

/* The start time of a live (not zombie) process pid, 0 if it is gone. */
static uint64_t start_time(pid_t pid)
{
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, stat, sizeof stat) < 0)
        return 0;
    const char *p = strrchr(stat, ')'); /* the name may hold spaces and parentheses */
    char state;
    unsigned long long start;
    if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                     &state, &start) != 2 || state == 'Z' || state == 'X')
        return 0;
    return start;
}

void np_tree_register(const char *addr)
{
    if (!table)
        return;
    pid_t self = getpid();
    if (mine && mine_pid == self) {
        snprintf(mine->addr, sizeof mine->addr, "%s", addr);
        return;
    }
    /* This pid's entry from before an exec is this process's now: that server is gone. */
    mine = claim(self);
    while (!mine && !(mine = claim(0))) {
        /* None free: one more slot; another process may take it first, then look again. */
        size_t i = atomic_fetch_add(&table->used, 1);
        if (i >= SLOTS - 1)
            break;
        int32_t unused = 0;
        if (atomic_compare_exchange_strong(&table->slots[i].pid, &unused, -1))
            mine = &table->slots[i];
    }
    if (!mine)
        return; /* the tree has more served processes than slots: this one is not listed */
    mine_pid = self;
    mine->ppid = getppid();
    mine->start = start_time(self);
    snprintf(mine->addr, sizeof mine->addr, "%s", addr);
    char comm[64] = "?";
    if (read_small("/proc/self/comm", comm, sizeof comm) > 0)
        comm[strcspn(comm, "\n")] = 0;
    snprintf(mine->program, sizeof mine->program, "%s", comm);
    atomic_store(&mine->pid, self);
}

void np_tree_unregister(void)
{
    if (mine && mine_pid == getpid())
        atomic_store(&mine->pid, 0);
    mine = NULL;
}

/* Copies slot s if its process is alive; clears it if that process is gone. */
static bool live(slot *s, np_tree_proc *out)
{
    int32_t pid = atomic_load(&s->pid);
    if (pid <= 0)
        return false;
    uint64_t start = start_time(pid);
    if (!start || start != s->start) {
        atomic_compare_exchange_strong(&s->pid, &pid, 0);
        return false;
    }
    *out = (np_tree_proc){.pid = pid, .ppid = s->ppid};
    snprintf(out->addr, sizeof out->addr, "%s", s->addr);
    snprintf(out->program, sizeof out->program, "%s", s->program);
    return true;
}

size_t np_tree_list(np_tree_proc *out, size_t cap)
{
    size_t n = 0;
    pid_t self = getpid();
    for (size_t i = 0, used = table ? in_use() : 0; i < used && n < cap; i++) {
        if (!live(&table->slots[i], &out[n]))
            continue;
        if (out[n].pid == self && n > 0) { /* this process first */
            np_tree_proc t = out[0];
            out[0] = out[n];
            out[n] = t;
        }
        n++;
    }
    return n;
}

bool np_tree_find(pid_t pid, np_tree_proc *out)
{
    for (size_t i = 0, used = table ? in_use() : 0; i < used; i++)
        if (atomic_load(&table->slots[i].pid) == pid && live(&table->slots[i], out))
            return true;
    return false;
}
