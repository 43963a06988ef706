/* The version of nprof, one for the analyzer and libnprof alike. The Makefile reads it from
 * this line for the library's soname and nprof.pc, so a release changes it here only. */
#ifndef NP_VERSION_H
#define NP_VERSION_H

#define NP_VERSION "0.1.0"

#endif
