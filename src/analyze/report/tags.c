/* The -tags report: label values summed per key, sorted and laid out right-aligned in columns
 * exactly as pprof's printTags does through Go's text/tabwriter. */
#include "analyze/report/tags.h"

#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "core/gofmt.h"
#include "analyze/measure.h"

/* One (key, value) pair and the summed sample value of the samples carrying it. */
typedef struct tag_entry {
    uint32_t key;   /* index into tag_table.keys */
    char *value;
    int64_t sum;
} tag_entry;

typedef struct tag_table {
    np_hmap key_index, pair_index;
    char **keys;
    size_t n_keys, cap_keys;
    tag_entry *entries;
    size_t n_entries, cap_entries;
    np_buf scratch;
} tag_table;

static uint32_t key_of(tag_table *t, const char *key)
{
    bool found;
    uint32_t k = np_hmap_intern(&t->key_index, key, strlen(key), (uint32_t)t->n_keys, &found);
    if (!found)
        *NP_PUSH(t->keys, t->n_keys, t->cap_keys) = np_xstrdup(key);
    return k;
}

/* Adds v to the pair's sum (wrapping on overflow as Go's int64 does). */
static void add_pair(tag_table *t, const char *key, const char *value, int64_t v)
{
    uint32_t k = key_of(t, key);
    t->scratch.len = 0;
    np_buf_add(&t->scratch, &k, sizeof k);
    np_buf_puts(&t->scratch, value);
    bool found;
    uint32_t e = np_hmap_intern(&t->pair_index, t->scratch.data, t->scratch.len, (uint32_t)t->n_entries, &found);
    if (!found) {
        tag_entry *te = NP_PUSH(t->entries, t->n_entries, t->cap_entries);
        te->key = k;
        te->value = np_xstrdup(value);
        te->sum = 0;
    }
    t->entries[e].sum = (int64_t)((uint64_t)t->entries[e].sum + (uint64_t)v);
}

static void collect(tag_table *t, const np_profile *p, size_t index, const char *output_unit,
                    const np_key_unit *units)
{
    np_buf num = {0};
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        int64_t v = s->value[index];
        for (uint32_t j = 0; j < s->n_label; j++) {
            const np_label *l = &s->label[j];
            if (l->str[0]) {
                add_pair(t, l->key, l->str, v);
                continue;
            }
            /* Numbers are shown in the key's unit, scaled as the report's output unit asks. */
            num.len = 0;
            np_measure_scaled_label(&num, l->num, np_num_label_unit(units, l->key), output_unit);
            add_pair(t, l->key, np_buf_cstr(&num), v);
        }
    }
    np_buf_free(&num);
}

/* Go's negation wraps, so the magnitude of INT64_MIN stays negative. */
static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Larger magnitudes first, then by value text. */
static int cmp_entry(const void *a, const void *b)
{
    const tag_entry *x = *(const tag_entry *const *)a, *y = *(const tag_entry *const *)b;
    if (x->sum != y->sum) {
        int64_t ax = np_go_abs64(x->sum), ay = np_go_abs64(y->sum);
        if (ax != ay)
            return ax > ay ? -1 : 1;
    }
    return strcmp(x->value, y->value);
}

/* ---- A right-aligning text/tabwriter (minwidth 0, padding 1, pad ' '): cells end at '\t' or
 * '\v', lines at '\n' or '\f'; the text after a line's last cell terminator belongs to no
 * column. A column's width is its widest cell (in runes) plus one, over each run of
 * consecutive lines that have that column. Text between two 0xff bytes is copied as is, its
 * terminators included, and counted without the 0xff bytes. ---- */

typedef struct tw_cell {
    size_t off, len, width;
} tw_cell;

typedef struct tw_line {
    tw_cell *cells;
    size_t n, cap;
} tw_line;

typedef struct tabwriter {
    const char *text;
    tw_line *lines;
    size_t n_lines, cap_lines;
    np_buf *out;
} tabwriter;

static tw_line *tw_new_line(tabwriter *tw)
{
    tw_line *ln = NP_PUSH(tw->lines, tw->n_lines, tw->cap_lines);
    memset(ln, 0, sizeof *ln);
    return ln;
}

static void tw_end_cell(tabwriter *tw, size_t off, size_t len, size_t width)
{
    tw_line *ln = &tw->lines[tw->n_lines - 1];
    tw_cell *c = NP_PUSH(ln->cells, ln->n, ln->cap);
    c->off = off;
    c->len = len;
    c->width = width;
}

/* Splits text into lines of cells as Go's Writer does while text is written, then flushed:
 * a final unterminated cell is kept, and a line ended by the final newline is not written. */
static void tw_split(tabwriter *tw, const char *text, size_t len)
{
    tw->text = text;
    tw_new_line(tw);
    size_t cell = 0, pos = 0, width = 0;
    bool escaped = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == 0xff) {
            width += np_go_rune_count(text + pos, (escaped ? i + 1 : i) - pos);
            if (escaped)
                width -= 2;
            pos = escaped ? i + 1 : i;
            escaped = !escaped;
            continue;
        }
        if (escaped || (ch != '\t' && ch != '\v' && ch != '\n' && ch != '\f'))
            continue;
        tw_end_cell(tw, cell, i - cell, width + np_go_rune_count(text + pos, i - pos));
        cell = pos = i + 1;
        width = 0;
        if (ch == '\n' || ch == '\f')
            tw_new_line(tw);
    }
    if (cell < len) {
        width += np_go_rune_count(text + pos, len - pos);
        /* (a final cell is never padded, so its width only needs to be sane) */
        tw_end_cell(tw, cell, len - cell, escaped && width >= 2 ? width - 2 : width);
    }
}

static void pad(np_buf *out, size_t n)
{
    while (n-- > 0)
        np_buf_putc(out, ' ');
}

/* Every line but the very last ends with a newline ('\f' included, as Go writes it). */
static void tw_write_lines(tabwriter *tw, size_t l0, size_t l1, const size_t *widths, size_t nw)
{
    for (size_t i = l0; i < l1; i++) {
        const tw_line *ln = &tw->lines[i];
        for (size_t j = 0; j < ln->n; j++) {
            const tw_cell *c = &ln->cells[j];
            if (j < nw && widths[j] > c->width)
                pad(tw->out, widths[j] - c->width);
            np_buf_add(tw->out, tw->text + c->off, c->len);
        }
        if (i + 1 < tw->n_lines)
            np_buf_putc(tw->out, '\n');
    }
}

/* Whether line i has a terminated cell in column col (the last cell never is). */
static bool has_column(const tabwriter *tw, size_t i, size_t col)
{
    return tw->lines[i].n > col + 1;
}

/* Go's recursive column-block layout: widths[0..nw) are fixed by enclosing blocks. */
static void tw_format(tabwriter *tw, size_t l0, size_t l1, size_t *widths, size_t nw)
{
    for (size_t i = l0; i < l1; i++) {
        if (!has_column(tw, i, nw))
            continue;
        tw_write_lines(tw, l0, i, widths, nw);
        l0 = i;
        size_t width = 0;
        for (; i < l1 && has_column(tw, i, nw); i++)
            if (tw->lines[i].cells[nw].width + 1 > width)
                width = tw->lines[i].cells[nw].width + 1;
        widths[nw] = width;
        tw_format(tw, l0, i, widths, nw + 1);
        l0 = i;
    }
    tw_write_lines(tw, l0, l1, widths, nw);
}

static void tabwrite(const np_buf *in, np_buf *out)
{
    tabwriter tw = {.out = out};
    tw_split(&tw, in->data ? in->data : "", in->len);
    size_t max_cells = 1;
    for (size_t i = 0; i < tw.n_lines; i++)
        max_cells = tw.lines[i].n > max_cells ? tw.lines[i].n : max_cells;
    size_t *widths = np_xcalloc(max_cells, sizeof *widths);
    tw_format(&tw, 0, tw.n_lines, widths, 0);
    free(widths);
    for (size_t i = 0; i < tw.n_lines; i++)
        free(tw.lines[i].cells);
    free(tw.lines);
}

/* ---- the report ---- */

static void put_scaled(np_buf *b, int64_t v, const char *sample_unit, const char *output_unit)
{
    char unit[64];
    double f = np_measure_scale(v, sample_unit, output_unit, unit, sizeof unit);
    np_buf_printf(b, "%.1f%s", f, unit);
}

static void print_key(np_buf *b, const tag_table *t, uint32_t k, const char *sample_unit,
                      const char *output_unit)
{
    tag_entry **list = np_xcalloc(t->n_entries + 1, sizeof *list);
    size_t n = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < t->n_entries; i++) {
        if (t->entries[i].key != k)
            continue;
        list[n++] = &t->entries[i];
        total += (uint64_t)t->entries[i].sum;
    }
    qsort(list, n, sizeof *list, cmp_entry);
    np_buf_printf(b, "%s:\t Total ", t->keys[k]);
    put_scaled(b, (int64_t)total, sample_unit, output_unit);
    np_buf_putc(b, '\n');
    for (size_t i = 0; i < n; i++) {
        np_buf_puts(b, " \t");
        put_scaled(b, list[i]->sum, sample_unit, output_unit);
        if ((int64_t)total > 0) {
            np_buf_puts(b, " (");
            np_measure_percentage(b, list[i]->sum, (int64_t)total);
            np_buf_putc(b, ')');
        }
        np_buf_printf(b, ":\t %s\n", list[i]->value);
    }
    np_buf_putc(b, '\n');
    free(list);
}

void np_tags_report(const np_profile *p, size_t sample_index, const char *sample_unit,
                    const char *output_unit, const np_key_unit *num_label_units, np_buf *out)
{
    if (!output_unit || !output_unit[0])
        output_unit = "minimum";
    if (!sample_unit)
        sample_unit = sample_index < p->n_sample_type ? p->sample_type[sample_index].unit : "";
    tag_table t;
    memset(&t, 0, sizeof t);
    np_hmap_init(&t.key_index, 16);
    np_hmap_init(&t.pair_index, 64);
    if (sample_index < p->n_sample_type)
        collect(&t, p, sample_index, output_unit, num_label_units);
    /* Keys sorted by name; each key's block ends with an empty line. */
    char **order = np_xcalloc(t.n_keys + 1, sizeof *order);
    for (size_t i = 0; i < t.n_keys; i++)
        order[i] = t.keys[i];
    qsort(order, t.n_keys, sizeof *order, cmp_name);
    np_buf text = {0};
    for (size_t i = 0; i < t.n_keys; i++)
        print_key(&text, &t, np_hmap_get(&t.key_index, order[i], strlen(order[i])), sample_unit, output_unit);
    tabwrite(&text, out);
    np_buf_free(&text);
    free(order);
    for (size_t i = 0; i < t.n_keys; i++)
        free(t.keys[i]);
    for (size_t i = 0; i < t.n_entries; i++)
        free(t.entries[i].value);
    free(t.keys);
    free(t.entries);
    np_buf_free(&t.scratch);
    np_hmap_free(&t.key_index);
    np_hmap_free(&t.pair_index);
}

int np_report_tags(np_report *r, np_buf *out, np_err *err)
{
    (void)err;
    size_t index = r->value_index >= 0 ? (size_t)r->value_index : 0;
    np_tags_report(r->p, index, r->sample_unit, r->output_unit, r->num_label_units, out);
    return 0;
}
