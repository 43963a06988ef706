/* Local symbolization of native mappings that carry a build ID (the collector's profiles taken
 * with NPROF_SYMBOLIZE=0, perf's): every inlined frame, separate debug files, functions keyed
 * as the collector keys them, so that the result reads as the self-symbolized profile does. */
#include "analyze/symstep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "analyze/binfind.h"
#include "analyze/pathutil.h"

enum { MAX_INLINE = 32 }; /* the collector's depth, for the same frames */

/* Whether mapping i is this step's: used, in need of names, and a file that could be opened. */
static bool wanted(const np_profile *p, size_t i, const bool *used, bool force)
{
    const np_mapping *m = &p->mapping[i];
    if (!used[i] || !m->build_id[0] || np_symstep_unsymbolizable(m))
        return false;
    return force || !(m->has_functions || m->has_filenames || m->has_line_numbers);
}

static void not_found(const np_mapping *m)
{
    np_buf base = {0};
    np_path_base_buf(&base, m->file);
    fprintf(stderr, "Local symbolization failed for %s (build ID %s): no file of this build at %s, in the binary search path or under %s/.build-id\n",
            np_buf_cstr(&base), m->build_id, m->file[0] ? m->file : "(no file)", np_binfind_debug_root());
    np_buf_free(&base);
}

/* The function for (name, file, start line), created on first use. */
static uint32_t function_for(np_profile *p, np_hmap *funcs, const np_sym_frame *f)
{
    np_buf key = {0};
    const char *name = f->function ? f->function : "", *file = f->file ? f->file : "";
    np_buf_printf(&key, "%s%c%s%c%lld", name, 0, file, 0, (long long)f->start_line);
    bool found;
    uint32_t idx = np_hmap_intern(funcs, key.data, key.len, (uint32_t)p->n_function, &found);
    np_buf_free(&key);
    if (!found) {
        np_function *fn = np_profile_add_function(p);
        fn->id = p->n_function;
        fn->name = fn->system_name = np_profile_str(p, name);
        fn->filename = np_profile_str(p, file);
        fn->start_line = f->start_line;
    }
    return idx;
}

static void symbolize_location(np_profile *p, np_location *l, np_elf *e, np_hmap *funcs)
{
    np_mapping *m = &p->mapping[l->mapping];
    np_sym_frame fr[MAX_INLINE];
    int n = np_elf_symbolize(e, np_elf_file_address(e, l->address, m->start, m->offset), fr, MAX_INLINE);
    if (n <= 0)
        return;
    l->line = np_arena_alloc(&p->arena, (size_t)n * sizeof *l->line);
    l->n_line = (uint32_t)n;
    l->is_folded = false;
    for (int i = 0; i < n; i++) {
        l->line[i].func = function_for(p, funcs, &fr[i]);
        l->line[i].line = fr[i].line;
        m->has_functions |= fr[i].function != NULL;
        m->has_filenames |= fr[i].file != NULL;
        m->has_line_numbers |= fr[i].line != 0;
    }
    m->has_inline_frames |= n > 1 || np_elf_has_lines(e);
}

/* Names every location of an opened mapping; closes and frees bins. */
static void name_locations(np_profile *p, np_elf **bins)
{
    np_hmap by_key;
    np_hmap_init(&by_key, 256);
    for (np_location *l = p->location; l < p->location + p->n_location; l++)
        if (l->mapping < p->n_mapping && bins[l->mapping])
            symbolize_location(p, l, bins[l->mapping], &by_key);
    np_hmap_free(&by_key);
    for (np_elf **b = bins; b < bins + p->n_mapping; b++)
        np_elf_close(*b);
    free(bins);
}

bool *np_symstep_native(np_profile *p, bool force)
{
    bool *used = np_xcalloc(p->n_mapping + 1, sizeof *used);
    bool *mine = np_xcalloc(p->n_mapping + 1, sizeof *mine);
    np_elf **bins = np_xcalloc(p->n_mapping + 1, sizeof *bins);
    for (size_t i = 0; i < p->n_location; i++)
        if (p->location[i].mapping != NP_NONE)
            used[p->location[i].mapping] = true;
    bool missing = false;
    for (size_t i = 0; i < p->n_mapping; i++) {
        if (!(mine[i] = wanted(p, i, used, force)))
            continue;
        if (!(bins[i] = np_binfind_open(&p->mapping[i]))) {
            not_found(&p->mapping[i]);
            missing = true;
        }
    }
    if (missing)
        fprintf(stderr, "Some binaries were not found. Set NPROF_BINARY_PATH (or PPROF_BINARY_PATH) to the folders that hold them.\n");
    name_locations(p, bins);
    free(used);
    return mine;
}
