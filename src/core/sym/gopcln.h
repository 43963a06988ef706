/* Go's own line table (.gopclntab, the runtime's pclntab): function names and the file and line
 * of each code address, read as Go's debug/gosym reads them, which is what go tool pprof names
 * a Go binary's addresses from (DWARF only when the table has no function there). */
#ifndef NP_GOPCLN_H
#define NP_GOPCLN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct np_gopcln np_gopcln;

/* Reads a pclntab of Go 1.2, 1.16, 1.18 or 1.20 layout; text_start is where the binary's text
 * begins (1.18 and later store code addresses as offsets from it). data must outlive the
 * result. NULL when data is no such table, or a malformed one (gosym then has no functions). */
np_gopcln *np_gopcln_open(const uint8_t *data, size_t len, uint64_t text_start);
void np_gopcln_close(np_gopcln *t);
/* Number of functions in the table. */
size_t np_gopcln_count(const np_gopcln *t);

/* gosym's Table.PCToLine: the function whose [entry, end) holds pc, and the file and line the
 * table gives pc (of the innermost inlined call there; -1 and "" when its tables do not say).
 * false when no function holds pc. Names point into the table's data. */
bool np_gopcln_lookup(const np_gopcln *t, uint64_t pc, const char **func, const char **file,
                      int64_t *line);

/* Where a lookup left off in one function's pc-value tables: lookups of ascending pcs (a
 * profile's addresses, sorted) resume there instead of rerunning each table from the
 * function's entry. Zero-initialize before the first use. */
typedef struct np_gopcln_run {
    uint64_t at, pc; /* next byte to read; end of the range val covers */
    int32_t val;
    uint8_t state;   /* fresh, going, or failed (the table ended or could not be read) */
} np_gopcln_run;

typedef struct np_gopcln_cursor {
    bool valid, has_line, has_file;
    size_t slot;
    uint64_t rec, entry, end, last_pc;
    const char *func;
    np_gopcln_run line, file;
    int32_t fno; /* the file number last named, and its name */
    const char *fname;
} np_gopcln_cursor;

/* np_gopcln_lookup's answer for pc, the same whatever c holds; fastest when pcs ascend. */
bool np_gopcln_lookup_at(const np_gopcln *t, np_gopcln_cursor *c, uint64_t pc, const char **func,
                         const char **file, int64_t *line);

#endif
