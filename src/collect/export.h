/* What libnprof exports, and nothing else: the malloc family and jemalloc's and tcmalloc's
 * queries of it, the C++ operators new and delete, dlopen and dlclose (dlhook.c),
 * pthread_create (thrcreate.c), the pthread mutex, rwlock and condition variable waits
 * (locks.c), and the nprof_* API of nprof.h.
 * Everything else is hidden (-fvisibility=hidden); tests/libnprof-exports.txt lists the set and
 * tests/collect-e2e.sh fails when the library exports anything more or less. */
#ifndef NP_EXPORT_H
#define NP_EXPORT_H

#define EXPORT __attribute__((visibility("default")))

#endif
