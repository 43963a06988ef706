/* nprof_version: the version of the libnprof a program runs with, so that a program can log it
 * beside its profiles (nprof -version names the same one). */
#include "nprof.h"

#include "collect/export.h"
#include "core/version.h"

EXPORT const char *nprof_version(void)
{
    return NP_VERSION;
}
