/* The interactive shell (pprof's interactive mode): reads commands from a terminal through
 * libedit or from a pipe line by line, and runs reports, option settings and help on them. */
#include "analyze/shell.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "analyze/cli.h"
#include "analyze/driver.h"
#include "analyze/linein.h"
#include "core/gofmt.h"
#include "analyze/report/report.h"

#define PROMPT "(pprof) "
/* pprof's marker for a comment after an option value: "nodecount=5 //: why". */
#define COMMENT_START "//:"

typedef struct shell {
    const np_profile *p;
    np_config *cfg;
    bool tty;          /* terminal: libedit, prompt and messages on stderr, errors in red */
    char *type_list;   /* "[a b c]": the sample types as Go prints a []string */
} shell;

/* Every command pprof's shell knows, including the viewer commands nprof does not run, so that
 * help and error messages name the same set. */
enum usage_kind { U_NONE, U_REPORT, U_REPORT_CUM, U_REPORT_NOREDIR, U_LIST, U_LIST_REDIR, U_PEEK, U_TAGS };

typedef struct shell_cmd {
    const char *name;
    bool has_param;
    enum usage_kind usage;
    const char *viewer_alt; /* non-NULL: a viewer command; what to use instead */
    const char *description; /* only for commands missing from np_commands */
} shell_cmd;

static const shell_cmd shell_cmds[] = {
    {"callgrind", false, U_REPORT, NULL, NULL},
    {"comments", false, U_NONE, NULL, NULL},
    {"disasm", true, U_LIST_REDIR, NULL, NULL},
    {"dot", false, U_REPORT, NULL, NULL},
    {"eog", false, U_REPORT_NOREDIR, "svg >FILE.svg", "Visualize graph through eog"},
    {"evince", false, U_REPORT_NOREDIR, "pdf >FILE.pdf", "Visualize graph through evince"},
    {"gif", false, U_REPORT, NULL, NULL},
    {"gv", false, U_REPORT_NOREDIR, "ps >FILE.ps", "Visualize graph through gv"},
    {"kcachegrind", false, U_REPORT_NOREDIR, "callgrind >FILE", "Visualize report in KCachegrind"},
    {"list", true, U_LIST, NULL, NULL},
    {"pdf", false, U_REPORT, NULL, NULL},
    {"peek", true, U_PEEK, NULL, NULL},
    {"png", false, U_REPORT, NULL, NULL},
    {"proto", false, U_NONE, NULL, NULL},
    {"ps", false, U_REPORT, NULL, NULL},
    {"raw", false, U_NONE, NULL, NULL},
    {"svg", false, U_REPORT, NULL, NULL},
    {"tags", false, U_TAGS, NULL, NULL},
    {"text", false, U_REPORT_CUM, NULL, NULL},
    {"top", false, U_REPORT_CUM, NULL, NULL},
    {"topproto", false, U_NONE, NULL, NULL},
    {"traces", false, U_NONE, NULL, NULL},
    {"tree", false, U_REPORT_CUM, NULL, NULL},
    {"web", false, U_REPORT_NOREDIR, NULL, NULL},
    {"weblist", true, U_LIST, NULL, NULL},
};
#define N_SHELL_CMDS (sizeof shell_cmds / sizeof shell_cmds[0])

/* nprof's own reports: they run like the others but stay out of `help`, which lists what
 * pprof's lists. */
static const shell_cmd extra_cmds[] = {
    {"folded", false, U_REPORT, NULL, NULL},
    {"icicle", false, U_REPORT, NULL, NULL},
    {"tui", false, U_REPORT_NOREDIR, NULL, NULL},
    {"flamegraph", false, U_REPORT, NULL, "Visualize a flame graph through a web browser"},
};

/* The shell's flamegraph opens its page as web does; with >f it is written to f instead, as
 * the command line's -flamegraph writes it. */
static const np_command *flamegraph_cmd(const np_config *v)
{
    return v->output && v->output[0] ? np_command_find("flamegraph") : &np_flamegraph_web;
}

static const shell_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < N_SHELL_CMDS; i++)
        if (strcmp(shell_cmds[i].name, name) == 0)
            return &shell_cmds[i];
    for (size_t i = 0; i < sizeof extra_cmds / sizeof extra_cmds[0]; i++)
        if (strcmp(extra_cmds[i].name, name) == 0)
            return &extra_cmds[i];
    return NULL;
}

static const char *cmd_description(const shell_cmd *c)
{
    if (c->description)
        return c->description;
    const np_command *nc = np_command_find(c->name);
    return nc ? nc->description : "";
}

/* ---- output (pprof's UI.Print / PrintErr: stderr, a newline ensured) ---- */

static void ui_print(const shell *sh, const char *text)
{
    (void)sh;
    size_t n = strlen(text);
    fputs(text, stderr);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', stderr);
    fflush(stderr);
}

static void ui_error(const shell *sh, const char *text)
{
    /* On a terminal pprof shows errors in red. */
    if (sh->tty)
        fputs("\033[0;31m", stderr);
    fputs(text, stderr);
    size_t n = strlen(text);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', stderr);
    if (sh->tty)
        fputs("\033[0m", stderr);
    fflush(stderr);
}

static void ui_errorf(const shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ui_errorf(const shell *sh, const char *fmt, ...)
{
    np_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    np_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    ui_error(sh, np_buf_cstr(&b));
    np_buf_free(&b);
}


/* ---- small string helpers ---- */

static char *trim_dup(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char *r = np_xmalloc(n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

/* strings.Fields on ASCII white space. */
static char **fields(const char *s, size_t *n)
{
    *n = 0;
    char **out = NULL;
    size_t cap = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        const char *start = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        char *tok = np_xmalloc((size_t)(s - start) + 1);
        memcpy(tok, start, (size_t)(s - start));
        tok[s - start] = 0;
        *NP_PUSH(out, *n, cap) = tok;
    }
    return out;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* strconv.ParseInt(s, 10, 32). */
static bool parse_int32(const char *s, int *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!*p)
        return false;
    long long v = 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (*p - '0');
        if (v > 2147483648LL)
            return false;
    }
    if (neg)
        v = -v;
    if (v > 2147483647LL || v < -2147483648LL)
        return false;
    *out = (int)v;
    return true;
}

/* Appends s left-justified in a field of `width` characters, counted in UTF-8 code points as
 * Go's %-Ns does. */
static void pad_runes(np_buf *b, const char *s, int width)
{
    np_buf_puts(b, s);
    for (size_t runes = np_go_rune_count(s, strlen(s)); runes < (size_t)width; runes++)
        np_buf_putc(b, ' ');
}

/* ---- profile facts the shell needs (sample types, the greeting's report header) ---- */

static void greetings(shell *sh)
{
    const np_profile *p = sh->p;
    const np_config *c = sh->cfg;
    int vi;
    np_err e;
    if (p->n_sample_type > 0 && c->divide_by != 0 &&
        np_profile_sample_index(p, c->sample_index, &vi, &e) == 0) {
        np_report r;
        memset(&r, 0, sizeof r);
        r.p = (np_profile *)p;
        np_buf st = {0};
        np_buf_printf(&st, "%s%s", c->mean ? "mean_" : "", p->sample_type[vi].type);
        r.sample_type = (char *)np_buf_cstr(&st);
        r.sample_unit = (char *)p->sample_type[vi].unit;
        r.ratio = 1 / c->divide_by;
        snprintf(r.output_unit, sizeof r.output_unit, "%s", c->unit);
        r.value_index = vi;
        r.mean_index = c->mean ? 0 : -1;
        r.total = np_report_total(p, vi, r.mean_index);
        np_buf labels = {0};
        np_report_profile_labels(&r, &labels);
        ui_print(sh, np_buf_cstr(&labels));
        if (r.total == 0 && p->n_sample_type > 1) {
            ui_print(sh, "No samples were found with the default sample value type.");
            ui_print(sh, "Try \"sample_index\" command to analyze different sample values.\n");
        }
        np_buf_free(&labels);
        np_buf_free(&st);
    }
    ui_print(sh, "Entering interactive mode (type \"help\" for commands, \"o\" for options)");
}

/* ---- options ---- */

/* Go's stringToBool: pprof's lenient reading of a boolean option value. */
static int lenient_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "t", "yes", "y", "1", ""};
    static const char *const no[] = {"false", "f", "no", "n", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    return -1;
}

/* pprof's configure(): an option by name, or a choice value (e.g. "lines") when the value
 * reads as true. */
static int configure(shell *sh, const char *name, const char *value, np_err *err)
{
    bool is_choice;
    const np_option *o = np_option_find(name, &is_choice);
    np_buf q = {0};
    np_go_quote(&q, name);
    int rc = 0;
    if (!o) {
        rc = np_fail(err, "unknown config field %s", np_buf_cstr(&q));
    } else if (is_choice) {
        bool b;
        if (np_parse_bool(value, &b) == 0 && b)
            rc = np_config_set(sh->cfg, o->name, name, err);
        else
            rc = np_fail(err, "unknown config field %s", np_buf_cstr(&q));
    } else if (o->type == NP_OPT_BOOL) {
        bool b;
        if (lenient_bool(value, &b) < 0)
            rc = np_fail(err, "illegal value \"%s\" for bool variable", value);
        else
            *(bool *)((char *)sh->cfg + o->offset) = b;
    } else {
        rc = np_config_set(sh->cfg, name, value, err);
    }
    np_buf_free(&q);
    return rc;
}

static void print_options(shell *sh)
{
    char **lines = np_xcalloc(np_n_options, sizeof *lines);
    size_t n = 0;
    np_buf v = {0};
    for (size_t i = 0; i < np_n_options; i++) {
        const np_option *o = &np_options[i];
        v.len = 0;
        np_config_get(sh->cfg, o, &v);
        np_buf_cstr(&v);
        np_buf comment = {0};
        if (o->choices) {
            size_t k = 0;
            while (o->choices[k])
                k++;
            const char **sorted = np_xcalloc(k + 1, sizeof *sorted);
            memcpy(sorted, o->choices, k * sizeof *sorted);
            qsort(sorted, k, sizeof *sorted, np_cmp_strptr);
            np_buf_putc(&comment, '[');
            for (size_t j = 0; j < k; j++)
                np_buf_printf(&comment, "%s%s", j ? " | " : "", sorted[j]);
            np_buf_putc(&comment, ']');
            free(sorted);
        } else if (strcmp(o->name, "sample_index") == 0) {
            if (v.len == 0 && sh->p->n_sample_type > 0)
                np_buf_puts(&v, sh->p->sample_type[sh->p->n_sample_type - 1].type);
            np_buf_putc(&comment, '[');
            for (size_t j = 0; j < sh->p->n_sample_type; j++)
                np_buf_printf(&comment, "%s%s", j ? " | " : "", sh->p->sample_type[j].type);
            np_buf_putc(&comment, ']');
        } else if (strcmp(o->name, "source_path") == 0) {
            /* pprof leaves the search path out of this listing. */
            np_buf_free(&comment);
            continue;
        } else if (strcmp(o->name, "nodecount") == 0 && strcmp(np_buf_cstr(&v), "-1") == 0) {
            np_buf_puts(&comment, "default");
        } else if (v.len == 0) {
            np_buf_puts(&v, "\"\"");
        }
        np_buf line = {0};
        np_buf_puts(&line, "  ");
        pad_runes(&line, o->name, 25);
        np_buf_puts(&line, " = ");
        pad_runes(&line, np_buf_cstr(&v), 20);
        np_buf_putc(&line, ' ');
        if (comment.len)
            np_buf_printf(&line, "%s %s", COMMENT_START, np_buf_cstr(&comment));
        lines[n++] = (char *)np_buf_cstr(&line);
        np_buf_free(&comment);
    }
    qsort(lines, n, sizeof *lines, np_cmp_strptr);
    np_buf all = {0};
    for (size_t i = 0; i < n; i++) {
        np_buf_printf(&all, "%s%s", i ? "\n" : "", lines[i]);
        free(lines[i]);
    }
    ui_print(sh, np_buf_cstr(&all));
    np_buf_free(&all);
    np_buf_free(&v);
    free(lines);
}

/* ---- help ---- */

static void help_line(np_buf *b, const char *name, const char *help)
{
    size_t n = strcspn(help, "\n");
    np_buf_puts(b, "    ");
    pad_runes(b, name, 16);
    np_buf_printf(b, " %.*s", (int)n, help);
}

/* pprof's usage(false): the command list (viewer commands included) and the options, whose
 * text the command line's usage already builds. */
static void shell_usage(np_buf *out)
{
    char *lines[N_SHELL_CMDS];
    for (size_t i = 0; i < N_SHELL_CMDS; i++) {
        np_buf l = {0};
        help_line(&l, shell_cmds[i].name, cmd_description(&shell_cmds[i]));
        lines[i] = (char *)np_buf_cstr(&l);
    }
    qsort(lines, N_SHELL_CMDS, sizeof *lines, np_cmp_strptr);
    np_buf_puts(out, "  Commands:\n");
    for (size_t i = 0; i < N_SHELL_CMDS; i++) {
        np_buf_printf(out, "%s\n", lines[i]);
        free(lines[i]);
    }
    help_line(out, "o/options", "List options and their current values");
    np_buf_putc(out, '\n');
    help_line(out, "q/quit/exit/^D", "Exit pprof");
    np_buf cli = {0};
    np_cli_usage(&cli, false);
    const char *opts = strstr(np_buf_cstr(&cli), "\n\n  Options:\n");
    if (opts)
        np_buf_puts(out, opts);
    np_buf_free(&cli);
}

static void append_report_usage(np_buf *b, const char *c, bool cum, bool redirect)
{
    np_buf_printf(b, "    %s [n] [focus_regex]* [-ignore_regex]*%s%s\n", c, cum ? " [-cum]" : "",
                  redirect ? " >f" : "");
    np_buf_puts(b, "    Include up to n samples\n");
    np_buf_puts(b, "    Include samples matching focus_regex, and exclude ignore_regex.\n");
    if (cum)
        np_buf_puts(b, "    -cum sorts the output by cumulative weight\n");
    if (redirect)
        np_buf_puts(b, "    Optionally save the report on the file f\n");
}

static void append_list_usage(np_buf *b, const char *c, bool redirect)
{
    /* pprof prints no space between the command and its argument here. */
    np_buf_printf(b, "    %s<func_regex|address> [-focus_regex]* [-ignore_regex]*%s\n", c, redirect ? " >f" : "");
    np_buf_puts(b, "    Include functions matching func_regex, or including the address specified.\n");
    np_buf_puts(b, "    Include samples matching focus_regex, and exclude ignore_regex.\n");
    if (redirect)
        np_buf_puts(b, "    Optionally save the report on the file f\n");
}

static void command_help(const shell_cmd *c, np_buf *b)
{
    np_buf_printf(b, "%s\n", cmd_description(c));
    if (c->usage != U_NONE)
        np_buf_puts(b, "  Usage:\n");
    switch (c->usage) {
    case U_NONE: break;
    case U_REPORT: append_report_usage(b, c->name, false, true); break;
    case U_REPORT_CUM: append_report_usage(b, c->name, true, true); break;
    case U_REPORT_NOREDIR: append_report_usage(b, c->name, false, false); break;
    case U_LIST: append_list_usage(b, c->name, false); break;
    case U_LIST_REDIR: append_list_usage(b, c->name, true); break;
    case U_PEEK:
        np_buf_puts(b, "    peek func_regex\n    Display callers and callees of functions matching func_regex.\n");
        break;
    case U_TAGS:
        np_buf_puts(b, "    tags [tag_regex]* [-ignore_regex]* [>file]\n"
                       "    List tags with key:value matching tag_regex and exclude ignore_regex.\n");
        break;
    }
    np_buf_putc(b, '\n');
}

/* Whether pprof has help text for this name: every option except the choice groups
 * themselves, and every choice value. */
static const char *option_help(const char *name)
{
    bool is_choice;
    const np_option *o = np_option_find(name, &is_choice);
    if (!o)
        return NULL;
    if (is_choice)
        return np_choice_help(name);
    return o->type == NP_OPT_CHOICE ? NULL : o->help;
}

/* pprof keeps these help texts as bare strings; the others end in a newline, which shows as
 * a blank line after them. */
static bool help_is_bare(const char *name)
{
    static const char *const bare[] = {"compact_labels", "source_path", "trim_path", "nodefraction",
                                       "edgefraction", "files", "lines"};
    for (size_t i = 0; i < sizeof bare / sizeof *bare; i++)
        if (strcmp(bare[i], name) == 0)
            return true;
    return false;
}

static void help(shell *sh, const char *topic)
{
    np_buf b = {0};
    const shell_cmd *c;
    const char *oh;
    if (!topic[0]) {
        shell_usage(&b);
        np_buf_puts(&b, "\n  :   Clear focus/ignore/hide/tagfocus/tagignore\n\n"
                        "  type \"help <cmd|option>\" for more information\n");
        ui_print(sh, np_buf_cstr(&b));
    } else if ((c = find_cmd(topic))) {
        command_help(c, &b);
        ui_print(sh, np_buf_cstr(&b));
    } else if ((oh = option_help(topic))) {
        np_buf_puts(&b, oh);
        if (!help_is_bare(topic))
            np_buf_putc(&b, '\n');
        if (strcmp(topic, "sample_index") == 0)
            np_buf_printf(&b, "Or use sample_index=name, with name in %s.\n", sh->type_list);
        np_buf_putc(&b, '\n');
        ui_print(sh, np_buf_cstr(&b));
    } else {
        ui_errorf(sh, "Unknown command: %s", topic);
    }
    np_buf_free(&b);
}

/* ---- report commands ---- */

static char *cat_regex(char *a, const char *b)
{
    np_buf r = {0};
    np_buf_printf(&r, "%s%s%s", a ? a : "", a && a[0] && b[0] ? "|" : "", b);
    free(a);
    return (char *)np_buf_cstr(&r);
}

static void set_str(char **field, const char *v)
{
    free(*field);
    *field = np_xstrdup(v);
}

/* generateReport with a per-command copy of the options: the node count, focus and ignore
 * regexps, -cum and >file given after a command do not persist. */
static void run_report(shell *sh, const shell_cmd *c, const char *arg, char **args, size_t nargs)
{
    np_config v;
    np_config_copy(&v, sh->cfg);
    char *focus = NULL, *ignore = NULL;
    for (size_t i = 0; i < nargs; i++) {
        const char *t = args[i];
        int n;
        if (parse_int32(t, &n)) {
            v.nodecount = n;
            continue;
        }
        if (t[0] == '>') {
            const char *file = t + 1;
            if (!file[0]) {
                if (++i >= nargs) {
                    ui_error(sh, "unexpected end of line after >");
                    goto out;
                }
                file = args[i];
            }
            set_str(&v.output, file);
        } else if (t[0] == '-') {
            if (strcmp(t, "--cum") == 0 || strcmp(t, "-cum") == 0) {
                set_str(&v.sort, "cum");
                continue;
            }
            ignore = cat_regex(ignore, t + 1);
        } else {
            focus = cat_regex(focus, t);
        }
    }
    bool tags = strcmp(c->name, "tags") == 0;
    if (focus && focus[0])
        set_str(tags ? &v.tagfocus : &v.focus, focus);
    if (ignore && ignore[0])
        set_str(tags ? &v.tagignore : &v.ignore, ignore);
    if (v.nodecount == -1 && (strcmp(c->name, "text") == 0 || strcmp(c->name, "top") == 0))
        v.nodecount = 10;
    if (c->viewer_alt) {
        ui_errorf(sh, "%s opens a graphical viewer, which nprof does not do; use \"%s\" instead",
                  c->name, c->viewer_alt);
        goto out;
    }
    const np_command *nc = strcmp(c->name, "flamegraph") == 0 ? flamegraph_cmd(&v) : np_command_find(c->name);
    np_err err;
    if (!nc)
        ui_errorf(sh, "%s is not supported by nprof", c->name);
    else if (np_generate_report(sh->p, nc, arg, &v, stdout, true, &err) < 0)
        ui_error(sh, err.msg);
out:
    fflush(stdout);
    free(focus);
    free(ignore);
    np_config_free(&v);
}

/* parseCommandLine: the command (with "top10" read as "top 10"), its regexp argument when it
 * takes one, then the per-report options. */
static void command_line(shell *sh, char **tok, size_t ntok)
{
    char *name = np_xstrdup(tok[0]);
    char **args = np_xcalloc(ntok + 1, sizeof *args);
    size_t nargs = 0;
    const shell_cmd *c = find_cmd(name);
    if (!c) {
        /* An abbreviation with a count, as in "top10". */
        size_t len = strlen(name), d = len;
        while (d > 0 && isdigit((unsigned char)name[d - 1]))
            d--;
        if (d > 0 && d < len) {
            args[nargs++] = np_xstrdup(name + d);
            name[d] = 0;
            c = find_cmd(name);
        }
    }
    for (size_t i = 1; i < ntok; i++)
        args[nargs++] = np_xstrdup(tok[i]);
    if (!c) {
        np_buf q = {0};
        if (option_help(name))
            ui_errorf(sh, "did you mean: %s=%s", name, nargs ? args[0] : "<val>");
        else {
            np_go_quote(&q, name);
            ui_errorf(sh, "unrecognized command: %s", np_buf_cstr(&q));
        }
        np_buf_free(&q);
    } else if (c->has_param && nargs == 0) {
        ui_errorf(sh, "command %s requires an argument", name);
    } else if (c->has_param) {
        run_report(sh, c, args[0], args + 1, nargs - 1);
    } else {
        run_report(sh, c, NULL, args, nargs);
    }
    free_strs(args, nargs);
    free(name);
}

/* ---- input ---- */

/* One input after shortcut expansion: an option setting, a shell command or a report. Returns
 * false when the shell should exit. */
static bool process(shell *sh, const char *input)
{
    const char *eq = strchr(input, '=');
    char *name = trim_dup(input, eq ? (size_t)(eq - input) : strlen(input));
    bool is_choice;
    const np_option *o = np_option_find(name, &is_choice);
    if (o) {
        np_err err;
        char *value = NULL;
        if (!eq && !is_choice && o->type != NP_OPT_BOOL) {
            ui_errorf(sh, "please specify a value, e.g. %s=<val>", name);
            goto done_opt;
        }
        if (eq) {
            const char *v = eq + 1;
            size_t vl = strlen(v);
            for (const char *hit = strstr(v, COMMENT_START); hit; hit = strstr(hit + 1, COMMENT_START))
                vl = (size_t)(hit - v);
            value = trim_dup(v, vl);
        } else {
            value = np_xstrdup("");
        }
        if (strcmp(name, "sample_index") == 0) {
            int vi;
            if (np_profile_sample_index(sh->p, value, &vi, &err) < 0) {
                ui_error(sh, err.msg);
                goto done_opt;
            }
            free(value);
            value = np_xstrdup(sh->p->sample_type[vi].type);
        }
        if (configure(sh, name, value, &err) < 0)
            ui_error(sh, err.msg);
done_opt:
        free(value);
        free(name);
        return true;
    }
    free(name);
    size_t ntok;
    char **tok = fields(input, &ntok);
    bool go_on = true;
    if (ntok == 0) {
        /* nothing */
    } else if (strcmp(tok[0], "o") == 0 || strcmp(tok[0], "options") == 0) {
        print_options(sh);
    } else if (strcmp(tok[0], "exit") == 0 || strcmp(tok[0], "quit") == 0 || strcmp(tok[0], "q") == 0) {
        go_on = false;
    } else if (strcmp(tok[0], "help") == 0) {
        np_buf topic = {0};
        for (size_t i = 1; i < ntok; i++)
            np_buf_printf(&topic, "%s%s", i > 1 ? " " : "", tok[i]);
        help(sh, np_buf_cstr(&topic));
        np_buf_free(&topic);
    } else {
        command_line(sh, tok, ntok);
    }
    free_strs(tok, ntok);
    return go_on;
}

/* Runs one line: shortcuts (":" and the sample type names) expand to several inputs. */
static bool run_line(shell *sh, const char *line)
{
    char *in = trim_dup(line, strlen(line));
    bool go_on = true;
    if (strcmp(in, ":") == 0) {
        static const char *const clear[] = {"focus=", "ignore=", "hide=", "tagfocus=", "tagignore="};
        for (size_t i = 0; go_on && i < sizeof clear / sizeof *clear; i++)
            go_on = process(sh, clear[i]);
        free(in);
        return go_on;
    }
    const np_profile *p = sh->p;
    for (size_t i = 0; i < p->n_sample_type; i++) {
        const char *t = p->sample_type[i].type;
        const char *mean = NULL;
        if (strcmp(in, t) == 0)
            mean = "";
        else if (strncmp(in, "total_", 6) == 0 && strcmp(in + 6, t) == 0)
            mean = "mean=0";
        else if (strncmp(in, "mean_", 5) == 0 && strcmp(in + 5, t) == 0)
            mean = "mean=1";
        if (!mean)
            continue;
        np_buf cmd = {0};
        np_buf_printf(&cmd, "sample_index=%s", t);
        if (mean[0])
            go_on = process(sh, mean);
        if (go_on)
            go_on = process(sh, np_buf_cstr(&cmd));
        np_buf_free(&cmd);
        free(in);
        return go_on;
    }
    go_on = process(sh, in);
    free(in);
    return go_on;
}

/* ---- terminal completion: commands and options for the first word, function names after ---- */

static const np_profile *complete_profile;
static bool complete_first;

static char *complete_next(const char *text, int state)
{
    static size_t idx;
    if (state == 0)
        idx = 0;
    size_t tl = strlen(text);
    if (complete_first) {
        size_t n_total = N_SHELL_CMDS + np_n_options;
        for (; idx < n_total; idx++) {
            const char *cand = idx < N_SHELL_CMDS ? shell_cmds[idx].name : np_options[idx - N_SHELL_CMDS].name;
            if (strncmp(cand, text, tl) == 0) {
                idx++;
                return strdup(cand);
            }
        }
        return NULL;
    }
    const np_profile *p = complete_profile;
    for (; idx < p->n_function; idx++) {
        const char *cand = p->function[idx].name;
        if (cand[0] && strncmp(cand, text, tl) == 0) {
            /* Several locations may share a name; offer each once. */
            bool dup = false;
            for (size_t j = 0; j < idx && !dup; j++)
                dup = strcmp(p->function[j].name, cand) == 0;
            if (dup)
                continue;
            idx++;
            return strdup(cand);
        }
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    complete_first = true;
    for (int i = 0; i < start; i++)
        if (!isspace((unsigned char)rl_line_buffer[i]))
            complete_first = false;
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, complete_next);
}

static bool use_terminal(void)
{
    const char *term = getenv("TERM");
    if (!term || !term[0] || strcasecmp(term, "dumb") == 0)
        return false;
    return isatty(STDIN_FILENO) != 0;
}

/* A command typed at the terminal: through libedit, unless it would find no description of the
 * terminal (nprof-static in a bare container); then through our own reader, without history. */
static char *read_command(void)
{
    if (np_linein_needed())
        return np_linein_read(stdin, stderr, PROMPT);
    char *line = readline(PROMPT);
    if (line && line[0])
        add_history(line);
    return line;
}

int np_shell_run(const np_profile *p, np_config *cfg)
{
    shell sh = {p, cfg, use_terminal(), NULL};
    np_buf tl = {0};
    np_buf_putc(&tl, '[');
    for (size_t i = 0; i < p->n_sample_type; i++)
        np_buf_printf(&tl, "%s%s", i ? " " : "", p->sample_type[i].type);
    np_buf_putc(&tl, ']');
    sh.type_list = (char *)np_buf_cstr(&tl);
    /* The shell shows minimal report headers: the greeting already gave them. */
    cfg->compact_labels = true;
    greetings(&sh);

    if (sh.tty) {
        rl_readline_name = "nprof";
        rl_instream = stdin;
        rl_outstream = stderr; /* stdout is kept for reports, as in pprof */
        complete_profile = p;
        rl_attempted_completion_function = complete;
        for (;;) {
            char *line = read_command();
            if (!line)
                break;
            bool go_on = run_line(&sh, line);
            free(line);
            if (!go_on)
                break;
        }
    } else {
        char *line = NULL;
        size_t cap = 0;
        for (;;) {
            fputs(PROMPT, stdout);
            fflush(stdout);
            ssize_t n = getline(&line, &cap, stdin);
            if (n < 0)
                break;
            if (!run_line(&sh, line))
                break;
        }
        free(line);
    }
    free(sh.type_list);
    return 0;
}
