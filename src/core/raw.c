/* The `-raw` text of a profile, laid out exactly as pprof's Profile.String(). */
#include "core/gofmt.h"
#include "core/profile.h"

#include <stdlib.h>
#include <string.h>

typedef struct key_group {
    const char *key;
    np_buf text;
} key_group;

static int group_cmp(const void *a, const void *b)
{
    return strcmp(((const key_group *)a)->text.data, ((const key_group *)b)->text.data);
}

/* Groups the sample's labels of one kind by key ("key:[v1 v2]"), sorted as strings. */
static void put_label_line(np_buf *b, const np_sample *s, bool numeric)
{
    key_group *g = np_xcalloc(s->n_label + 1, sizeof *g);
    size_t n = 0;
    for (uint32_t i = 0; i < s->n_label; i++) {
        const np_label *l = &s->label[i];
        if ((l->str[0] == 0) != numeric)
            continue;
        size_t k = 0;
        while (k < n && strcmp(g[k].key, l->key) != 0)
            k++;
        if (k == n)
            g[n++].key = l->key;
    }
    if (n == 0) {
        free(g);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        /* pprof prints units only when every value of the key has one. */
        bool all_units = true;
        for (uint32_t i = 0; i < s->n_label; i++)
            if (numeric && s->label[i].str[0] == 0 && strcmp(s->label[i].key, g[k].key) == 0 &&
                !s->label[i].num_unit[0])
                all_units = false;
        np_buf_printf(&g[k].text, "%s:[", g[k].key);
        bool first = true;
        for (uint32_t i = 0; i < s->n_label; i++) {
            const np_label *l = &s->label[i];
            if ((l->str[0] == 0) != numeric || strcmp(l->key, g[k].key) != 0)
                continue;
            if (!first)
                np_buf_putc(&g[k].text, ' ');
            first = false;
            if (!numeric)
                np_buf_puts(&g[k].text, l->str);
            else if (all_units)
                np_buf_printf(&g[k].text, "%lld %s", (long long)l->num, l->num_unit);
            else
                np_buf_printf(&g[k].text, "%lld", (long long)l->num);
        }
        np_buf_putc(&g[k].text, ']');
        np_buf_cstr(&g[k].text);
    }
    qsort(g, n, sizeof *g, group_cmp);
    np_buf_puts(b, "\n                ");
    for (size_t k = 0; k < n; k++) {
        if (k)
            np_buf_putc(b, ' ');
        np_buf_add(b, g[k].text.data, g[k].text.len);
        np_buf_free(&g[k].text);
    }
    free(g);
}

static void put_hex(np_buf *b, uint64_t v)
{
    if (v)
        np_buf_printf(b, "%#llx", (unsigned long long)v);
    else
        np_buf_puts(b, "0x0");
}

static void put_location(np_buf *b, const np_profile *p, const np_location *l)
{
    np_buf head = {0};
    np_buf_printf(&head, "%6llu: ", (unsigned long long)l->id);
    put_hex(&head, l->address);
    np_buf_putc(&head, ' ');
    if (l->mapping != NP_NONE)
        np_buf_printf(&head, "M=%llu ", (unsigned long long)p->mapping[l->mapping].id);
    if (l->is_folded)
        np_buf_puts(&head, "[F] ");
    if (l->n_line == 0)
        np_buf_add(b, head.data, head.len);
    for (uint32_t i = 0; i < l->n_line; i++) {
        if (i)
            np_buf_puts(b, "\n             ");
        else
            np_buf_add(b, head.data, head.len);
        const np_line *ln = &l->line[i];
        if (ln->func == NP_NONE) {
            np_buf_puts(b, "??");
            continue;
        }
        const np_function *f = &p->function[ln->func];
        np_buf_printf(b, "%s %s:%lld s=%lld", f->name, f->filename, (long long)ln->line,
                      (long long)f->start_line);
        if (strcmp(f->name, f->system_name) != 0)
            np_buf_printf(b, "(%s)", f->system_name);
    }
    np_buf_putc(b, '\n');
    np_buf_free(&head);
}

/* Length of the Unicode white space character at s (as Go's unicode.IsSpace), or 0. */
static size_t space_len(const unsigned char *s)
{
    if (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        return 1;
    if (s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
        return 3;
    if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;
    if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
        return 3;
    if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;
    return 0;
}

/* strings.TrimSpace: the sample type line loses leading and trailing white space. */
static void put_trimmed(np_buf *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n;
    while ((n = space_len(s)) > 0)
        s += n;
    const unsigned char *end = s, *p = s;
    while (*p) {
        n = space_len(p);
        if (n == 0) {
            p++;
            while (*p & 0x80 && (*p & 0xc0) == 0x80)
                p++;
            end = p;
        } else {
            p += n;
        }
    }
    np_buf_add(b, s, (size_t)(end - s));
}

void np_profile_raw(const np_profile *p, np_buf *b)
{
    for (size_t i = 0; i < p->n_comment; i++)
        np_buf_printf(b, "Comment: %s\n", p->comment[i]);
    np_buf_printf(b, "PeriodType: %s %s\n", p->period_type.type, p->period_type.unit);
    np_buf_printf(b, "Period: %lld\n", (long long)p->period);
    if (p->time_nanos) {
        np_buf_puts(b, "Time: ");
        np_go_time(b, p->time_nanos);
        np_buf_putc(b, '\n');
    }
    if (p->duration_nanos) {
        np_buf dur = {0};
        np_go_duration(&dur, p->duration_nanos);
        np_buf_puts(b, "Duration: ");
        np_put_runes(b, np_buf_cstr(&dur), 4);
        np_buf_putc(b, '\n');
        np_buf_free(&dur);
    }
    np_buf_puts(b, "Samples:\n");
    np_buf types = {0};
    for (size_t i = 0; i < p->n_sample_type; i++) {
        const np_value_type *t = &p->sample_type[i];
        np_buf_printf(&types, "%s/%s%s ", t->type, t->unit,
                      strcmp(t->type, p->default_sample_type) == 0 ? "[dflt]" : "");
    }
    np_buf_cstr(&types);
    put_trimmed(b, types.data);
    np_buf_free(&types);
    np_buf_putc(b, '\n');
    for (size_t i = 0; i < p->n_sample; i++) {
        const np_sample *s = &p->sample[i];
        for (size_t v = 0; v < p->n_sample_type; v++)
            np_buf_printf(b, " %10lld", (long long)s->value[v]);
        np_buf_puts(b, ": ");
        for (uint32_t j = 0; j < s->n_loc; j++)
            np_buf_printf(b, "%llu ", (unsigned long long)p->location[s->loc[j]].id);
        put_label_line(b, s, false);
        put_label_line(b, s, true);
        np_buf_putc(b, '\n');
    }
    np_buf_puts(b, "Locations\n");
    for (size_t i = 0; i < p->n_location; i++)
        put_location(b, p, &p->location[i]);
    np_buf_puts(b, "Mappings\n");
    for (size_t i = 0; i < p->n_mapping; i++) {
        const np_mapping *m = &p->mapping[i];
        np_buf_printf(b, "%llu: ", (unsigned long long)m->id);
        put_hex(b, m->start);
        np_buf_putc(b, '/');
        put_hex(b, m->limit);
        np_buf_putc(b, '/');
        put_hex(b, m->offset);
        np_buf_printf(b, " %s %s %s%s%s%s\n", m->file, m->build_id, m->has_functions ? "[FN]" : "",
                      m->has_filenames ? "[FL]" : "", m->has_line_numbers ? "[LN]" : "",
                      m->has_inline_frames ? "[IN]" : "");
    }
}
