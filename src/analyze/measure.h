/* Units and value formatting as pprof's measurement package: scaling between units
 * (bytes/kB/MB..., nanoseconds/ms/s..., count), auto-scaling for display, percentages,
 * and making profiles with convertible units mergeable. */
#ifndef NP_MEASURE_H
#define NP_MEASURE_H

#include <stdint.h>
#include <stddef.h>

#include "core/profile.h"

/* measurement.Scale: scales value from from_unit to to_unit, where to_unit is "minimum" or
 * "auto" (the largest unit in which the value is at least 1) or a unit name/alias like "kb",
 * "ms". Returns the scaled value and writes the resulting canonical unit ("kB", "ms", ...) into
 * unit_out (capacity cap). A target of another family gives the source family's base unit; an
 * unknown source unit leaves the value as is with unit to_unit, or "" when to_unit is "count",
 * "sample", "unit", "minimum" or "auto". */
double np_measure_scale(int64_t value, const char *from_unit, const char *to_unit,
                        char *unit_out, size_t cap);
/* measurement.Label(value, unit): automatically scaled, e.g. "1.50MB", "10ms". */
void np_measure_label(np_buf *b, int64_t value, const char *unit);
/* measurement.ScaledLabel(value, from, to). */
void np_measure_scaled_label(np_buf *b, int64_t value, const char *from_unit, const char *to_unit);
/* measurement.Percentage(value, total): "12.34%", "  100%", "0%" as pprof prints them. */
void np_measure_percentage(np_buf *b, int64_t value, int64_t total);
/* measurement.ScaleProfiles: converts the profiles' sample and period values to common units so
 * they can be merged; error when types are incompatible. */
int np_measure_scale_profiles(np_profile **profiles, size_t n, np_err *err);

#endif
