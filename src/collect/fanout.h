/* Answers a request for other processes of the tree: one (?pid=N) by passing the request on
 * to it, all of them (?pid=all) by asking each at once and merging their profiles, every sample
 * labelled with its process's pid. */
#ifndef NP_FANOUT_H
#define NP_FANOUT_H

#include "core/http.h"
#include "core/profile.h"
#include "collect/tree.h"

/* Answers req with what process p answers to it (status, type, disposition, body), or a 502
 * naming what went wrong. */
void np_fanout_proxy(const np_http_request *req, const np_tree_proc *p, np_http_response *resp);

/* Asking every other process of the tree, started on threads of its own. */
typedef struct np_fanout np_fanout;
np_fanout *np_fanout_start(const np_http_request *req);
/* Waits for every answer and merges local (this process's profile, consumed) with them: every
 * sample gets a numeric label pid. A process that did not answer with a profile is named in a
 * comment of the result. NULL with err when the profiles cannot be merged. */
np_profile *np_fanout_finish(np_fanout *f, np_profile *local, np_err *err);

#endif
