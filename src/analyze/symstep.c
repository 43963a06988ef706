/* Post-fetch symbolization as pprof does it: messages about mappings without binaries, and the
 * C++ name demangling and simplification that makes C++ reports readable. */
#include "analyze/symstep.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/demangle.h"
#include "analyze/pathutil.h"

static bool unsymbolizable(const np_mapping *m)
{
    np_buf base = {0};
    np_path_base_buf(&base, m->file);
    bool r = base.data[0] == '[' || strncmp(base.data, "linux-vdso", 10) == 0 ||
             strncmp(m->file, "/dev/dri/", 9) == 0;
    np_buf_free(&base);
    return r;
}

/* Reports mappings whose symbols would have to come from binaries that are not here. */
static void check_mappings(const np_profile *p, bool force)
{
    bool *used = np_xcalloc(p->n_mapping + 1, sizeof *used);
    for (size_t i = 0; i < p->n_location; i++)
        if (p->location[i].mapping != NP_NONE)
            used[p->location[i].mapping] = true;
    bool missing = false;
    for (size_t i = 0; i < p->n_mapping; i++) {
        const np_mapping *m = &p->mapping[i];
        if (!used[i] || (!force && (m->has_functions || m->has_filenames || m->has_line_numbers)))
            continue;
        if (!m->file[0]) {
            if (i == 0)
                fprintf(stderr, "Main binary filename not available.\n");
            else
                missing = true;
            continue;
        }
        if (unsymbolizable(m))
            continue;
        struct stat st;
        if (stat(m->file, &st) != 0) {
            np_buf base = {0};
            np_path_base_buf(&base, m->file);
            fprintf(stderr, "Local symbolization failed for %s", base.data);
            if (m->build_id[0])
                fprintf(stderr, " (build ID %s)", m->build_id);
            fprintf(stderr, ": open %s: no such file or directory\n", m->file);
            np_buf_free(&base);
            missing = true;
        }
    }
    if (missing)
        fprintf(stderr, "Some binary filenames not available. Symbolization may be incomplete.\n"
                        "Try setting PPROF_BINARY_PATH to the search path for local binaries.\n");
    free(used);
}

void np_symbolize(np_profile *p, const char *mode)
{
    bool local = true, force = false;
    const char *demangle = "";
    char *copy = np_xstrdup(mode ? mode : "");
    for (char *s = copy; *s; s++)
        *s = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    char *save = NULL;
    for (char *o = strtok_r(copy, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        if (!strcmp(o, "none") || !strcmp(o, "no")) {
            free(copy);
            return;
        }
        if (!strcmp(o, "local") || !strcmp(o, "fastlocal"))
            local = true;
        else if (!strcmp(o, "remote"))
            local = false;
        else if (!strcmp(o, "force"))
            force = true;
        else if (!strncmp(o, "demangle=", 9) && (!strcmp(o + 9, "full") || !strcmp(o + 9, "none") ||
                                                  !strcmp(o + 9, "templates"))) {
            demangle = mode + (o + 9 - copy);
            force = true;
        } else if (strcmp(o, "demangle=default") != 0) {
            fprintf(stderr, "ignoring unrecognized symbolization option: %s\n"
                            "expecting -symbolize=[local|fastlocal|remote|none][:force][:demangle=[none|full|templates|default]\n",
                    mode);
        }
    }
    char dmode[16];
    snprintf(dmode, sizeof dmode, "%.*s", (int)strcspn(demangle, ":"), demangle);
    for (char *s = dmode; *s; s++)
        *s = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    free(copy);
    if (local)
        check_mappings(p, force);
    np_buf out = {0};
    for (size_t i = 0; i < p->n_function; i++) {
        np_function *f = &p->function[i];
        if (force && f->name[0] && f->system_name[0])
            f->name = f->system_name;
        if (f->name[0] && strcmp(f->system_name, f->name) != 0)
            continue; /* already demangled */
        out.len = 0;
        if (np_demangle_simplified(f->system_name, dmode, &out))
            f->name = np_profile_strn(p, out.data, out.len);
        else
            f->name = f->system_name;
    }
    np_buf_free(&out);
}
