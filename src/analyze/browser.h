/* Showing a page nprof made (-web, -weblist): a new file in the temporary folder, opened in
 * the user's browser when one is configured, as pprof chooses one. */
#ifndef NP_BROWSER_H
#define NP_BROWSER_H

#include <stdbool.h>

#include "core/util.h"

/* Writes data to a new file $TMPDIR/nprofNNN.suffix (/tmp without TMPDIR) and returns its
 * path in *path (the caller frees it). The file is kept: a browser may read it later. */
int np_browser_temp_file(const np_buf *data, const char *suffix, char **path, np_err *err);

/* Opens path with the first viewer that starts: $BROWSER (a command and its arguments split
 * on spaces), then chrome, google-chrome, chromium, firefox and sensible-browser, then
 * xdg-open; graphical browsers and xdg-open are tried only on a desktop ($DISPLAY or
 * $WAYLAND_DISPLAY set). With wait the viewer's exit is awaited (a failure is an error);
 * without, it runs on and is reaped by a later call. 1 when a viewer started, 0 when none
 * did, -1 with err when the viewer failed. */
int np_browser_open(const char *path, bool wait, np_err *err);

#endif
