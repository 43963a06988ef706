/* Internal interfaces between the DWARF reader's parts: bounds-checked cursors and constants,
 * units, abbreviations and DIEs (dwarf.c), range lists (dwarf_ranges.c), line tables
 * (dwarf_line.c), the address -> unit index (dwarf_index.c) and the per-unit function/inline
 * tree (dwarf_funcs.c). */
#ifndef NP_DWARF_INT_H
#define NP_DWARF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/sym/cursor.h"
#include "core/sym/elf_int.h"

/* ---- constants from the DWARF 5 specification (only those we read) ---- */

enum {
    DW_TAG_entry_point = 0x03,
    DW_TAG_class_type = 0x02,
    DW_TAG_lexical_block = 0x0b,
    DW_TAG_structure_type = 0x13,
    DW_TAG_union_type = 0x17,
    DW_TAG_namespace = 0x39,
    DW_TAG_compile_unit = 0x11,
    DW_TAG_inlined_subroutine = 0x1d,
    DW_TAG_subprogram = 0x2e,
    DW_TAG_partial_unit = 0x3c,
    DW_TAG_skeleton_unit = 0x4a,
};

enum {
    DW_AT_sibling = 0x01,
    DW_AT_name = 0x03,
    DW_AT_stmt_list = 0x10,
    DW_AT_low_pc = 0x11,
    DW_AT_high_pc = 0x12,
    DW_AT_language = 0x13,
    DW_AT_comp_dir = 0x1b,
    DW_AT_abstract_origin = 0x31,
    DW_AT_decl_line = 0x3b,
    DW_AT_external = 0x3f,
    DW_AT_specification = 0x47,
    DW_AT_ranges = 0x55,
    DW_AT_call_file = 0x58,
    DW_AT_call_line = 0x59,
    DW_AT_linkage_name = 0x6e,
    DW_AT_str_offsets_base = 0x72,
    DW_AT_addr_base = 0x73,
    DW_AT_rnglists_base = 0x74,
    DW_AT_MIPS_linkage_name = 0x2007,
    DW_AT_GNU_addr_base = 0x2133,
};

enum {
    DW_FORM_addr = 0x01,
    DW_FORM_block2 = 0x03,
    DW_FORM_block4 = 0x04,
    DW_FORM_data2 = 0x05,
    DW_FORM_data4 = 0x06,
    DW_FORM_data8 = 0x07,
    DW_FORM_string = 0x08,
    DW_FORM_block = 0x09,
    DW_FORM_block1 = 0x0a,
    DW_FORM_data1 = 0x0b,
    DW_FORM_flag = 0x0c,
    DW_FORM_sdata = 0x0d,
    DW_FORM_strp = 0x0e,
    DW_FORM_udata = 0x0f,
    DW_FORM_ref_addr = 0x10,
    DW_FORM_ref1 = 0x11,
    DW_FORM_ref2 = 0x12,
    DW_FORM_ref4 = 0x13,
    DW_FORM_ref8 = 0x14,
    DW_FORM_ref_udata = 0x15,
    DW_FORM_indirect = 0x16,
    DW_FORM_sec_offset = 0x17,
    DW_FORM_exprloc = 0x18,
    DW_FORM_flag_present = 0x19,
    DW_FORM_strx = 0x1a,
    DW_FORM_addrx = 0x1b,
    DW_FORM_ref_sup4 = 0x1c,
    DW_FORM_strp_sup = 0x1d,
    DW_FORM_data16 = 0x1e,
    DW_FORM_line_strp = 0x1f,
    DW_FORM_ref_sig8 = 0x20,
    DW_FORM_implicit_const = 0x21,
    DW_FORM_loclistx = 0x22,
    DW_FORM_rnglistx = 0x23,
    DW_FORM_ref_sup8 = 0x24,
    DW_FORM_strx1 = 0x25,
    DW_FORM_strx2 = 0x26,
    DW_FORM_strx3 = 0x27,
    DW_FORM_strx4 = 0x28,
    DW_FORM_addrx1 = 0x29,
    DW_FORM_addrx2 = 0x2a,
    DW_FORM_addrx3 = 0x2b,
    DW_FORM_addrx4 = 0x2c,
    DW_FORM_GNU_addr_index = 0x1f01,
    DW_FORM_GNU_str_index = 0x1f02,
    DW_FORM_GNU_ref_alt = 0x1f20,
    DW_FORM_GNU_strp_alt = 0x1f21,
};

enum { DW_UT_compile = 1, DW_UT_type = 2, DW_UT_partial = 3, DW_UT_skeleton = 4, DW_UT_split_compile = 5, DW_UT_split_type = 6 };

/* A unit_length field: sets *off_size to 4 or 8 (64-bit DWARF), returns the length. */
static inline uint64_t dw_unit_length(dw_cur *c, unsigned *off_size)
{
    uint64_t len = dw_u32(c);
    *off_size = 4;
    if (len == 0xffffffffu) {
        len = dw_u64(c);
        *off_size = 8;
    } else if (len >= 0xfffffff0u) {
        c->bad = true; /* reserved values */
    }
    return len;
}

/* ---- sections, units, abbreviations, DIEs (dwarf.c) ---- */

enum { DS_INFO, DS_ABBREV, DS_LINE, DS_STR, DS_LINE_STR, DS_STR_OFFSETS, DS_ADDR, DS_RANGES, DS_RNGLISTS, DS_ARANGES, DS_COUNT };

/* A section's view (elf_section_view). When it is inflated in pieces (pieces), only what was
 * asked for with dw_need holds its contents: every read of it is preceded by one. */
typedef struct dw_sect {
    const uint8_t *data;
    size_t len;
    elf_sec *es; /* NULL when the file has no such section */
    bool pieces;
} dw_sect;

typedef struct dw_attrspec {
    uint32_t attr, form;
    int64_t implicit;
} dw_attrspec;

typedef struct dw_abbrev {
    uint64_t code;
    uint32_t tag;
    bool children;
    uint32_t first, n; /* range in the table's specs */
} dw_abbrev;

typedef struct dw_abbrevs {
    uint64_t off;
    dw_abbrev *v;
    size_t n;
    dw_attrspec *specs;
    size_t nspecs;
    bool dense; /* v[i].code == i + 1 for all i, so lookup is an index */
} dw_abbrevs;

typedef struct dw_lines dw_lines;
typedef struct dw_tree dw_tree;

typedef struct dw_unit {
    uint64_t off, die_off, end; /* header start, first DIE, end (offsets in .debug_info) */
    uint16_t version;
    uint8_t unit_type, addr_size, off_size;
    uint64_t abbrev_off;
    dw_abbrevs *abbrevs;
    int8_t prepared; /* 0 not yet, 1 ready, -1 unusable */
    /* From the unit DIE. */
    uint32_t unit_tag;
    uint64_t str_offsets_base, addr_base, rnglists_base, base_pc;
    bool has_str_offsets_base, has_addr_base, has_rnglists_base;
    const char *name, *comp_dir;
    bool cplus; /* C++: names without DW_AT_linkage_name get qualified by their scopes */
    bool has_stmt_list;
    uint64_t stmt_list;
    /* Every byte of the unit is readable (dw_unit_whole), so DIE reads need not ask. */
    bool whole;
    /* Lazily built by dwarf_line.c and dwarf_funcs.c. */
    int8_t lines_state, tree_state;
    dw_lines *lines;
    dw_tree *tree;
} dw_unit;

/* An attribute value as read: the form, an integer (constant, offset, index, address or
 * length) and, for strings and blocks, a pointer into the section. */
typedef struct dw_val {
    uint32_t form;
    uint64_t u;
    const uint8_t *ptr;
} dw_val;

enum { A_NAME, A_LINKAGE, A_LOW, A_HIGH, A_RANGES, A_ORIGIN, A_SPEC, A_DECL_LINE, A_CALL_FILE, A_CALL_LINE,
       A_SIBLING, A_STMT_LIST, A_COMP_DIR, A_STR_OFFSETS_BASE, A_ADDR_BASE, A_RNGLISTS_BASE, A_LANGUAGE,
       A_EXTERNAL, A_COUNT };

typedef struct dw_die {
    uint64_t off, next; /* this DIE and the one after its attributes (its first child, if any) */
    uint32_t tag;
    bool children, null;
    uint32_t have; /* bit (1 << A_x) set when a[A_x] was read */
    dw_val a[A_COUNT];
} dw_die;

#define DW_HAS(die, slot) (((die)->have >> (slot)) & 1u)

/* A unit as the walk over the headers found it: a few bytes for each of the thousands of
 * units of a large file; the dw_unit is made when the unit is first used. */
typedef struct dw_uhdr {
    uint64_t off, end, abbrev_off;
    uint16_t version;
    uint8_t die_delta; /* die_off - off: the header's length */
    uint8_t unit_type, addr_size, off_size;
} dw_uhdr;

struct dwarf {
    elf_file *f;
    dwarf *alt;
    dw_sect sec[DS_COUNT];
    dw_uhdr *hdrs; /* sorted by offset: the units before `scanned` (dw_units_scan_to) */
    dw_unit **units; /* units[i] for hdrs[i], NULL until dw_unit_get */
    size_t nunits, units_cap;
    uint64_t scanned; /* .debug_info offset where the walk over unit headers stopped */
    bool scan_done;   /* the walk reached the end (or a part it cannot read past) */
    dw_abbrevs **abbrevs; /* sorted by offset */
    size_t nabbrevs, abbrevs_cap;
    /* Address -> unit index (dwarf_index.c). */
    int8_t index_state;
    bool index_complete; /* the units aranges left out are in it too */
    struct dw_cu_range *index;
    size_t nindex;
    uint64_t *index_maxhi;
    /* Composed strings (file paths) live here until close. */
    struct dw_pool_block *pool;
    bool go_paths; /* file paths composed as Go's debug/dwarf does (np_elf_use_go_paths) */
};

/* Makes [off, off+len) of section i readable (see dw_sect); 0, or -1 when it cannot be. */
static inline int dw_need(dwarf *d, int i, uint64_t off, uint64_t len)
{
    return d->sec[i].pieces ? elf_section_need(d->f, d->sec[i].es, off, len) : 0;
}

/* Walks unit headers until every unit that starts at or before off is in hdrs; 0 or -1. */
int dw_units_scan_to(dwarf *d, uint64_t off);
/* Unit i (in offset order), made on first use (dwarf_close frees it); NULL when out of memory. */
dw_unit *dw_unit_get(dwarf *d, size_t i);
/* Says that [off, off+len) of section i was read into tables: its memory can go where that
 * only costs reading it again from the page cache (a mapped section's pages). Pages inflated
 * in pieces stay (they would have to be inflated again). */
static inline void dw_read_done(dwarf *d, int i, uint64_t off, uint64_t len)
{
    if (d->sec[i].es && !d->sec[i].pieces)
        elf_section_release(d->f, d->sec[i].es, off, len);
}

/* The unit containing a .debug_info offset, or NULL. */
dw_unit *dw_unit_at(dwarf *d, uint64_t off);
/* Loads the unit's abbreviations and reads its unit DIE; 0 or -1. */
int dw_unit_prepare(dwarf *d, dw_unit *u);
/* Makes all of a prepared unit readable at once, for walks over all of its DIEs; 0 or -1. */
int dw_unit_whole(dwarf *d, dw_unit *u);
/* Reads the DIE at off (inside u) and the attributes the symbolizer uses; 0 or -1. */
int dw_read_die(dwarf *d, dw_unit *u, uint64_t off, dw_die *die);
/* Reads one attribute value of the given form; false on malformed input. */
bool dw_read_form(dw_cur *c, const dw_unit *u, uint32_t form, int64_t implicit, dw_val *v);
/* Interpretations of values; each fails safely (NULL/false) on a bad form or offset. */
const char *dw_str(dwarf *d, const dw_unit *u, const dw_val *v);
bool dw_addr(dwarf *d, const dw_unit *u, const dw_val *v, uint64_t *out);
/* Entry idx of the unit's .debug_addr table (DW_FORM_addrx and range list indices). */
bool dw_addr_index(dwarf *d, const dw_unit *u, uint64_t idx, uint64_t *out);
bool dw_const(const dw_val *v, uint64_t *out);
/* A reference's target: the DWARF it lives in (d or d->alt) and its .debug_info offset. */
dwarf *dw_ref(dwarf *d, const dw_unit *u, const dw_val *v, uint64_t *off);
/* Calls fn for each non-empty address range [lo, hi) of a DIE (low/high pc or DW_AT_ranges).
 * Returns false if fn did (to stop early on allocation failure). In dwarf_ranges.c. */
typedef bool (*dw_range_fn)(void *ctx, uint64_t lo, uint64_t hi);
bool dw_die_ranges(dwarf *d, const dw_unit *u, const dw_die *die, dw_range_fn fn, void *ctx);
/* Storage that lives as long as d; NULL on allocation failure. */
char *dw_pool_alloc(dwarf *d, size_t n);
/* The concatenation of a, b and c (any may be NULL) in pool storage, or NULL. */
char *dw_pool_str(dwarf *d, const char *a, const char *b, const char *c);

/* ---- line tables (dwarf_line.c) ---- */

typedef struct dw_row {
    uint64_t addr;
    uint32_t file; /* DW_ROW_END marks the end of a sequence */
    uint32_t line;
} dw_row;

#define DW_ROW_END UINT32_MAX

typedef struct dw_linefile {
    const char *name, *dir;
    const char *path; /* composed on first use */
} dw_linefile;

/* The unit's line table (indexed on first use), or NULL if it has none. */
dw_lines *dw_unit_lines(dwarf *d, dw_unit *u);
/* The row covering addr into *row; false if none does. */
bool dw_lines_find(const dw_lines *l, uint64_t addr, dw_row *row);
/* Calls fn for the address range of each sequence, in address order; false if fn did. */
bool dw_lines_ranges(const dw_lines *l, dw_range_fn fn, void *ctx);
/* The full path of a file entry, or NULL if the index is out of range. */
const char *dw_lines_path(dwarf *d, dw_lines *l, uint64_t file);
void dw_lines_free(dw_lines *l);

/* ---- address -> unit (dwarf_index.c) ---- */

typedef struct dw_cu_range {
    uint64_t lo, hi;
    uint64_t unit_off; /* the unit's header offset in .debug_info */
} dw_cu_range;

/* Fills up to max units whose ranges contain addr; returns how many. */
int dw_units_for(dwarf *d, uint64_t addr, dw_unit **out, int max);
void dw_index_free(dwarf *d);

/* ---- function and inline tree (dwarf_funcs.c) ---- */

void dw_tree_free(dw_tree *t);

#endif
