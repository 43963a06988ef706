/* Post-fetch symbolization as pprof does it: the -symbolize modes, local then remote naming
 * (symstep_local.c, symstep_remote.c), the mapping sources remote naming needs, and the C++
 * name demangling and simplification that makes C++ reports readable. */
#include "analyze/symstep.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/demangle.h"
#include "analyze/pathutil.h"

/* pprof's Mapping.Unsymbolizable: [vdso], [vsyscall], linux-vdso, GPU buffers. */
bool np_symstep_unsymbolizable(const np_mapping *m)
{
    np_buf base = {0};
    np_path_base_buf(&base, m->file);
    bool r = base.data[0] == '[' || strncmp(base.data, "linux-vdso", 10) == 0 ||
             strncmp(m->file, "/dev/dri/", 9) == 0;
    np_buf_free(&base);
    return r;
}

void np_map_sources_collect(np_profile *p, const char *url, np_map_sources *ms)
{
    for (size_t i = 0; i < p->n_mapping; i++) {
        np_mapping *m = &p->mapping[i];
        const char *key = m->build_id[0] ? m->build_id : m->file;
        if (!key[0])
            key = m->file = np_profile_str(p, url);
        np_map_source *s = NP_PUSH(ms->v, ms->n, ms->cap);
        s->key = np_xstrdup(key);
        s->url = np_xstrdup(url);
        s->start = m->start;
    }
}

void np_map_sources_free(np_map_sources *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        free(ms->v[i].key);
        free(ms->v[i].url);
    }
    free(ms->v);
    memset(ms, 0, sizeof *ms);
}

/* Go's url.Parse(s).IsAbs(): a scheme of a letter then letters, digits, "+", "-" or ".",
 * before the first ":" (a "/" first means a relative path). */
static bool is_abs_url(const char *s)
{
    if (!((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
        return false;
    for (s++; *s && *s != ':'; s++)
        if (!((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') && !(*s >= '0' && *s <= '9') &&
            *s != '+' && *s != '-' && *s != '.')
            return false;
    return *s == ':';
}

void np_map_sources_unsource(np_profile *p)
{
    for (size_t i = 0; i < p->n_mapping; i++)
        if (!p->mapping[i].build_id[0] && is_abs_url(p->mapping[i].file))
            p->mapping[i].file = "";
}

int np_symbolize(np_profile *p, const char *mode, const np_map_sources *ms, np_err *err)
{
    bool local = true, remote = true, force = false;
    const char *demangle = "";
    char *copy = np_xstrdup(mode ? mode : "");
    for (char *s = copy; *s; s++)
        *s = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    char *save = NULL;
    for (char *o = strtok_r(copy, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        if (!strcmp(o, "none") || !strcmp(o, "no")) {
            free(copy);
            return 0;
        }
        if (!strcmp(o, "local") || !strcmp(o, "fastlocal"))
            local = true, remote = false;
        else if (!strcmp(o, "remote"))
            local = false, remote = true;
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
        np_symstep_local(p, force);
    static const np_map_sources none;
    if (remote && np_symstep_remote(p, force, ms ? ms : &none, err) < 0)
        return -1;
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
    return 0;
}
