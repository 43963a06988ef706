/* What -weblist shows (pprof's sourcePrinter): the source lines of the functions matching the
 * report's regexp, each with the instructions that belong to it and their values, worked out at
 * address granularity. Private to the report folder. */
#ifndef NP_SRCASM_H
#define NP_SRCASM_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/report/report.h"

/* One instruction: text NULL when no disassembly is known (its binary or objdump missing). */
typedef struct np_srcasm_inst {
    uint64_t addr, obj_addr, length;
    const char *text, *file;
    int64_t line, flat, cum;
} np_srcasm_inst;

/* One inlined call around an instruction, outermost first, with its source line ("" unknown). */
typedef struct np_srcasm_call {
    const char *file, *text;
    int64_t line;
} np_srcasm_call;

/* An instruction shown under a source line, with the inlined calls between the line's function
 * and the instruction. */
typedef struct np_srcasm_use {
    const np_srcasm_inst *inst;
    const np_srcasm_call *calls;
    size_t n_calls;
    bool starts_block; /* not right after the previous instruction shown */
} np_srcasm_use;

typedef struct np_srcasm_sink {
    void *ctx;
    /* A function's lines of one file, with its totals. */
    void (*function)(void *ctx, const char *name, const char *file, int64_t flat, int64_t cum);
    /* One source line (text not NUL-terminated); n == 0 for a line without instructions. */
    void (*line)(void *ctx, int64_t lineno, int64_t flat, int64_t cum, const char *text, size_t len,
                 const np_srcasm_use *uses, size_t n);
} np_srcasm_sink;

/* Walks r's profile for r->symbol, calling sink per function and line, files by name. Binaries
 * are found as for symbolization; when one cannot be opened or objdump cannot run, its
 * addresses show as source lines only and notes says why (one line each, "" when none; the
 * caller frees it). -1 with err when nothing matches. */
int np_srcasm_walk(np_report *r, const np_srcasm_sink *sink, np_buf *notes, np_err *err);

#endif
