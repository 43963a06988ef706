/* Internal interfaces shared by the symbolizer's parts: mapped ELF files (elf.c), symbol
 * tables (elf_syms.c), separate debug files (elf_debug.c) and DWARF (dwarf*.c). Not for use
 * outside src/core/elf*.c, dwarf*.c, symbolize*.c. */
#ifndef NP_ELF_INT_H
#define NP_ELF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sym/symbolize.h"
#include "core/util.h"

typedef struct elf_zsec elf_zsec;

/* One section header, plus its decompressed contents once asked for. */
typedef struct elf_sec {
    const char *name; /* always a valid C string ("" when the name is out of bounds) */
    uint32_t type, link, info;
    uint64_t flags, addr, offset, size, align, entsize;
    /* Lazily filled by elf_section_data: 0 = not read yet, 1 = data/len valid, -1 = unusable. */
    int state;
    const uint8_t *data;
    size_t len;
    uint8_t *owned; /* decompressed copy that data points into, freed on close */
    /* A large compressed section read through elf_section_view is inflated in pieces
     * (elf_zsec.c) and never whole; NULL otherwise. view_state as state, for that choice. */
    elf_zsec *z;
    int view_state;
} elf_sec;

typedef struct elf_seg {
    uint64_t vaddr, offset, filesz, memsz;
    uint32_t flags;
} elf_seg;

/* A read-only mapping of one ELF64 little-endian file and its parsed headers. */
typedef struct elf_file {
    char *path;
    const uint8_t *map;
    size_t size;
    uint16_t type; /* ET_EXEC, ET_DYN, ... */
    elf_sec *secs;
    size_t nsecs;
    elf_seg *loads; /* PT_LOAD segments in header order */
    size_t nloads;
    uint8_t build_id[64];
    size_t build_id_len;
    const char *debuglink; /* .gnu_debuglink file name, or NULL */
    uint32_t debuglink_crc;
    const char *altlink; /* .gnu_debugaltlink file name (dwz), or NULL */
    const uint8_t *altlink_id;
    size_t altlink_id_len;
} elf_file;

int elf_file_open(const char *path, elf_file **out, np_err *err);
void elf_file_close(elf_file *f);
/* First section with this name, or NULL. */
elf_sec *elf_section(elf_file *f, const char *name);
/* Contents of a section, decompressed if SHF_COMPRESSED (zlib) or a legacy .zdebug_ section.
 * Returns 0, or -1 when the section has no usable contents (NOBITS, out of bounds, bad or
 * unsupported compression). */
int elf_section_data(elf_file *f, elf_sec *s, const uint8_t **data, size_t *len);
/* Whether a section exists and has file contents (not NOBITS, nonzero size). */
bool elf_has_section(elf_file *f, const char *name);

/* Contents of a section for reading in pieces: *data points at *len bytes, but of a large
 * compressed section (at least elf_piecewise_min inflated bytes) only the ranges asked for
 * with elf_section_need hold the contents, the rest reads as zeros and costs no memory. Other
 * sections are as elf_section_data gives them. Returns 0, or -1 as elf_section_data. */
int elf_section_view(elf_file *f, elf_sec *s, const uint8_t **data, size_t *len);
/* Whether the view of s is inflated in pieces (so readers must ask for what they read). */
bool elf_section_piecewise(const elf_sec *s);
/* Makes [off, off+len) of a section's view (clamped to its length) hold the contents. 0, or
 * -1 when they cannot be had (corrupt compressed data); free for other sections. */
int elf_section_need(elf_file *f, elf_sec *s, uint64_t off, uint64_t len);
/* Copies [off, off+len) of a section's contents to buf without keeping them in its view, for
 * one pass over a large section. 0, or -1 if the range is out of bounds or unreadable. */
int elf_section_copy(elf_file *f, elf_sec *s, uint64_t off, void *buf, size_t len);
/* Gives back the memory of [off, off+len) of a section's view once read (the pages wholly
 * inside, for a piecewise view; the file's pages, for a mapped section); asked for again, the
 * contents are read again. Nothing for sections inflated whole. */
void elf_section_release(elf_file *f, elf_sec *s, uint64_t off, uint64_t len);
/* Compressed sections at least this large (inflated) are viewed piecewise; tests lower it
 * (np_elf_set_piecewise_min) to take that path with small files. */
extern size_t elf_piecewise_min;

/* ---- piecewise inflation (elf_zsec.c) ---- */

/* A zlib stream of zlen bytes inflating to out_len, or NULL (bad header, out of memory). The
 * data must stay mapped until elf_zsec_close, which frees it all (elf_file_close calls it). */
elf_zsec *elf_zsec_open(const uint8_t *zdata, size_t zlen, uint64_t out_len);
void elf_zsec_close(elf_zsec *z);
const uint8_t *elf_zsec_view(const elf_zsec *z);
size_t elf_zsec_len(const elf_zsec *z);
int elf_zsec_need(elf_zsec *z, uint64_t off, uint64_t len);
int elf_zsec_copy(elf_zsec *z, uint64_t off, void *buf, size_t len);
void elf_zsec_release(elf_zsec *z, uint64_t off, uint64_t len);
/* Drops the process's mapping of the pages of [p, p+len) (but a last, partial one) of a read-
 * only file mapping, keeping the contents readable (they fault back in from the page cache). */
void elf_file_forget(const void *p, size_t len);

/* ---- symbols (elf_syms.c) ---- */

typedef struct elf_sym {
    uint64_t start, end; /* [start, end) */
    const char *name;
} elf_sym;

typedef struct elf_symtab {
    elf_sym *syms; /* sorted by start, one entry per address */
    size_t n;
    char *names; /* copies of names whose symbol version ("@GLIBC_2.2.5") was cut off */
} elf_symtab;

/* Loads the function symbols of the first section of type sh_type (SHT_SYMTAB or SHT_DYNSYM).
 * Returns the number of symbols (0 if there is no such table), or -1 on allocation failure.
 * Names point into f's mapping, so f must outlive t. */
long elf_symtab_load(elf_symtab *t, elf_file *f, uint32_t sh_type);
void elf_symtab_free(elf_symtab *t);
/* The symbol containing addr, or NULL. */
const elf_sym *elf_symtab_lookup(const elf_symtab *t, uint64_t addr);

/* Every named code symbol of main's .symtab, else of debug's (a stripped binary's), else of
 * main's .dynsym, through fn in table order (elf_symlist.c); returns how many. */
long elf_symlist(elf_file *main, elf_file *debug, np_elf_sym_fn fn, void *ctx);

/* ---- separate debug files (elf_debug.c) ---- */

/* Finds and opens the separate debug file of f: by build ID under debug_root/.build-id/, then
 * by .gnu_debuglink next to f, in its .debug/ subdirectory and under debug_root. A candidate
 * must match f's build ID (or, when either has none, the debuglink CRC). NULL if none. */
elf_file *elf_open_debug_file(const elf_file *f, const char *debug_root);
/* Finds and opens the dwz supplementary file named by f's .gnu_debugaltlink. NULL if none. */
elf_file *elf_open_alt_file(const elf_file *f, const char *debug_root);

/* ---- Go's line table (elf_gopcln.c) ---- */

/* The pclntab of a Go binary and the address its code offsets count from, as Go's object
 * reader finds them. 0, or -1 when the file has none. */
int elf_go_pclntab(elf_file *f, const uint8_t **data, size_t *len, uint64_t *text_start);

/* ---- DWARF (dwarf*.c) ---- */

typedef struct dwarf dwarf;

/* Reads f's DWARF (f must outlive the result). alt, if not NULL, is the dwz supplementary
 * file referenced by DW_FORM_GNU_ref_alt/strp_alt. Returns NULL if f has no .debug_info and
 * no .debug_line, or on allocation failure. */
dwarf *dwarf_open(elf_file *f, elf_file *alt);
/* File paths composed as Go's debug/dwarf does (np_elf_use_go_paths); before the first lookup. */
void dwarf_use_go_paths(dwarf *d);
void dwarf_close(dwarf *d);
bool dwarf_has_lines(dwarf *d);
/* Frames for addr, innermost first; function may be NULL when DWARF names no function there
 * (the caller falls back to the symbol table). Returns the number filled, 0 if unknown. */
int dwarf_symbolize(dwarf *d, uint64_t addr, np_sym_frame *frames, int max);

#endif
