/* Unit conversion and value formatting with the exact arithmetic and text of pprof's
 * measurement package, so that every number in a report reads as go tool pprof prints it. */
#include "analyze/measure.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gofmt.h"
#include "core/merge.h"

typedef struct unit_def {
    const char *name;        /* canonical spelling used in output */
    const char *aliases[4];  /* lower-case spellings accepted on input, NULL-terminated */
    double factor;           /* size of this unit in the family's base unit */
} unit_def;

typedef struct unit_family {
    const unit_def *units;
    size_t n;
    const char *default_name; /* unit reported when the target is not of this family */
    double default_factor;
} unit_family;

static const unit_def memory_units[] = {
    {"B", {"b", "byte"}, 1},
    {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
    {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
    {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
    {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
    {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0},
};

/* "\xce\xbcs" is the Greek-mu spelling; pprof lists it though its sniffing never reaches it
 * (three bytes, so the trailing 's' is trimmed first) — kept for the same behaviour. */
static const unit_def time_units[] = {
    {"ns", {"ns", "nanosecond"}, 1},
    {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
    {"ms", {"ms", "millisecond"}, 1e6},
    {"s", {"s", "sec", "second"}, 1e9},
    {"hrs", {"hour", "hr"}, 3600e9},
};

static const unit_def gcu_units[] = {
    {"n*GCU", {"nanogcu"}, 1e-9},  {"u*GCU", {"microgcu"}, 1e-6}, {"m*GCU", {"milligcu"}, 1e-3},
    {"GCU", {"gcu"}, 1},           {"k*GCU", {"kilogcu"}, 1e3},   {"M*GCU", {"megagcu"}, 1e6},
    {"G*GCU", {"gigagcu"}, 1e9},   {"T*GCU", {"teragcu"}, 1e12},  {"P*GCU", {"petagcu"}, 1e15},
};

#define NUNITS(a) (sizeof(a) / sizeof((a)[0]))

static const unit_family memory = {memory_units, NUNITS(memory_units), "B", 1};
static const unit_family timing = {time_units, NUNITS(time_units), "s", 1e9};
static const unit_family gcu = {gcu_units, NUNITS(gcu_units), "GCU", 1};

/* Finds the unit for a spelling: ASCII lower-cased, and a plural 's' dropped when the
 * spelling is longer than two bytes (so "ms" stays "ms" but "bytes" becomes "byte"). */
static const unit_def *sniff(const unit_family *fam, const char *spelling)
{
    char low[64];
    size_t n = strlen(spelling);
    if (n >= sizeof low)
        return NULL; /* longer than any alias */
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)spelling[i]);
    low[n] = 0;
    if (n > 2 && low[n - 1] == 's')
        low[n - 1] = 0;
    for (size_t u = 0; u < fam->n; u++)
        for (const char *const *a = fam->units[u].aliases; *a; a++)
            if (strcmp(*a, low) == 0)
                return &fam->units[u];
    return NULL;
}

/* Picks the largest unit in which the value is at least 1; false when none is. */
static bool auto_scale(const unit_family *fam, double v, double *out, const char **unit)
{
    double f = 0;
    for (size_t u = 0; u < fam->n; u++) {
        if (fam->units[u].factor >= f && v / fam->units[u].factor >= 1.0) {
            f = fam->units[u].factor;
            *unit = fam->units[u].name;
        }
    }
    if (f == 0)
        return false;
    *out = v / f;
    return true;
}

/* Converts within one family; false when from is not a unit of that family. */
static bool convert(const unit_family *fam, int64_t value, const char *from, const char *to,
                    double *out, const char **unit)
{
    const unit_def *fu = sniff(fam, from);
    if (!fu)
        return false;
    double v = (double)value * fu->factor;
    if (strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0) {
        if (auto_scale(fam, v, out, unit))
            return true;
        *out = v / fam->default_factor;
        *unit = fam->default_name;
        return true;
    }
    const unit_def *tu = sniff(fam, to);
    if (!tu) {
        *out = v / fam->default_factor;
        *unit = fam->default_name;
        return true;
    }
    *out = v / tu->factor;
    *unit = tu->name;
    return true;
}

/* The scaling itself; *unit points to static text or to to_unit. */
static double scale(int64_t value, const char *from, const char *to, const char **unit)
{
    /* Negative values scale as their magnitude; INT64_MIN has none and falls through. */
    if (value < 0 && value != INT64_MIN) {
        double v = scale(-value, from, to, unit);
        return -v;
    }
    double out;
    if (convert(&memory, value, from, to, &out, unit) || convert(&timing, value, from, to, &out, unit) ||
        convert(&gcu, value, from, to, &out, unit))
        return out;
    /* Units outside the families: the value stays, and generic units are not shown. */
    static const char *const silent[] = {"count", "sample", "unit", "minimum", "auto"};
    *unit = to;
    for (size_t i = 0; i < NUNITS(silent); i++)
        if (strcmp(to, silent[i]) == 0)
            *unit = "";
    return (double)value;
}

double np_measure_scale(int64_t value, const char *from_unit, const char *to_unit, char *unit_out,
                        size_t cap)
{
    const char *unit = "";
    double v = scale(value, from_unit ? from_unit : "", to_unit ? to_unit : "", &unit);
    if (unit_out && cap)
        snprintf(unit_out, cap, "%s", unit);
    return v;
}

void np_measure_scaled_label(np_buf *b, int64_t value, const char *from_unit, const char *to_unit)
{
    const char *unit = "";
    double v = scale(value, from_unit ? from_unit : "", to_unit ? to_unit : "", &unit);
    char num[400];
    snprintf(num, sizeof num, "%.2f", v);
    size_t n = strlen(num);
    if (n >= 3 && strcmp(num + n - 3, ".00") == 0)
        num[n - 3] = 0;
    if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0) {
        np_buf_puts(b, "0");
        return;
    }
    np_buf_puts(b, num);
    np_buf_puts(b, unit);
}

void np_measure_label(np_buf *b, int64_t value, const char *unit)
{
    np_measure_scaled_label(b, value, unit, "auto");
}

/* C's %g with a precision trims trailing zeros and switches to exponents below 1e-4 exactly
 * as Go's %.2g does for the ratios that reach it (always below 1), so printf is used. */
void np_measure_percentage(np_buf *b, int64_t value, int64_t total)
{
    double ratio = 0;
    if (total != 0)
        ratio = fabs((double)value / (double)total) * 100;
    if (ratio >= 99.95 && ratio <= 100.05)
        np_buf_puts(b, "  100%");
    else if (ratio >= 1.0)
        np_buf_printf(b, "%5.2f%%", ratio);
    else
        np_buf_printf(b, "%5.2g%%", ratio);
}

/* A value type's type name with one trailing 's' removed, compared with another's. */
static bool same_type_name(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na && a[na - 1] == 's')
        na--;
    if (nb && b[nb - 1] == 's')
        nb--;
    return na == nb && memcmp(a, b, na) == 0;
}

static bool same_family(const unit_family *fam, const char *u1, const char *u2)
{
    return sniff(fam, u1) && sniff(fam, u2);
}

static bool compatible_types(const np_value_type *a, const np_value_type *b)
{
    if (!same_type_name(a->type, b->type))
        return false;
    return strcmp(a->unit, b->unit) == 0 || same_family(&timing, a->unit, b->unit) ||
           same_family(&memory, a->unit, b->unit) || same_family(&gcu, a->unit, b->unit);
}

/* CommonValueType: the finest of a set of compatible types; *out NULL for fewer than two.
 * The message shows the types as Go prints the struct, with its two zero index fields. */
static int common_type(const np_value_type *const *ts, size_t n, const np_value_type **out, np_err *err)
{
    *out = NULL;
    if (n <= 1)
        return 0;
    const np_value_type *min = ts[0];
    for (size_t i = 1; i < n; i++) {
        if (!compatible_types(min, ts[i]))
            return np_fail(err, "incompatible types: {%s %s 0 0} {%s %s 0 0}", min->type, min->unit,
                           ts[i]->type, ts[i]->unit);
        const char *u;
        if (scale(1, ts[i]->unit, min->unit, &u) < 1)
            min = ts[i];
    }
    *out = min;
    return 0;
}

/* The common types are found first for everything, then applied, so no profile changes
 * when any type is incompatible. */
static int find_common_types(np_profile **profiles, size_t n, np_value_type *period,
                             bool *has_period, np_value_type *samples, bool *has_sample, np_err *err)
{
    const np_value_type **ts = np_xcalloc(n, sizeof *ts);
    const np_value_type *common;
    for (size_t j = 0; j < n; j++)
        ts[j] = &profiles[j]->period_type;
    int rc = common_type(ts, n, &common, err);
    if (rc < 0) {
        np_err inner = *err;
        np_fail(err, "period type: %s", inner.msg);
    } else {
        *has_period = common != NULL;
        if (common)
            *period = *common;
    }
    size_t ns = profiles[0]->n_sample_type;
    /* The period type is checked before the sample type count, as pprof does. */
    for (size_t j = 1; rc == 0 && j < n; j++)
        if (profiles[j]->n_sample_type != ns)
            rc = np_fail(err, "inconsistent samples type count: %zu != %zu", ns,
                         profiles[j]->n_sample_type);
    for (size_t i = 0; rc == 0 && i < ns; i++) {
        for (size_t j = 0; j < n; j++)
            ts[j] = &profiles[j]->sample_type[i];
        rc = common_type(ts, n, &common, err);
        if (rc < 0) {
            np_err inner = *err;
            np_fail(err, "sample types: %s", inner.msg);
        } else {
            has_sample[i] = common != NULL;
            if (common)
                samples[i] = *common;
        }
    }
    free(ts);
    return rc;
}

/* Rewrites one profile's period and sample values into the common units. */
static void apply_common_types(np_profile *p, const np_value_type *period, bool has_period,
                               const np_value_type *samples, const bool *has_sample)
{
    const char *u;
    if (has_period) {
        double v = scale(p->period, p->period_type.unit, period->unit, &u);
        p->period = np_go_f2i(v);
        p->period_type.unit = np_profile_str(p, period->unit);
    }
    double *ratios = np_xcalloc(p->n_sample_type + 1, sizeof *ratios);
    for (size_t i = 0; i < p->n_sample_type; i++) {
        ratios[i] = 1;
        if (!has_sample[i])
            continue;
        ratios[i] = scale(1, p->sample_type[i].unit, samples[i].unit, &u);
        p->sample_type[i].unit = np_profile_str(p, samples[i].unit);
    }
    np_scale_n(p, ratios);
    free(ratios);
}

int np_measure_scale_profiles(np_profile **profiles, size_t n, np_err *err)
{
    if (n == 0)
        return 0;
    size_t ns = profiles[0]->n_sample_type;
    np_value_type period = {"", ""};
    bool has_period = false;
    np_value_type *samples = np_xcalloc(ns + 1, sizeof *samples);
    bool *has_sample = np_xcalloc(ns + 1, sizeof *has_sample);
    int rc = find_common_types(profiles, n, &period, &has_period, samples, has_sample, err);
    /* The chosen types point into the profiles being rewritten: copy the strings first. */
    char *period_unit = np_xstrdup(period.unit ? period.unit : "");
    char **units = np_xcalloc(ns + 1, sizeof *units);
    for (size_t i = 0; i < ns; i++)
        units[i] = np_xstrdup(has_sample[i] ? samples[i].unit : "");
    period.unit = period_unit;
    for (size_t i = 0; i < ns; i++)
        samples[i].unit = units[i];
    for (size_t j = 0; rc == 0 && j < n; j++)
        apply_common_types(profiles[j], &period, has_period, samples, has_sample);
    for (size_t i = 0; i < ns; i++)
        free(units[i]);
    free(units);
    free(period_unit);
    free(samples);
    free(has_sample);
    return rc;
}
