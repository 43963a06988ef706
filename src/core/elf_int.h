/* Internal interfaces shared by the symbolizer's parts: mapped ELF files (elf.c), symbol
 * tables (elf_syms.c), separate debug files (elf_debug.c) and DWARF (dwarf*.c). Not for use
 * outside src/core/elf*.c, dwarf*.c, symbolize*.c. */
#ifndef NP_ELF_INT_H
#define NP_ELF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize.h"
#include "util.h"

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

/* ---- separate debug files (elf_debug.c) ---- */

/* Finds and opens the separate debug file of f: by build ID under debug_root/.build-id/, then
 * by .gnu_debuglink next to f, in its .debug/ subdirectory and under debug_root. A candidate
 * must match f's build ID (or, when either has none, the debuglink CRC). NULL if none. */
elf_file *elf_open_debug_file(const elf_file *f, const char *debug_root);
/* Finds and opens the dwz supplementary file named by f's .gnu_debugaltlink. NULL if none. */
elf_file *elf_open_alt_file(const elf_file *f, const char *debug_root);

/* ---- DWARF (dwarf*.c) ---- */

typedef struct dwarf dwarf;

/* Reads f's DWARF (f must outlive the result). alt, if not NULL, is the dwz supplementary
 * file referenced by DW_FORM_GNU_ref_alt/strp_alt. Returns NULL if f has no .debug_info and
 * no .debug_line, or on allocation failure. */
dwarf *dwarf_open(elf_file *f, elf_file *alt);
void dwarf_close(dwarf *d);
bool dwarf_has_lines(dwarf *d);
/* Frames for addr, innermost first; function may be NULL when DWARF names no function there
 * (the caller falls back to the symbol table). Returns the number filled, 0 if unknown. */
int dwarf_symbolize(dwarf *d, uint64_t addr, np_sym_frame *frames, int max);

#endif
