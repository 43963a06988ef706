/* binutils' objdump as the disassembler of -disasm and -weblist: runs it over one address
 * range of a binary and reads its listing (instructions with the function, file and line
 * that -l names above them). Private to the report folder. */
#ifndef NP_OBJDUMP_H
#define NP_OBJDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

typedef struct np_objdump_inst {
    uint64_t addr;
    const char *text;     /* objdump's text after "addr:", never NULL */
    const char *function; /* from the "name():" line above it, "" when none */
    const char *file;     /* from the "path:line" line above it, "" when none */
    int64_t line;
} np_objdump_inst;

/* A listing; strings live in the arena. np_objdump_free releases it all. */
typedef struct np_objdump {
    np_objdump_inst *v;
    size_t n, cap;
    np_arena arena;
} np_objdump;

/* Appends the instructions of objdump's text (len bytes, any content) to out. Lines that are
 * neither an instruction, a "name():" nor a "path:line" line forget the function and place. */
void np_objdump_parse(const char *text, size_t len, np_objdump *out);

/* Runs objdump -d -l --demangle --no-show-raw-insn over [start, stop) of file (Intel syntax
 * when intel) and parses its output into out. -1 with err when objdump cannot be started
 * (pprof's "cannot disasm: no objdump tool available") or fails. */
int np_objdump_run(const char *file, uint64_t start, uint64_t stop, bool intel, np_objdump *out, np_err *err);

/* The same without source places (no line tables read: a much shorter run). */
int np_objdump_run_bare(const char *file, uint64_t start, uint64_t stop, bool intel, np_objdump *out, np_err *err);

void np_objdump_free(np_objdump *d);

/* One range [start, stop) of a binary and the listing that receives its instructions. */
typedef struct np_objdump_range {
    uint64_t start, stop;
    np_objdump *out;
} np_objdump_range;

/* Fills each range's out with what np_objdump_run over that range alone would list, running
 * objdump once over each group of nearby ranges (objdump_batch.c). -1 with err as
 * np_objdump_run. */
int np_objdump_run_ranges(const char *file, np_objdump_range *v, size_t n, bool intel, np_err *err);

#endif
