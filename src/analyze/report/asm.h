/* The functions of the profile's binaries that match a report's regexp, disassembled and
 * annotated with the profile's values per instruction (pprof's symbolsFromBinaries,
 * nodesPerSymbol and annotateAssembly), for -disasm and -weblist. Private to the report folder. */
#ifndef NP_ASM_H
#define NP_ASM_H

#include <stdint.h>

#include "analyze/graph.h"
#include "analyze/report/objdump.h"
#include "analyze/report/report.h"

/* One instruction with the values of the samples at its addresses. file is the base name. */
typedef struct np_asm_row {
    uint64_t addr;
    const char *text, *function, *file;
    int64_t line, flat, cum;
} np_asm_row;

typedef struct np_asm_routine {
    const char *name, *objfile; /* the symbol as matched; the binary */
    uint64_t start, end;        /* file addresses, [start, end) as pprof takes a symbol */
    int64_t flat, cum;          /* the routine's totals */
    np_asm_row *rows;
    size_t n;
} np_asm_routine;

/* Routines sorted by name, then address; strings live in the arena. */
typedef struct np_asm_set {
    np_asm_routine *v;
    size_t n, cap;
    np_arena arena;
} np_asm_set;

/* Fills out from g (a graph of r at address granularity) for r->symbol; a binary that cannot
 * be opened is named on stderr. -1 with err when no function matches ("no matches found for regexp: ...") or objdump cannot run. */
int np_asm_collect(np_report *r, const np_graph *g, np_asm_set *out, np_err *err);
void np_asm_free(np_asm_set *s);

#endif
