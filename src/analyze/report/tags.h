/* The -tags report (pprof's printTags): every label key with the total of the chosen sample
 * value over the samples carrying it, then each of its values with share and percentage. */
#ifndef NP_REPORT_TAGS_H
#define NP_REPORT_TAGS_H

#include <stddef.h>

#include "analyze/filter.h"
#include "core/profile.h"
#include "analyze/report/report.h"

/* Appends the report for p, whose filters (-focus..., -tagfocus/-tagignore, -tagshow/-taghide)
 * the caller has already applied. sample_index: the value counted (-sample_index), whose unit
 * is sample_unit (NULL: the profile's sample type unit). output_unit: -unit (NULL or "" means
 * "minimum"). num_label_units: np_num_label_units of the profile as it was before filtering
 * (may be NULL). pprof's -mean and -divide_by do not change this report. */
void np_tags_report(const np_profile *p, size_t sample_index, const char *sample_unit,
                    const char *output_unit, const np_key_unit *num_label_units, np_buf *out);
/* The same for a prepared report: r->p, r->value_index, r->sample_unit, r->output_unit and
 * r->num_label_units. Never fails; err is for the common report signature. */
int np_report_tags(np_report *r, np_buf *out, np_err *err);

#endif
