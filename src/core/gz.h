/* gzip in and out (zlib), and detection of gzip data. */
#ifndef NP_GZ_H
#define NP_GZ_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

bool np_is_gzip(const void *data, size_t len);
/* Inflates every gzip member of data into out. Returns 0 or -1 with err. */
int np_gunzip(const void *data, size_t len, np_buf *out, np_err *err);
/* Appends a gzip stream of data to out. */
int np_gzip(const void *data, size_t len, np_buf *out, np_err *err);

#endif
