/* A quick private copy of a profile for a report that changes what it works on, where the
 * original stays loaded (the web UI's requests): records are copied, strings shared. */
#ifndef NP_CLONE_H
#define NP_CLONE_H

#include "core/profile.h"

/* A copy of p whose arrays (samples and their stacks, values and labels; locations and their
 * lines; functions, mappings, comments, sample types) are its own, so that it may be changed
 * and freed with np_profile_free, while its strings point into p: p must outlive it and its
 * strings stay as they are (a profile's strings are never written in place). Unlike a merge
 * of one profile it does not re-key anything: on a profile that came out of a merge (what
 * fetching makes) the result is the same profile, at the cost of a few memory copies. */
np_profile *np_profile_clone(const np_profile *p);

#endif
