/* nprof: sampled heap profiling for C and C++ programs, served on /debug/pprof like Go's
 * net/http/pprof. Preload build/libnprof.so (no code change) or link libnprof and call these.
 *
 * Ownership: the library owns all of its memory and threads; nothing here returns memory the
 * caller must free. Every function is safe to call from any thread, and may be called whether
 * or not the library was preloaded (settings from NPROF_* environment variables apply first,
 * these calls override them). Functions return 0 on success and -1 with errno set on failure. */
#ifndef NPROF_H
#define NPROF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Starts heap sampling (it starts by itself unless NPROF_HEAP_RATE=0). */
int nprof_start(void);
/* Stops recording new samples; what was recorded stays (and frees are still matched). */
int nprof_stop(void);

/* Mean bytes between samples: 1 records every allocation, 0 turns sampling off.
 * The default is 524288 (512 KiB), as Go's runtime.MemProfileRate. */
int nprof_set_heap_rate(int64_t bytes);
int64_t nprof_heap_rate(void);

/* Writes a heap profile to fd: gzipped profile.proto (debug == 0) or Go's legacy heap text
 * (debug == 1). */
int nprof_write_heap_profile(int fd, int debug);

/* Starts the HTTP server on addr ("127.0.0.1:6060", ":0" for any free port). The address
 * actually bound is copied into bound (if not NULL). Only loopback addresses are accepted
 * unless NPROF_HTTP_ALLOW_REMOTE=1. */
int nprof_http_start(const char *addr, char *bound, size_t bound_cap);
int nprof_http_stop(void);

/* Bytes the collector holds in its own memory mappings (sample tables, stacks, the unwinder's
 * cache), for self-monitoring. Building a profile also uses the program's heap for a moment;
 * that memory is returned when the profile is written. */
size_t nprof_memory_bytes(void);

/* CPU profiling to a file, as NPROF_CPU_PROFILE does for a whole run: starts a session
 * (EBUSY while one runs, from /debug/pprof/profile too; EPERM when it cannot, e.g. the program
 * has its own SIGPROF handler), and stops it, writing the gzipped profile.proto to path. */
int nprof_cpu_start(const char *path);
int nprof_cpu_stop(void);

/* The mutex profile, as Go's runtime.SetMutexProfileFraction: on average one contention in
 * fraction is recorded, charged to the stack that released the lock, with the delay its waiters
 * had; 0 turns it off (the default, or NPROF_MUTEX_FRACTION). Returns the previous fraction; a
 * negative fraction only reads it. */
int nprof_set_mutex_fraction(int fraction);
/* The block profile, as Go's runtime.SetBlockProfileRate: one sample per ns nanoseconds spent
 * waiting for pthread mutexes, rwlocks and condition variables, charged to the waiting stack
 * (1 records every wait; 0 turns it off, the default, or NPROF_BLOCK_RATE). */
int nprof_set_block_rate(int64_t ns);
int64_t nprof_block_rate(void);

/* The library's version ("0.1.0"), the one `nprof -version` prints and the one named in a
 * comment of every profile it writes. A static string: do not free it. */
const char *nprof_version(void);

#ifdef __cplusplus
}
#endif

#endif
