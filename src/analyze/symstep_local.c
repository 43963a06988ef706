/* Local symbolization with the judgement of go tool pprof's own object reader: the binary a
 * mapping names, its Go line table or else its own DWARF only, one frame per address (the
 * enclosing function, and the file and line the line table gives), and pprof's messages about
 * missing binaries. */
#include "analyze/symstep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/gofmt.h"
#include "core/hmap.h"
#include "core/radix.h"
#include "core/sym/symbolize.h"
#include "analyze/graph_memo.h"
#include "analyze/par.h"
#include "analyze/pathutil.h"

enum { MAX_FRAMES = 64 };

/* A file name that is an http(s) URL with no build ID: a remote source, not a binary. */
static bool http_source(const np_mapping *m)
{
    if (m->build_id[0])
        return false;
    const char *colon = strchr(m->file, ':');
    if (!colon || colon == m->file)
        return false;
    for (const char *c = m->file; c < colon; c++) {
        if (!((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') &&
            (c == m->file || !((*c >= '0' && *c <= '9') || *c == '+' || *c == '-' || *c == '.')))
            return false;
    }
    for (const char *c = m->file; c + 4 <= colon; c++)
        if (strncasecmp(c, "http", 4) == 0)
            return true;
    return false;
}

/* Opens the binary as go tool pprof's reader would; on failure prints its message. */
static np_elf *open_binary(const np_mapping *m)
{
    np_buf name = {0};
    np_path_base_buf(&name, m->file);
    if (m->build_id[0])
        np_buf_printf(&name, " (build ID %s)", m->build_id);
    np_elf *e = NULL;
    np_err err;
    int fd = open(m->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        np_buf why = {0};
        np_go_errno(&why, errno);
        fprintf(stderr, "Local symbolization failed for %s: open %s: %s\n", np_buf_cstr(&name),
                m->file, np_buf_cstr(&why));
        np_buf_free(&why);
    } else if (np_elf_open(m->file, &e, &err) < 0) {
        fprintf(stderr, "Local symbolization failed for %s: open %s: unrecognized object file\n",
                np_buf_cstr(&name), m->file);
    }
    if (e)
        np_elf_use_go_paths(e); /* file names as go tool pprof's reader composes them */
    if (fd >= 0)
        close(fd);
    np_buf_free(&name);
    return e;
}

/* newMapping: the binaries of the mappings to symbolize, NULL where there is none. */
static np_elf **open_mappings(np_profile *p, bool force, const bool *taken)
{
    np_elf **bins = np_xcalloc(p->n_mapping + 1, sizeof *bins);
    bool *used = np_xcalloc(p->n_mapping + 1, sizeof *used);
    for (size_t i = 0; i < p->n_location; i++)
        if (p->location[i].mapping != NP_NONE)
            used[p->location[i].mapping] = true;
    bool missing = false;
    for (size_t i = 0; i < p->n_mapping; i++) {
        const np_mapping *m = &p->mapping[i];
        if (!used[i] || taken[i] || (!force && (m->has_functions || m->has_filenames || m->has_line_numbers)))
            continue;
        if (!m->file[0]) {
            if (i == 0)
                fprintf(stderr, "Main binary filename not available.\n");
            else
                missing = true;
            continue;
        }
        if (np_symstep_unsymbolizable(m) || http_source(m))
            continue;
        if (!(bins[i] = open_binary(m)))
            missing = true;
    }
    if (missing)
        fprintf(stderr, "Some binary filenames not available. Symbolization may be incomplete.\n"
                        "Try setting PPROF_BINARY_PATH to the search path for local binaries.\n");
    free(used);
    return bins;
}

/* The function for (name, file), created on first use as pprof's symbolizer keys them. */
/* The functions made so far by (name, file), and the buffer their keys are built in (one for
 * the whole profile: a buffer per location was a tenth of symbolizing a large Go profile). */
typedef struct fn_index {
    np_hmap map;
    np_buf key;
    np_graph_memo by_ptr; /* a line table's (name, file) pointers -> function */
} fn_index;

static uint32_t function_for(np_profile *p, fn_index *funcs, const char *name, const char *file)
{
    np_buf *key = &funcs->key;
    key->len = 0;
    np_buf_puts(key, name);
    np_buf_putc(key, 0);
    np_buf_puts(key, file);
    bool found;
    uint32_t idx = np_hmap_intern(&funcs->map, key->data, key->len, (uint32_t)p->n_function, &found);
    if (!found) {
        np_function *f = np_profile_add_function(p);
        f->id = p->n_function;
        f->name = f->system_name = np_profile_str(p, name);
        f->filename = np_profile_str(p, file);
    }
    return idx;
}

/* A Go line table names a function and its file by pointers into the table, the same two for
 * every address of the function: it is found by them, and their strings are hashed only the
 * first time they come. */
static uint32_t function_for_table(np_profile *p, fn_index *funcs, const char *name,
                                   const char *file)
{
    bool found;
    uint32_t *v = np_graph_memo_find(&funcs->by_ptr, (uintptr_t)name, (int64_t)(uintptr_t)file,
                                     0, 0, &found);
    if (!found)
        *v = function_for(p, funcs, name, file);
    return *v;
}

/* Gives l the one frame pprof's symbolizer makes of an answer, and its mapping the flags;
 * from_table: name and file point into a Go line table. */
static void set_frame(np_profile *p, np_location *l, fn_index *funcs, const char *name,
                      const char *file, int64_t line, bool from_table)
{
    np_mapping *m = &p->mapping[l->mapping];
    l->line = np_arena_alloc(&p->arena, sizeof *l->line);
    l->n_line = 1;
    l->is_folded = false;
    l->line[0].func = from_table ? function_for_table(p, funcs, name, file)
                                 : function_for(p, funcs, name, file);
    l->line[0].line = line;
    m->has_functions |= name[0] != 0;
    m->has_filenames |= file[0] != 0;
    m->has_line_numbers |= line != 0;
    m->has_inline_frames = true;
}

/* The address Go's reader looks up for l: a mapping that starts at 0 (a text profile's) gives
 * it as it is. */
static uint64_t file_address(const np_profile *p, const np_location *l, np_elf *e)
{
    const np_mapping *m = &p->mapping[l->mapping];
    return m->start ? np_elf_file_address(e, l->address, m->start, m->offset) : l->address;
}

/* What a binary's Go line table says of one location. */
typedef struct go_answer {
    const char *func, *file;
    int64_t line;
    bool found;
} go_answer;

static const np_gopcln *go_table(const np_profile *p, const np_location *l, np_elf *const *bins)
{
    return l->mapping != NP_NONE && bins[l->mapping] ? np_elf_gopcln(bins[l->mapping]) : NULL;
}

/* The Go line table's answers for every location whose binary has one, looked up in address
 * order: a function's addresses then come one after another, and its tables are run once for
 * all of them rather than from its entry for each. */
typedef struct go_lookups {
    const np_keyed *order;       /* (file address, location index), ascending */
    const np_gopcln *const *tab; /* by item of order: its table, opened beforehand */
    go_answer *ans;              /* by location */
} go_lookups;

/* Items [begin, end) of the order, with a cursor of their own: the answers do not depend on
 * where a cursor starts, so the addresses of a large profile are looked up on two CPUs. */
static void look_up_range(void *ctx, size_t begin, size_t end)
{
    const go_lookups *g = ctx;
    np_gopcln_cursor c = {0};
    const np_gopcln *last = NULL;
    for (size_t k = begin; k < end; k++) {
        go_answer *a = &g->ans[g->order[k].index];
        const np_gopcln *go = g->tab[k];
        if (go != last)
            c = (np_gopcln_cursor){0};
        last = go;
        a->found = np_gopcln_lookup_at(go, &c, g->order[k].key, &a->func, &a->file, &a->line);
    }
}

static go_answer *go_answers(const np_profile *p, np_elf *const *bins)
{
    np_keyed *order = np_xmalloc((p->n_location + 1) * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < p->n_location; i++) {
        const np_location *l = &p->location[i];
        if (go_table(p, l, bins))
            order[n++] = (np_keyed){file_address(p, l, bins[l->mapping]), (uint32_t)i};
    }
    go_answer *ans = n ? np_xcalloc(p->n_location, sizeof *ans) : NULL;
    np_radix_sort(order, n);
    const np_gopcln **tab = np_xmalloc((n + 1) * sizeof *tab);
    for (size_t k = 0; k < n; k++)
        tab[k] = go_table(p, &p->location[order[k].index], bins);
    go_lookups g = {order, tab, ans};
    /* Runs of 1024 addresses: a cursor restarts at each, and the two threads share the work
     * evenly although some functions' tables cost many times more than others'. */
    np_par_chunks(look_up_range, &g, n, 1024, 8192);
    free(tab);
    free(order);
    return ans;
}

/* One location: the frame Go's reader gives, from the binary's Go line table where a function
 * of it holds the address (ans, looked up beforehand), else from the binary's own DWARF only
 * (a separate debug file is not consulted, and an address no line table covers gets
 * nothing). */
static void symbolize_location(np_profile *p, np_location *l, np_elf *e, fn_index *funcs,
                               const go_answer *ans)
{
    if (ans && ans->found) {
        set_frame(p, l, funcs, ans->func, ans->file, ans->line, true);
        return;
    }
    if (np_elf_debug_file(e))
        return;
    np_sym_frame fr[MAX_FRAMES];
    int n = np_elf_symbolize(e, file_address(p, l, e), fr, MAX_FRAMES);
    if (n <= 0 || !fr[0].file)
        return;
    set_frame(p, l, funcs, fr[n - 1].function ? fr[n - 1].function : "", fr[0].file, fr[0].line,
              false);
}

void np_symstep_local(np_profile *p, bool force)
{
    bool *taken = np_symstep_native(p, force); /* mappings with a build ID */
    np_elf **bins = open_mappings(p, force, taken);
    free(taken);
    fn_index funcs = {.key = {0}};
    np_hmap_init(&funcs.map, 64);
    np_graph_memo_init(&funcs.by_ptr, p->n_location / 2);
    go_answer *ans = go_answers(p, bins);
    for (size_t i = 0; i < p->n_location; i++) {
        np_location *l = &p->location[i];
        if (l->mapping != NP_NONE && bins[l->mapping])
            symbolize_location(p, l, bins[l->mapping], &funcs, ans ? &ans[i] : NULL);
    }
    free(ans);
    np_hmap_free(&funcs.map);
    np_graph_memo_free(&funcs.by_ptr);
    np_buf_free(&funcs.key);
    for (size_t i = 0; i < p->n_mapping; i++)
        np_elf_close(bins[i]);
    free(bins);
}
