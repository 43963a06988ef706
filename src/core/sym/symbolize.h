/* Symbolization: a code address in a mapped ELF file -> function, file, line, with inlined
 * frames, from the file's symbol tables and DWARF debug info (also from a separate debug file
 * found by build ID or .gnu_debuglink). Used in-process by the collector and offline by the
 * analyzer. Reads files with mmap and plain reads; never calls the loader. */
#ifndef NP_SYMBOLIZE_CORE_H
#define NP_SYMBOLIZE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sym/gopcln.h"
#include "core/util.h"

typedef struct np_elf np_elf;

/* One frame for an address: innermost (inlined callee) first, as in profile.proto.
 * function: DW_AT_linkage_name (mangled) when DWARF has one, else DW_AT_name (C functions;
 * C++ functions with internal linkage get their scopes prefixed, "ns::Class::name<...>"), else
 * the ELF symbol (version suffix such as @GLIBC_2.2.5 removed); the caller demangles.
 * file: the path as the line table composes it (compilation dir/include dir/name), like
 * addr2line prints it. */
typedef struct np_sym_frame {
    const char *function;  /* as above, or NULL */
    const char *file;      /* source file, or NULL */
    int64_t line;          /* 0 if unknown */
    int64_t start_line;    /* line of the function's declaration, 0 if unknown */
    /* File address where the ELF function symbol holding the address starts, 0 if no symbol
     * does; the same for every frame of one address, as inlined code lies inside its caller. */
    uint64_t func_start;
} np_sym_frame;

/* Opens an ELF file (64-bit little-endian) for symbolization. Debug info is looked up lazily,
 * on the first np_elf_symbolize/np_elf_has_lines/np_elf_debug_file. An np_elf is not
 * thread-safe (lookups fill caches): callers serialize calls on one np_elf. */
int np_elf_open(const char *path, np_elf **out, np_err *err);
/* As np_elf_open, with separate debug files searched under debug_root (its .build-id/ tree and
 * debug_root/<dir of the file>/<debuglink>) instead of /usr/lib/debug; NULL means the default. */
int np_elf_open_with_debug_root(const char *path, const char *debug_root, np_elf **out, np_err *err);
void np_elf_close(np_elf *e);
/* The GNU build ID as lowercase hex ("" if none). */
const char *np_elf_build_id(const np_elf *e);
/* Translates a runtime address to the file's virtual address, given the mapping's start and
 * file offset as /proc/self/maps shows them. */
uint64_t np_elf_file_address(const np_elf *e, uint64_t runtime_addr, uint64_t map_start, uint64_t map_offset);
/* Symbolizes one file address. Fills up to max frames (innermost first) and returns how many;
 * 0 if nothing is known. Strings stay valid until np_elf_close. The address is taken as is:
 * for a return address from an unwinder, pass the call instruction (e.g. pc - 1). When an
 * inline chain is longer than max, its outermost frames are dropped. */
int np_elf_symbolize(np_elf *e, uint64_t file_addr, np_sym_frame *frames, int max);
/* Whether the file has line information (DWARF .debug_line, here or in its debug file). */
bool np_elf_has_lines(np_elf *e);
/* Path of the separate debug file in use (found by build ID or .gnu_debuglink), or NULL. */
const char *np_elf_debug_file(np_elf *e);
/* The file's Go line table (gopcln.h), NULL when it has none; read on first use, freed by
 * np_elf_close. go tool pprof names a Go binary's addresses from it rather than from DWARF. */
const np_gopcln *np_elf_gopcln(np_elf *e);
/* Source file names composed as Go's debug/dwarf composes them (go tool pprof's object reader)
 * rather than as addr2line does: the two differ for DWARF 5 units whose directory is relative
 * (`cc ./x.c` gives "x.c" in Go, the compilation directory's "/dir/x.c" in addr2line). Call it
 * before the first lookup. */
void np_elf_use_go_paths(np_elf *e);
/* Compressed debug sections that inflate to at least this many bytes (64 KiB unless set) are
 * inflated piece by piece, only where lookups read, instead of whole: a debug file then costs
 * memory for the units its lookups touch, not for all of its DWARF. For tests, which set it
 * to 0 to take that path with small programs; not thread-safe, set it before opening files. */
void np_elf_set_piecewise_min(size_t bytes);

/* One code symbol of a file's table: name as the table spells it (mangled, versions kept),
 * file address and size. Valid until np_elf_close. */
typedef struct np_elf_symbol {
    const char *name;
    uint64_t addr, size;
} np_elf_symbol;
typedef void (*np_elf_sym_fn)(void *ctx, const np_elf_symbol *s);
/* Every named symbol in a code section, aliases included, from .symtab (the separate debug
 * file's when the binary has none), else .dynsym; returns how many fn was given. */
long np_elf_symbols(np_elf *e, np_elf_sym_fn fn, void *ctx);

#endif
