/* Path helpers with Go's path/filepath semantics (Clean, Base), which report text depends on. */
#ifndef NP_PATHUTIL_H
#define NP_PATHUTIL_H

#include "core/util.h"

/* filepath.Clean into a new arena string. */
const char *np_path_clean_arena(np_arena *a, const char *path);
/* filepath.Clean into b (appended). */
void np_path_clean(np_buf *b, const char *path);
/* filepath.Base of a path with trailing slashes, into b. */
void np_path_base_buf(np_buf *b, const char *path);

#endif
