/* The collector's settings: NPROF_* environment variables read once at start, adjustable later
 * through the C API. Every setting is documented in docs/COLLECTOR.md. */
#ifndef NP_CCONFIG_H
#define NP_CCONFIG_H

#include <stdbool.h>
#include <stdint.h>

enum np_stack_mode { NP_STACK_UNWIND, NP_STACK_FP, NP_STACK_LIBGCC };

typedef struct np_cconfig {
    int64_t heap_rate;          /* NPROF_HEAP_RATE: mean bytes between samples; 0 = off */
    int max_frames;             /* NPROF_STACK_DEPTH: frames kept per stack (1..256) */
    enum np_stack_mode stack;   /* NPROF_STACK: unwind (default), fp or libgcc */
    char http[256];             /* NPROF_HTTP: address to serve /debug/pprof on */
    char http_port_file[1024];  /* NPROF_HTTP_PORT_FILE: where to write the bound address */
    bool allow_remote;          /* NPROF_HTTP_ALLOW_REMOTE=1 */
    char token[256];            /* NPROF_HTTP_TOKEN */
    char dump_dir[1024];        /* NPROF_HEAP_DUMP: directory for heap profile files */
    int dump_interval;          /* NPROF_HEAP_DUMP_INTERVAL: seconds between dumps (0 = none) */
    int dump_signal;            /* NPROF_HEAP_DUMP_SIGNAL: signal number, 0 for none (default) */
    enum { NP_LOG_STDERR, NP_LOG_OFF, NP_LOG_FILE } log; /* NPROF_LOG (NPROF_QUIET=1 is off) */
    char log_file[1024];        /* NPROF_LOG=PATH: messages appended there */
    bool follow_exec;           /* NPROF_FOLLOW_EXEC (default 1): programs this one execs are
                                   profiled too */
    int cpu_hz;                 /* NPROF_CPU_HZ: CPU profile samples per CPU second (default 100) */
    int cpu_timer;              /* NPROF_CPU_TIMER: auto (0), perf, thread or process (cputimer.h) */
    char cpu_profile[1024];     /* NPROF_CPU_PROFILE: file for a CPU profile of the whole run */
    bool root;                  /* the process the user started: not a forked child, nor a
                                   program exec'd by a profiled one (NPROF_ROOT_PID says which
                                   pid that is); only it prints notices on stderr */
    int mutex_fraction;         /* NPROF_MUTEX_FRACTION: 1 contention in N kept; 0 = off */
    int64_t block_rate;         /* NPROF_BLOCK_RATE: nanoseconds blocked per sample; 0 = off */
    bool no_symbolize;          /* NPROF_SYMBOLIZE=0: profiles keep addresses, mappings and
                                   build IDs only, for the analyzer to name from the binaries */
} np_cconfig;

extern np_cconfig np_cfg;

/* Reads the environment once, at the first call: the first sampling decision or the library's
 * constructor, whichever comes first, so that settings hold from the first allocation. True for
 * that call. Allocates nothing. */
bool np_cconfig_load(void);
/* A warning or error: one line prefixed "nprof: " (with the pid and program outside the root
 * process) to the log, from any process. Uses no malloc. */
void np_cmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A notice (a server bound, a dump written on request): to the log file from any process, on
 * stderr only from the root process, so that a build's exec'd tools stay silent. */
void np_cinfo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A record for the log file only (dumps written at exit or periodically). */
void np_cnote(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Marks the root process (called by its constructor, once environ is there): NPROF_ROOT_PID is
 * set for the programs it execs; with NPROF_FOLLOW_EXEC=0 libnprof leaves their LD_PRELOAD. */
void np_cconfig_mark_root(const char *self_path);

#endif
