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

#endif
