/* The collector's settings: NPROF_* environment variables read once at start, adjustable later
 * through the C API. Every setting is documented in docs/SETTINGS.md. */
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
    int dump_signal;            /* NPROF_HEAP_DUMP_SIGNAL: signal number or 0 (default SIGUSR2
                                   when NPROF_HEAP_DUMP is set) */
    bool quiet;                 /* NPROF_QUIET=1: no messages on stderr */
} np_cconfig;

extern np_cconfig np_cfg;

/* Reads the environment once, at the first call: the first sampling decision or the library's
 * constructor, whichever comes first, so that settings hold from the first allocation. True for
 * that call. Allocates nothing. */
bool np_cconfig_load(void);
/* One line on stderr prefixed "nprof: ", unless quiet. Uses no malloc. */
void np_cmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
