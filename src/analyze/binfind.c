/* Finding a mapping's binary by build ID and path, and refusing files of another build: an
 * address looked up in a rebuilt binary gets a confident, wrong name. */
#include "analyze/binfind.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/pathutil.h"

/* Files already warned about (path, then the build ID expected), so each is named once. */
static np_buf warned;

static void warn_mismatch(const np_mapping *m, const char *path, const char *found)
{
    np_buf key = {0};
    np_buf_printf(&key, "%s%c%s%c", path, 0, m->build_id, 0);
    for (size_t at = 0; at < warned.len;) {
        size_t n = strlen(warned.data + at) + 1;
        n += strlen(warned.data + at + n) + 1;
        if (n == key.len && memcmp(warned.data + at, key.data, n) == 0) {
            np_buf_free(&key);
            return;
        }
        at += n;
    }
    np_buf_add(&warned, key.data, key.len);
    np_buf_free(&key);
    fprintf(stderr, "nprof: warning: not using %s for mapping %s: build ID mismatch (profile has %s, file has %s)\n",
            path, m->file[0] ? m->file : "(no file)", m->build_id, found[0] ? found : "none");
}

/* The file at path if it is an object file of m's build (any build when m has none). */
static np_elf *open_checked(const np_mapping *m, const char *path, const char *debug_root)
{
    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(path, debug_root, &e, &err) < 0)
        return NULL;
    if (!m->build_id[0] || strcasecmp(np_elf_build_id(e), m->build_id) == 0)
        return e;
    warn_mismatch(m, path, np_elf_build_id(e));
    np_elf_close(e);
    return NULL;
}

const char *np_binfind_debug_root(void)
{
    const char *r = getenv("NPROF_DEBUG_ROOT");
    return r && r[0] ? r : "/usr/lib/debug";
}

/* The debug roots one by one: root k of the list, into b; false past the last. */
static bool debug_root_at(size_t k, np_buf *b)
{
    const char *s = np_binfind_debug_root();
    for (; k > 0; k--) {
        s = strchr(s, ':');
        if (!s)
            return false;
        s++;
    }
    b->len = 0;
    np_buf_add(b, s, strcspn(s, ":"));
    np_buf_cstr(b);
    return true;
}

/* The file at path checked by open_checked, with the first debug root that holds its separate
 * debug file (the first root when none does). */
static np_elf *open_with_roots(const np_mapping *m, const char *path)
{
    np_buf root = {0};
    np_elf *first = NULL;
    for (size_t k = 0; debug_root_at(k, &root); k++) {
        np_elf *e = open_checked(m, path, np_buf_cstr(&root));
        if (!e || np_elf_debug_file(e)) {
            np_elf_close(first);
            first = e;
            break;
        }
        if (first)
            np_elf_close(e);
        else
            first = e;
    }
    np_buf_free(&root);
    return first;
}

/* filepath.Join of up to three parts into b. */
static void join(np_buf *b, const char *a, const char *x, const char *y)
{
    np_buf raw = {0};
    np_buf_printf(&raw, "%s/%s%s%s", a, x, y ? "/" : "", y ? y : "");
    b->len = 0;
    np_path_clean(b, np_buf_cstr(&raw));
    np_buf_free(&raw);
}

/* Candidates of one search folder in pprof's order; the first of m's build wins. */
static bool try_folder(np_mapping *m, np_profile *p, const char *dir)
{
    np_buf base = {0}, name = {0};
    np_path_base_buf(&base, m->file);
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (m->build_id[0]) {
        join(&name, dir, m->build_id, m->file[0] ? np_buf_cstr(&base) : "");
        *NP_PUSH(names, n, cap) = np_xstrdup(np_buf_cstr(&name));
        join(&name, dir, m->build_id, "*");
        glob_t g;
        if (glob(np_buf_cstr(&name), 0, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                *NP_PUSH(names, n, cap) = np_xstrdup(g.gl_pathv[i]);
        globfree(&g);
        join(&name, dir, m->file, m->build_id); /* perf's layout */
        *NP_PUSH(names, n, cap) = np_xstrdup(np_buf_cstr(&name));
    }
    if (m->file[0]) {
        join(&name, dir, np_buf_cstr(&base), NULL);
        *NP_PUSH(names, n, cap) = np_xstrdup(np_buf_cstr(&name));
        join(&name, dir, m->file, NULL);
        *NP_PUSH(names, n, cap) = np_xstrdup(np_buf_cstr(&name));
    }
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        np_elf *e = found ? NULL : open_checked(m, names[i], NULL);
        if (e) {
            m->file = np_profile_str(p, names[i]);
            found = true;
            np_elf_close(e);
        }
        free(names[i]);
    }
    free(names);
    np_buf_free(&base);
    np_buf_free(&name);
    return found;
}

/* The search path's folders, into *dirs (one malloc'd copy, colons made NULs); their count. */
static size_t search_path(char **copy, const char ***dirs)
{
    const char *nprof = getenv("NPROF_BINARY_PATH"), *pprof = getenv("PPROF_BINARY_PATH");
    np_buf all = {0};
    if (nprof && nprof[0])
        np_buf_puts(&all, nprof);
    if (pprof && pprof[0])
        np_buf_printf(&all, "%s%s", all.len ? ":" : "", pprof);
    if (!all.len)
        np_buf_printf(&all, "%s/pprof/binaries", getenv("HOME") ? getenv("HOME") : "");
    *copy = np_xstrdup(np_buf_cstr(&all));
    np_buf_free(&all);
    size_t n = 0, cap = 0;
    *dirs = NULL;
    for (char *s = *copy;; s++) {
        *NP_PUSH(*dirs, n, cap) = s;
        s += strcspn(s, ":");
        if (!*s)
            break;
        *s = 0;
    }
    return n;
}

void np_binfind_locate(np_profile *p)
{
    char *copy;
    const char **dirs;
    size_t nd = search_path(&copy, &dirs);
    for (size_t i = 0; i < p->n_mapping; i++)
        for (size_t d = 0; d < nd && !try_folder(&p->mapping[i], p, dirs[d]); d++)
            ;
    free(dirs);
    free(copy);
}

np_elf *np_binfind_open(const np_mapping *m)
{
    np_elf *e = m->file[0] ? open_with_roots(m, m->file) : NULL;
    if (e || strlen(m->build_id) < 3)
        return e;
    /* The .build-id tree is named in lowercase hex, as the binary's note reads. */
    char *id = np_xstrdup(m->build_id);
    for (char *c = id; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
    np_buf root = {0}, path = {0};
    for (size_t k = 0; !e && debug_root_at(k, &root); k++) {
        path.len = 0;
        np_buf_printf(&path, "%s/.build-id/%.2s/%s.debug", np_buf_cstr(&root), id, id + 2);
        e = open_checked(m, np_buf_cstr(&path), np_buf_cstr(&root));
    }
    free(id);
    np_buf_free(&root);
    np_buf_free(&path);
    return e;
}
