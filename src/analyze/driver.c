/* The report pipeline shared by every front end: sources -> merged profile -> per-report copy
 * -> label frames, focus filters, aggregation -> one report format -> stdout or a file. */
#include "analyze/driver.h"
#include "analyze/binfind.h"
#include "analyze/browser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/fetch.h"
#include "analyze/filter.h"
#include "core/gofmt.h"
#include "core/gz.h"
#include "analyze/measure.h"
#include "core/merge.h"
#include "analyze/pathutil.h"
#include "analyze/report/graphviz.h"
#include "analyze/report/report.h"
#include "analyze/report/svgdraw.h"
#include "analyze/report/tags.h"
#include "analyze/symstep.h"

const np_command np_commands[] = {
    {"callgrind", NP_FMT_CALLGRIND, false, true, NULL, "Outputs a graph in callgrind format"},
    {"comments", NP_FMT_COMMENTS, false, false, NULL, "Output all profile comments"},
    {"disasm", NP_FMT_DIS, true, false, NULL, "Output assembly listings annotated with samples"},
    {"dot", NP_FMT_DOT, false, false, NULL, "Outputs a graph in DOT format"},
    {"gif", NP_FMT_DOT, false, true, "gif", "Outputs a graph image in GIF format"},
    {"list", NP_FMT_LIST, true, false, NULL, "Output annotated source for functions matching regexp"},
    {"pdf", NP_FMT_DOT, false, true, "pdf", "Outputs a graph in PDF format"},
    {"peek", NP_FMT_TREE, true, false, NULL, "Output callers/callees of functions matching regexp"},
    {"png", NP_FMT_DOT, false, true, "png", "Outputs a graph image in PNG format"},
    {"proto", NP_FMT_PROTO, false, true, NULL, "Outputs the profile in compressed protobuf format"},
    {"ps", NP_FMT_DOT, false, true, "ps", "Outputs a graph in PS format"},
    {"raw", NP_FMT_RAW, false, false, NULL, "Outputs a text representation of the raw profile"},
    {"svg", NP_FMT_DOT, false, true, "svg", "Outputs a graph in SVG format"},
    {"tags", NP_FMT_TAGS, false, false, NULL, "Outputs all tags in the profile"},
    {"text", NP_FMT_TEXT, false, false, NULL, "Outputs top entries in text form"},
    {"top", NP_FMT_TEXT, false, false, NULL, "Outputs top entries in text form"},
    {"topproto", NP_FMT_TOPPROTO, false, true, NULL, "Outputs top entries in compressed protobuf format"},
    {"traces", NP_FMT_TRACES, false, false, NULL, "Outputs all profile samples in text form"},
    {"tree", NP_FMT_TREE, false, false, NULL, "Outputs a text rendering of call graph"},
    {"web", NP_FMT_DOT, false, false, "svg", "Visualize graph through web browser"},
    {"weblist", NP_FMT_WEBLIST, true, false, NULL, "Display annotated source in a web browser"},
    {"folded", NP_FMT_FOLDED, false, false, NULL, "Outputs folded stacks (FlameGraph's collapsed format)"},
    {"icicle", NP_FMT_ICICLE, false, false, NULL, "Outputs a text flame graph (icicle) as wide as -width"},
    {"tui", NP_FMT_TUI, false, false, NULL, "Explore a flame graph in the terminal (arrows, Enter, /, q)"},
    {"flamegraph", NP_FMT_FLAMEGRAPH, false, false, NULL, "Outputs a flame graph as one HTML page (-output=FILE)"},
};
const size_t np_n_commands = sizeof np_commands / sizeof np_commands[0];

const np_command *np_command_find(const char *name)
{
    for (size_t i = 0; i < np_n_commands; i++)
        if (strcmp(np_commands[i].name, name) == 0)
            return &np_commands[i];
    return NULL;
}

/* locateBinaries: profiles without mappings get a fake one (so every location has a mapping,
 * as pprof arranges), and -buildid or a binary named on the command line override the main one. */
static void locate_binaries(np_profile *p, const np_sources *s)
{
    if (p->n_mapping == 0) {
        np_mapping *m = np_profile_add_mapping(p);
        m->id = 1;
        for (size_t i = 0; i < p->n_location; i++)
            p->location[i].mapping = 0;
    }
    np_binfind_locate(p); /* before the overrides, as pprof */
    if (s->exec_name && s->exec_name[0])
        p->mapping[0].file = np_profile_str(p, s->exec_name);
    if (s->buildid && s->buildid[0])
        p->mapping[0].build_id = np_profile_str(p, s->buildid);
}

/* Fetches a list of sources; prints each failure as pprof does and merges the rest. The
 * mappings of those fetched over HTTP are recorded in ms. */
static int grab(char *const *srcs, size_t n, const np_sources *s, np_profile **out, size_t *count,
                np_map_sources *ms, np_err *err)
{
    np_profile **ps = np_xcalloc(n + 1, sizeof *ps);
    np_fetch_opts fo = {s->seconds, s->timeout, false};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        np_err e;
        if (np_fetch_source(srcs[i], &fo, &ps[k], &e) < 0) {
            fprintf(stderr, "%s: %s\n", srcs[i], e.msg);
            continue;
        }
        locate_binaries(ps[k], s);
        char *url = NULL;
        int timeout;
        if (np_source_url(srcs[i], s->seconds, s->timeout, &url, &timeout))
            np_map_sources_collect(ps[k], url, ms);
        free(url);
        k++;
    }
    *count = k;
    *out = NULL;
    int rc = 0;
    if (k > 0) {
        rc = np_measure_scale_profiles(ps, k, err);
        /* One source (the usual case) is merged into itself rather than copied. */
        if (rc == 0 && k == 1 && (rc = np_profile_merge_take(ps[0], out, err)) == 0)
            ps[0] = NULL;
        else if (rc == 0)
            rc = np_profile_merge(ps, k, out, err);
    }
    for (size_t i = 0; i < k; i++)
        np_profile_free(ps[i]);
    free(ps);
    return rc;
}

static bool any_remote(char *const *srcs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *url = NULL;
        int timeout;
        bool remote = np_source_url(srcs[i], -1, -1, &url, &timeout);
        free(url);
        if (remote)
            return true;
    }
    return false;
}

/* Creates a directory and its parents (mkdir -p). */
static int mkdir_all(const char *dir)
{
    char *d = np_xstrdup(dir);
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        mkdir(d, 0755);
        *p = '/';
    }
    int rc = mkdir(d, 0755) == 0 || errno == EEXIST ? 0 : -1;
    free(d);
    return rc;
}

/* As pprof, a profile fetched over HTTP is saved (PPROF_TMPDIR, else $HOME/pprof, else /tmp)
 * so the snapshot can be analysed again later. */
static void save_fetched(const np_profile *p)
{
    const char *dirs[3];
    size_t nd = 0;
    char home[4096];
    if (getenv("PPROF_TMPDIR") && getenv("PPROF_TMPDIR")[0])
        dirs[nd++] = getenv("PPROF_TMPDIR");
    if (getenv("HOME") && getenv("HOME")[0]) {
        snprintf(home, sizeof home, "%s/pprof", getenv("HOME"));
        dirs[nd++] = home;
    }
    dirs[nd++] = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    const char *dir = NULL;
    for (size_t i = 0; i < nd && !dir; i++) {
        if (mkdir_all(dirs[i]) == 0)
            dir = dirs[i];
        else
            fprintf(stderr, "Could not use temp dir %s: mkdir %s: %s\n", dirs[i], dirs[i], strerror(errno));
    }
    if (!dir)
        return;
    np_buf prefix = {0};
    np_buf_printf(&prefix, "%s/pprof.", dir);
    if (p->n_mapping && p->mapping[0].file[0]) {
        np_path_base_buf(&prefix, p->mapping[0].file);
        np_buf_putc(&prefix, '.');
    }
    for (size_t i = 0; i < p->n_sample_type; i++)
        np_buf_printf(&prefix, "%s.", p->sample_type[i].type);
    np_buf enc = {0}, gz = {0};
    np_err e;
    np_profile_encode(p, &enc);
    if (np_gzip(enc.data, enc.len, &gz, &e) == 0) {
        for (int i = 1; i < 10000; i++) {
            np_buf name = {0};
            np_buf_printf(&name, "%s%03d.pb.gz", np_buf_cstr(&prefix), i);
            int fd = open(name.data, O_WRONLY | O_CREAT | O_EXCL, 0666);
            if (fd < 0 && errno == EEXIST) {
                np_buf_free(&name);
                continue;
            }
            if (fd < 0 || write(fd, gz.data, gz.len) != (ssize_t)gz.len)
                fprintf(stderr, "Could not save profile: %s\n", strerror(errno));
            else
                fprintf(stderr, "Saved profile in %s\n", name.data);
            if (fd >= 0)
                close(fd);
            np_buf_free(&name);
            break;
        }
    }
    np_buf_free(&enc);
    np_buf_free(&gz);
    np_buf_free(&prefix);
}

int np_fetch_profiles(const np_sources *s, np_profile **out, np_err *err)
{
    np_profile *p = NULL, *base = NULL;
    size_t nsrc = 0, nbase = 0;
    np_err e;
    np_map_sources ms = {0};
    *out = NULL;
    if (grab(s->sources, s->n_sources, s, &p, &nsrc, &ms, &e) < 0) {
        np_map_sources_free(&ms);
        return np_fail(err, "problem fetching source profiles: %s", e.msg);
    }
    if (grab(s->bases, s->n_bases, s, &base, &nbase, &ms, &e) < 0) {
        np_map_sources_free(&ms);
        np_profile_free(p);
        return np_fail(err, "problem fetching base profiles: %s,", e.msg);
    }
    if (nsrc == 0) {
        np_map_sources_free(&ms);
        np_profile_free(base);
        return np_fail(err, "failed to fetch any source profiles");
    }
    if (nbase == 0 && s->n_bases > 0) {
        np_map_sources_free(&ms);
        np_profile_free(p);
        return np_fail(err, "failed to fetch any base profiles");
    }
    if (nsrc != s->n_sources)
        fprintf(stderr, "Fetched %zu source profiles out of %zu\n", nsrc, s->n_sources);
    if (nbase != s->n_bases)
        fprintf(stderr, "Fetched %zu base profiles out of %zu\n", nbase, s->n_bases);
    if (base) {
        if (s->diff_base)
            np_set_label(base, "pprof::base", "true");
        if (s->normalize && np_normalize(p, base, err) < 0)
            goto fail;
        np_scale(base, -1);
        np_profile *both[2] = {p, base}, *merged = NULL;
        if (np_measure_scale_profiles(both, 2, err) < 0 || np_profile_merge(both, 2, &merged, err) < 0)
            goto fail;
        np_profile_free(p);
        np_profile_free(base);
        base = NULL;
        p = merged;
    }
    int sym = np_symbolize(p, s->symbolize, &ms, err);
    np_map_sources_free(&ms);
    if (sym < 0)
        goto fail;
    if (np_filter_remove_uninteresting(p, err) < 0)
        goto fail;
    np_map_sources_unsource(p);
    if (s->comment && s->comment[0])
        np_profile_add_comment(p, s->comment);
    if (any_remote(s->sources, s->n_sources) || any_remote(s->bases, s->n_bases))
        save_fetched(p);
    if (np_profile_check(p, err) < 0)
        goto fail;
    *out = p;
    return 0;
fail:
    np_map_sources_free(&ms);
    np_profile_free(p);
    np_profile_free(base);
    return -1;
}

/* applyCommandOverrides: per-command trimming and granularity rules. */
static void command_overrides(const np_command *cmd, np_config *c)
{
    bool trim = c->trim;
    const char *n = cmd->name;
    if (strcmp(n, "disasm") == 0) {
        trim = false;
        np_config_set(c, "granularity", "addresses", NULL);
        c->noinlines = true;
    } else if (strcmp(n, "weblist") == 0) {
        /* addresses, with inlined frames kept, for the instructions under each line */
        trim = false;
        np_config_set(c, "granularity", "addresses", NULL);
        c->noinlines = false;
    } else if (strcmp(n, "peek") == 0) {
        trim = false;
    } else if (strcmp(n, "list") == 0) {
        trim = false;
        np_config_set(c, "granularity", "lines", NULL);
    } else if (strcmp(n, "text") == 0 || strcmp(n, "top") == 0 || strcmp(n, "topproto") == 0) {
        if (c->nodecount == -1)
            c->nodecount = 0;
    } else if (c->nodecount == -1) {
        c->nodecount = 80;
    }
    if (cmd->format == NP_FMT_PROTO || cmd->format == NP_FMT_RAW || cmd->format == NP_FMT_CALLGRIND) {
        trim = false;
        np_config_set(c, "granularity", "addresses", NULL);
        c->noinlines = false;
    }
    if (!trim) {
        c->nodecount = 0;
        c->nodefraction = 0;
        c->edgefraction = 0;
    }
}

static int compile_opt(const char *name, const char *value, np_regex **out, np_err *err)
{
    *out = NULL;
    if (!value || !value[0])
        return 0;
    np_err e;
    *out = np_regex_compile(value, &e);
    if (!*out)
        return np_fail(err, "parsing %s regexp: %s", name, e.msg);
    return 0;
}

static void warn_no_match(bool match, const char *option)
{
    if (!match)
        fprintf(stderr, "%s expression matched no samples\n", option);
}

static int apply_focus(np_profile *p, const np_config *c, np_err *err)
{
    np_regex *focus, *ignore, *hide, *show, *show_from, *prune_from, *tagshow, *taghide;
    np_tag_filter *tagfocus = NULL, *tagignore = NULL;
    int rc = -1;
    focus = ignore = hide = show = show_from = prune_from = tagshow = taghide = NULL;
    if (compile_opt("focus", c->focus, &focus, err) < 0 || compile_opt("ignore", c->ignore, &ignore, err) < 0 ||
        compile_opt("hide", c->hide, &hide, err) < 0 || compile_opt("show", c->show, &show, err) < 0 ||
        compile_opt("show_from", c->show_from, &show_from, err) < 0)
        goto out;
    if (c->tagfocus[0] && !(tagfocus = np_tag_filter_compile("tagfocus", c->tagfocus, p, err)))
        goto out;
    if (c->tagignore[0] && !(tagignore = np_tag_filter_compile("tagignore", c->tagignore, p, err)))
        goto out;
    if (compile_opt("prune_from", c->prune_from, &prune_from, err) < 0)
        goto out;
    bool fm, im, hm, hnm;
    np_filter_by_name(p, focus, ignore, hide, show, &fm, &im, &hm, &hnm);
    warn_no_match(!focus || fm, "Focus");
    warn_no_match(!ignore || im, "Ignore");
    warn_no_match(!hide || hm, "Hide");
    warn_no_match(!show || hnm, "Show");
    bool sfm = np_filter_show_from(p, show_from);
    warn_no_match(!show_from || sfm, "ShowFrom");
    bool tfm = false, tim = false;
    np_filter_by_tag(p, tagfocus, tagignore, &tfm, &tim);
    warn_no_match(!tagfocus || tfm, "TagFocus");
    warn_no_match(!tagignore || tim, "TagIgnore");
    if (compile_opt("tagshow", c->tagshow, &tagshow, err) < 0 || compile_opt("taghide", c->taghide, &taghide, err) < 0)
        goto out;
    bool tns = false, tnh = false;
    np_filter_tags_by_name(p, tagshow, taghide, &tns, &tnh);
    warn_no_match(!tagshow || tns, "TagShow");
    warn_no_match(!taghide || tnh, "TagHide");
    if (prune_from)
        np_filter_prune_from(p, prune_from);
    rc = 0;
out:
    np_regex_free(focus);
    np_regex_free(ignore);
    np_regex_free(hide);
    np_regex_free(show);
    np_regex_free(show_from);
    np_regex_free(prune_from);
    np_regex_free(tagshow);
    np_regex_free(taghide);
    np_tag_filter_free(tagfocus);
    np_tag_filter_free(tagignore);
    return rc;
}

static void aggregate(np_profile *p, const np_config *c)
{
    bool inlines = !c->noinlines;
    const char *g = c->granularity;
    if (strcmp(g, "addresses") == 0) {
        if (!inlines)
            np_aggregate(p, inlines, true, true, true, true);
    } else if (strcmp(g, "lines") == 0) {
        np_aggregate(p, inlines, true, true, true, false);
    } else if (strcmp(g, "files") == 0) {
        np_aggregate(p, inlines, false, true, false, false);
    } else if (strcmp(g, "filefunctions") == 0) {
        np_aggregate(p, inlines, true, true, false, false);
    } else {
        np_aggregate(p, inlines, true, false, false, false);
    }
}

static void add_filter(np_report *r, const char *k, const char *v)
{
    if (!v || !v[0])
        return;
    np_buf b = {0};
    np_buf_printf(&b, "%s=%s", k, v);
    r->active_filters = np_xrealloc(r->active_filters, (r->n_active_filters + 1) * sizeof *r->active_filters);
    r->active_filters[r->n_active_filters++] = (char *)np_buf_cstr(&b);
}

static int report_options(np_report *r, const np_config *c, np_err *err)
{
    np_profile *p = r->p;
    if (p->n_sample_type == 0)
        return np_fail(err, "profile has no samples");
    if (np_profile_sample_index(p, c->sample_index, &r->value_index, err) < 0)
        return -1;
    r->mean_index = c->mean ? 0 : -1;
    const np_value_type *st = &p->sample_type[r->value_index];
    np_buf t = {0};
    np_buf_printf(&t, "%s%s", c->mean ? "mean_" : "", st->type);
    r->sample_type = (char *)np_buf_cstr(&t);
    r->sample_unit = np_xstrdup(st->unit);
    if (c->divide_by == 0)
        return np_fail(err, "zero divisor specified");
    add_filter(r, "focus", c->focus);
    add_filter(r, "ignore", c->ignore);
    add_filter(r, "hide", c->hide);
    add_filter(r, "show", c->show);
    add_filter(r, "show_from", c->show_from);
    add_filter(r, "tagfocus", c->tagfocus);
    add_filter(r, "tagignore", c->tagignore);
    add_filter(r, "tagshow", c->tagshow);
    add_filter(r, "taghide", c->taghide);
    r->cum_sort = strcmp(c->sort, "cum") == 0;
    r->call_tree = c->call_tree;
    r->drop_negative = c->drop_negative;
    r->compact_labels = c->compact_labels;
    r->ratio = 1 / c->divide_by;
    r->nodecount = c->nodecount;
    r->nodefraction = c->nodefraction;
    r->edgefraction = c->edgefraction;
    snprintf(r->output_unit, sizeof r->output_unit, "%s", c->unit);
    r->source_path = c->source_path;
    r->trim_path = c->trim_path;
    r->title = "";
    r->width = c->width;
    r->depth = c->depth;
    r->intel_syntax = c->intel_syntax;
    return 0;
}

static void report_free(np_report *r)
{
    for (size_t i = 0; i < r->n_active_filters; i++)
        free(r->active_filters[i]);
    free(r->active_filters);
    free(r->sample_type);
    free(r->sample_unit);
    np_regex_free(r->symbol);
    free(r->match_names);
}

static int build_report(np_report *r, const np_command *cmd, const char *arg, np_config *c, np_err *err)
{
    np_key_unit *units = np_num_label_units(r->p);
    r->num_label_units = units;
    r->format = cmd->format;
    command_overrides(cmd, c);
    bool rootm, leafm;
    np_add_label_nodes(r->p, c->tagroot, c->tagleaf, c->unit, &rootm, &leafm);
    warn_no_match(!c->tagroot[0] || rootm, "TagRoot");
    warn_no_match(!c->tagleaf[0] || leafm, "TagLeaf");
    if (c->relative_percentages && apply_focus(r->p, c, err) < 0)
        return -1;
    if (report_options(r, c, err) < 0)
        return -1;
    if (arg) {
        np_err e;
        r->symbol = np_regex_compile(arg, &e);
        if (!r->symbol)
            return np_fail(err, "parsing argument regexp %s: %s", arg, e.msg);
    }
    r->total = np_report_total(r->p, r->value_index, r->mean_index);
    /* Samples without frames count in the total but no filter keeps them; the flame views
     * show them as the root's own value when nothing filters samples. */
    if (r->n_active_filters == 0 && !c->prune_from[0])
        r->frameless = np_flame_frameless(r->p, r->value_index, r->mean_index);
    if (!c->relative_percentages && apply_focus(r->p, c, err) < 0)
        return -1;
    if (r->format == NP_FMT_FLAMEGRAPH || r->format == NP_FMT_FLAMEDATA)
        np_report_keep_match_names(r);
    aggregate(r->p, c);
    return 0;
}

static int write_output(const np_command *cmd, const np_config *c, const np_buf *data, FILE *out,
                        bool interactive, np_err *err)
{
    const char *path = c->output[0] ? c->output : NULL;
    char tmpname[64];
    if (!path && cmd->to_file && (interactive || isatty(fileno(out)))) {
        const char *ext = cmd->dot_format ? cmd->dot_format
                        : cmd->format == NP_FMT_CALLGRIND ? "callgraph.out" : "pb.gz";
        for (int i = 1; i < 10000; i++) {
            snprintf(tmpname, sizeof tmpname, "profile%03d.%s", i, ext);
            if (access(tmpname, F_OK) != 0) {
                path = tmpname;
                break;
            }
        }
    }
    if (!path) {
        fwrite(data->data, 1, data->len, out);
        fflush(out);
        return 0;
    }
    fprintf(stderr, "Generating report in %s\n", path);
    FILE *f = fopen(path, "wb");
    if (!f)
        return np_fail(err, "open %s: %s", path, strerror(errno));
    size_t n = fwrite(data->data, 1, data->len, f);
    if (fclose(f) != 0 || n != data->len)
        return np_fail(err, "write %s: %s", path, strerror(errno));
    return 0;
}

const np_command np_flamegraph_web = {"flamegraph", NP_FMT_FLAMEGRAPH, false, false, NULL,
                                      "Visualize a flame graph through a web browser"};

/* The commands whose output a browser shows (pprof's -web and -weblist). */
static bool for_browser(const np_command *cmd)
{
    return cmd == &np_flamegraph_web || strcmp(cmd->name, "web") == 0 || strcmp(cmd->name, "weblist") == 0;
}

/* -web, -weblist: the page goes to a new temporary file, opened in a browser when there is
 * one; else its path is printed, so that it can be opened by hand. */
static int show_in_browser(const np_command *cmd, const np_buf *data, FILE *out, bool interactive,
                           np_err *err)
{
    char *path = NULL;
    if (np_browser_temp_file(data, cmd->dot_format ? cmd->dot_format : "html", &path, err) < 0)
        return -1;
    int rc = np_browser_open(path, !interactive, err);
    if (rc == 0) {
        fprintf(out, "No browser found (set $BROWSER to open one); wrote %s\n", path);
        fflush(out);
    }
    free(path);
    return rc < 0 ? -1 : 0;
}

int np_generate_report(const np_profile *p0, const np_command *cmd, const char *arg,
                       const np_config *cfg, FILE *out, bool interactive, np_err *err)
{
    /* Reports change the profile they work on (filters, aggregation), and the shell runs many
     * on one fetched profile, so each gets its own copy. */
    np_profile *p = NULL;
    if (np_profile_merge((np_profile *const *)&p0, 1, &p, err) < 0)
        return -1;
    return np_generate_report_owned(p, cmd, arg, cfg, out, interactive, err);
}

static int generate(np_profile *p, const np_command *cmd, const char *arg, const np_config *cfg,
                    FILE *out, bool interactive, const np_report_hook *hook, np_err *err);

int np_generate_report_owned(np_profile *p, const np_command *cmd, const char *arg,
                             const np_config *cfg, FILE *out, bool interactive, np_err *err)
{
    return generate(p, cmd, arg, cfg, out, interactive, NULL, err);
}

int np_generate_report_hooked(np_profile *p, const np_command *cmd, const char *arg,
                              const np_config *cfg, FILE *out, const np_report_hook *hook,
                              np_err *err)
{
    return generate(p, cmd, arg, cfg, out, false, hook, err);
}

/* The picture of the DOT text in data: Graphviz's, or nprof's own drawing for the web UI. */
static int draw(const char *format, np_buf *data, np_err *err)
{
    if (strcmp(format, NP_FORMAT_SVG_DRAWN) == 0)
        return np_svgdraw(data, err);
    return np_graphviz_render(format, data, err);
}

static int generate(np_profile *p, const np_command *cmd, const char *arg, const np_config *cfg,
                    FILE *out, bool interactive, const np_report_hook *hook, np_err *err)
{
    np_config c;
    np_config_copy(&c, cfg);
    np_report r;
    memset(&r, 0, sizeof r);
    r.p = p;
    np_buf data = {0};
    int rc = build_report(&r, cmd, arg, &c, err);
    /* Text bound for `out` as it is (no file, no Graphviz) may be written as it is made. */
    if (!c.output[0] && !cmd->to_file && !cmd->dot_format && !for_browser(cmd))
        r.stream = out;
    if (rc == 0 && hook && hook->settled)
        hook->settled(hook->ctx);
    if (rc == 0)
        rc = np_report_generate(&r, &data, err);
    if (rc == 0 && cmd->dot_format)
        rc = draw(cmd->dot_format, &data, err);
    if (rc == 0 && cmd->dot_format && strncmp(cmd->dot_format, "svg", 3) == 0)
        np_report_svg_pan(&data);
    if (rc == 0 && for_browser(cmd) && !c.output[0]) /* pprof writes -output's file instead */
        rc = show_in_browser(cmd, &data, out, interactive, err);
    else if (rc == 0)
        rc = write_output(cmd, &c, &data, out, interactive, err);
    np_buf_free(&data);
    np_free_key_units(r.num_label_units);
    report_free(&r);
    np_config_free(&c);
    np_profile_free(r.p);
    return rc;
}
