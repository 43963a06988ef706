/* The symbolizer's public face (symbolize.h): an ELF file, its separate debug file and DWARF,
 * loaded lazily, and the address -> frames query that prefers DWARF and falls back to symbols. */
#include "core/sym/symbolize.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "core/sym/elf_int.h"

struct np_elf {
    elf_file *file;
    char *debug_root; /* NULL: the default, /usr/lib/debug */
    char build_id[2 * sizeof ((elf_file *)0)->build_id + 1];
    bool loaded;
    elf_file *debug; /* separate debug file, or NULL */
    elf_file *alt;   /* dwz supplementary file, or NULL */
    dwarf *dw;
    elf_symtab syms;
    np_gopcln *go;
    bool go_tried;
    bool go_paths;
};

int np_elf_open_with_debug_root(const char *path, const char *debug_root, np_elf **out, np_err *err)
{
    *out = NULL;
    np_elf *e = calloc(1, sizeof *e);
    if (!e)
        return np_fail(err, "%s: out of memory", path);
    if (debug_root && !(e->debug_root = strdup(debug_root))) {
        free(e);
        return np_fail(err, "%s: out of memory", path);
    }
    if (elf_file_open(path, &e->file, err) < 0) {
        free(e->debug_root);
        free(e);
        return -1;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < e->file->build_id_len; i++) {
        e->build_id[2 * i] = digits[e->file->build_id[i] >> 4];
        e->build_id[2 * i + 1] = digits[e->file->build_id[i] & 15];
    }
    *out = e;
    return 0;
}

void np_elf_use_go_paths(np_elf *e)
{
    e->go_paths = true;
}

void np_elf_set_piecewise_min(size_t bytes)
{
    elf_piecewise_min = bytes;
}

int np_elf_open(const char *path, np_elf **out, np_err *err)
{
    return np_elf_open_with_debug_root(path, NULL, out, err);
}

void np_elf_close(np_elf *e)
{
    if (!e)
        return;
    dwarf_close(e->dw);
    np_gopcln_close(e->go);
    elf_symtab_free(&e->syms);
    elf_file_close(e->alt);
    elf_file_close(e->debug);
    elf_file_close(e->file);
    free(e->debug_root);
    free(e);
}

const char *np_elf_build_id(const np_elf *e)
{
    return e->build_id;
}

static bool has_debug_info(elf_file *f)
{
    return elf_has_section(f, ".debug_info") || elf_has_section(f, ".debug_line");
}

/* Finds the debug file, DWARF and symbols on first use: opening a file stays cheap for callers
 * that only want its build ID or address translation. */
static void load(np_elf *e)
{
    if (e->loaded)
        return;
    e->loaded = true;
    elf_file *src = NULL;
    if (has_debug_info(e->file)) {
        src = e->file;
    } else {
        e->debug = elf_open_debug_file(e->file, e->debug_root);
        if (e->debug && has_debug_info(e->debug))
            src = e->debug;
    }
    if (src) {
        e->alt = elf_open_alt_file(src, e->debug_root);
        e->dw = dwarf_open(src, e->alt);
        if (e->dw && e->go_paths)
            dwarf_use_go_paths(e->dw);
    }
    /* .symtab has static functions too; a debug file keeps the .symtab its binary lost. */
    long n = elf_symtab_load(&e->syms, e->file, SHT_SYMTAB);
    if (n <= 0 && e->debug) {
        elf_symtab_free(&e->syms);
        n = elf_symtab_load(&e->syms, e->debug, SHT_SYMTAB);
    }
    if (n <= 0) {
        elf_symtab_free(&e->syms);
        elf_symtab_load(&e->syms, e->file, SHT_DYNSYM);
    }
}

const char *np_elf_debug_file(np_elf *e)
{
    load(e);
    return e->debug ? e->debug->path : NULL;
}

bool np_elf_has_lines(np_elf *e)
{
    load(e);
    return dwarf_has_lines(e->dw);
}

uint64_t np_elf_file_address(const np_elf *e, uint64_t runtime_addr, uint64_t map_start, uint64_t map_offset)
{
    const elf_file *f = e->file;
    /* The file offset the address was loaded from, then the segment holding that offset gives
     * the link-time address. This works alike for PIE, shared objects and fixed executables,
     * whatever the loader's bias. */
    uint64_t off = runtime_addr - map_start + map_offset;
    for (size_t i = 0; i < f->nloads; i++) {
        const elf_seg *s = &f->loads[i];
        if (off >= s->offset && off - s->offset < s->filesz)
            return s->vaddr + (off - s->offset);
    }
    /* No segment matches (e.g. a mapping of a different file version): a fixed executable is
     * loaded at its link addresses; otherwise assume offsets equal addresses, as in most
     * shared objects' first segment. */
    if (f->type == ET_EXEC)
        return runtime_addr;
    return off;
}

int np_elf_symbolize(np_elf *e, uint64_t file_addr, np_sym_frame *frames, int max)
{
    if (max <= 0)
        return 0;
    load(e);
    const elf_sym *sym = elf_symtab_lookup(&e->syms, file_addr);
    int n = dwarf_symbolize(e->dw, file_addr, frames, max);
    if (n > 0) {
        /* DWARF without a function here (assembly with line info): the symbol names it. */
        for (int i = 0; i < n; i++) {
            if (!frames[i].function && sym)
                frames[i].function = sym->name;
            frames[i].func_start = sym ? sym->start : 0;
        }
        return n;
    }
    if (!sym)
        return 0;
    memset(&frames[0], 0, sizeof frames[0]);
    frames[0].function = sym->name;
    frames[0].func_start = sym->start;
    return 1;
}

const np_gopcln *np_elf_gopcln(np_elf *e)
{
    if (!e->go_tried) {
        e->go_tried = true;
        const uint8_t *data;
        size_t len;
        uint64_t text;
        if (elf_go_pclntab(e->file, &data, &len, &text) == 0)
            e->go = np_gopcln_open(data, len, text);
    }
    return e->go;
}

long np_elf_symbols(np_elf *e, np_elf_sym_fn fn, void *ctx)
{
    load(e);
    return elf_symlist(e->file, e->debug, fn, ctx);
}
