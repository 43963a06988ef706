/* Command-line parsing with the rules of Go's flag package (one or two dashes, -name=value or
 * -name value for non-booleans, parsing stops at the first non-flag) and pprof's flags. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

enum flag_kind { F_BOOL, F_INT, F_STRING, F_LIST };

typedef struct src_flag {
    const char *name;
    enum flag_kind kind;
} src_flag;

static const src_flag source_flags[] = {
    {"diff_base", F_LIST}, {"base", F_LIST}, {"symbolize", F_STRING}, {"buildid", F_STRING},
    {"timeout", F_INT}, {"add_comment", F_STRING}, {"seconds", F_INT}, {"inuse_space", F_BOOL},
    {"inuse_objects", F_BOOL}, {"alloc_space", F_BOOL}, {"alloc_objects", F_BOOL},
    {"total_delay", F_BOOL}, {"contentions", F_BOOL}, {"mean_delay", F_BOOL}, {"tools", F_STRING},
    {"http", F_STRING}, {"no_browser", F_BOOL}, {"tls_cert", F_STRING}, {"tls_key", F_STRING},
    {"tls_ca", F_STRING},
};

typedef struct parse_state {
    np_cli *cli;
    const char *legacy_si[8]; /* sample selections from -inuse_space etc., in pprof's order */
    bool legacy_set[8];
    bool plain_base;          /* -base given (exclusive with -diff_base) */
    char **choice_set;        /* choice flags given, e.g. "lines" */
    size_t n_choice;
    const np_command *cmds[4];
    char *cmd_args[4];
    size_t n_cmds;
} parse_state;

static void push_str(char ***arr, size_t *n, const char *s)
{
    *arr = np_xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = np_xstrdup(s);
}

static int parse_int(const char *name, const char *v, int *out, np_err *err)
{
    char *end;
    long x = strtol(v, &end, 0);
    if (!*v || *end)
        return np_fail(err, "invalid value \"%s\" for flag -%s: parse error", v, name);
    *out = (int)x;
    return 0;
}

/* The flag's kind: 0 unknown, else sets *kind. */
static bool lookup(const char *name, enum flag_kind *kind)
{
    bool is_choice;
    const np_option *o = np_option_find(name, &is_choice);
    if (o) {
        *kind = is_choice || o->type == NP_OPT_BOOL ? F_BOOL : F_STRING;
        return true;
    }
    const np_command *c = np_command_find(name);
    if (c) {
        *kind = c->has_param ? F_STRING : F_BOOL;
        return true;
    }
    for (size_t i = 0; i < sizeof source_flags / sizeof source_flags[0]; i++) {
        if (strcmp(source_flags[i].name, name) == 0) {
            *kind = source_flags[i].kind;
            return true;
        }
    }
    if (strcmp(name, "weblist") == 0 || strcmp(name, "web") == 0 || strcmp(name, "kcachegrind") == 0 ||
        strcmp(name, "eog") == 0 || strcmp(name, "evince") == 0 || strcmp(name, "gv") == 0) {
        *kind = strcmp(name, "weblist") == 0 ? F_STRING : F_BOOL;
        return true;
    }
    return false;
}

static const char *const legacy_names[] = {"total_delay", "mean_delay", "contentions", "inuse_space",
                                           "inuse_objects", "alloc_space", "alloc_objects"};
static const char *const legacy_types[] = {"delay", "delay", "contentions", "inuse_space",
                                           "inuse_objects", "alloc_space", "alloc_objects"};

static int set_flag(parse_state *st, const char *name, const char *value, bool has_value, np_err *err)
{
    np_cli *cli = st->cli;
    enum flag_kind kind;
    lookup(name, &kind);
    bool b = true;
    if (kind == F_BOOL && has_value && np_parse_bool(value, &b) < 0)
        return np_fail(err, "invalid boolean value \"%s\" for -%s: parse error", value, name);
    bool is_choice;
    const np_option *o = np_option_find(name, &is_choice);
    if (o && is_choice) {
        if (b)
            push_str(&st->choice_set, &st->n_choice, name);
        return 0;
    }
    if (o)
        return np_config_set(&cli->cfg, name, kind == F_BOOL ? (b ? "true" : "false") : value, err) < 0
                   ? np_fail(err, "invalid value \"%s\" for flag -%s: %s", value, name, err->msg)
                   : 0;
    const np_command *c = np_command_find(name);
    if (c) {
        if ((kind == F_BOOL && b) || (kind == F_STRING && value[0])) {
            if (st->n_cmds < 4) {
                st->cmds[st->n_cmds] = c;
                st->cmd_args[st->n_cmds] = kind == F_STRING ? np_xstrdup(value) : NULL;
            }
            st->n_cmds++;
        }
        return 0;
    }
    if (strcmp(name, "diff_base") == 0 || strcmp(name, "base") == 0) {
        if (value[0]) {
            push_str(&st->cli->src.bases, &st->cli->src.n_bases, value);
            if (strcmp(name, "diff_base") == 0)
                st->cli->src.diff_base = true;
            else
                st->plain_base = true;
        }
        return 0;
    }
    if (strcmp(name, "seconds") == 0)
        return parse_int(name, value, &cli->src.seconds, err);
    if (strcmp(name, "timeout") == 0)
        return parse_int(name, value, &cli->src.timeout, err);
    if (strcmp(name, "add_comment") == 0) {
        free((char *)cli->src.comment);
        cli->src.comment = np_xstrdup(value);
        return 0;
    }
    if (strcmp(name, "buildid") == 0) {
        free((char *)cli->src.buildid);
        cli->src.buildid = np_xstrdup(value);
        return 0;
    }
    if (strcmp(name, "symbolize") == 0) {
        free((char *)cli->src.symbolize);
        cli->src.symbolize = np_xstrdup(value);
        return 0;
    }
    if (strcmp(name, "http") == 0) {
        free(cli->http);
        cli->http = np_xstrdup(value);
        return 0;
    }
    if (strcmp(name, "no_browser") == 0) {
        cli->no_browser = b;
        return 0;
    }
    for (int i = 0; i < 7; i++)
        if (strcmp(name, legacy_names[i]) == 0)
            st->legacy_set[i] = b;
    if (strcmp(name, "weblist") == 0 || strcmp(name, "web") == 0 || strcmp(name, "kcachegrind") == 0 ||
        strcmp(name, "eog") == 0 || strcmp(name, "evince") == 0 || strcmp(name, "gv") == 0)
        if ((kind == F_BOOL && b) || (kind == F_STRING && value[0]))
            return np_fail(err, "-%s needs a graphical environment and is not supported by nprof; "
                                "use -svg/-pdf -output FILE or -http", name);
    return 0; /* accepted and ignored: symbolize, tools, tls_* */
}

static int finish(parse_state *st, np_err *err)
{
    np_cli *cli = st->cli;
    if (st->n_choice) {
        /* Several choices of one group conflict; pprof reports them as a set. */
        for (size_t i = 0; i < st->n_choice; i++) {
            const np_option *oi = np_option_find(st->choice_set[i], NULL);
            for (size_t j = i + 1; j < st->n_choice; j++) {
                if (np_option_find(st->choice_set[j], NULL) == oi && strcmp(st->choice_set[i], st->choice_set[j]))
                    return np_fail(err, "conflicting options set: [%s %s]", st->choice_set[i], st->choice_set[j]);
            }
            np_config_set(&cli->cfg, oi->name, st->choice_set[i], NULL);
        }
    }
    if (st->n_cmds > 1)
        return np_fail(err, "must set at most one output format");
    if (st->n_cmds == 1) {
        cli->cmd = st->cmds[0];
        cli->cmd_arg = st->cmd_args[0];
    }
    if (cli->cmd && cli->http && cli->http[0])
        return np_fail(err, "-http is not compatible with an output format on the command line");
    if (cli->no_browser && !(cli->http && cli->http[0]))
        return np_fail(err, "-no_browser only makes sense with -http");
    const char *si = cli->cfg.sample_index;
    char *chosen = si[0] ? np_xstrdup(si) : NULL;
    for (int i = 0; i < 7; i++) {
        if (!st->legacy_set[i])
            continue;
        if (!chosen)
            chosen = np_xstrdup(legacy_types[i]);
        else
            fprintf(stderr, "Multiple value selections, ignoring -%s\n", legacy_names[i]);
    }
    if (chosen) {
        np_config_set(&cli->cfg, "sample_index", chosen, NULL);
        free(chosen);
    }
    if (st->legacy_set[1])
        cli->cfg.mean = true;
    if (cli->src.diff_base && st->plain_base)
        return np_fail(err, "-base and -diff_base flags cannot both be specified");
    if (cli->cfg.normalize && cli->src.n_bases == 0)
        return np_fail(err, "must have base profile to normalize by");
    cli->src.normalize = cli->cfg.normalize;
    return 0;
}

int np_cli_parse(int argc, char **argv, np_cli *cli, bool *usage_error, np_err *err)
{
    memset(cli, 0, sizeof *cli);
    np_config_default(&cli->cfg);
    cli->src.seconds = -1;
    cli->src.timeout = -1;
    *usage_error = false;
    parse_state st;
    memset(&st, 0, sizeof st);
    st.cli = cli;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0)
            break;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        const char *name = a + 1 + (a[1] == '-');
        if (!*name || *name == '-' || *name == '=') {
            *usage_error = true;
            return np_fail(err, "bad flag syntax: %s", a);
        }
        const char *eq = strchr(name, '=');
        char nm[256];
        snprintf(nm, sizeof nm, "%.*s", (int)(eq ? (size_t)(eq - name) : strlen(name)), name);
        if (strcmp(nm, "h") == 0 || strcmp(nm, "help") == 0) {
            cli->help = true;
            return 0;
        }
        enum flag_kind kind;
        if (!lookup(nm, &kind)) {
            *usage_error = true;
            return np_fail(err, "flag provided but not defined: -%s", nm);
        }
        const char *value = eq ? eq + 1 : "";
        if (!eq && kind != F_BOOL) {
            if (i + 1 >= argc) {
                *usage_error = true;
                return np_fail(err, "flag needs an argument: -%s", nm);
            }
            value = argv[++i];
        }
        if (set_flag(&st, nm, value, eq != NULL, err) < 0) {
            *usage_error = true;
            return -1;
        }
    }
    for (; i < argc; i++)
        push_str(&cli->src.sources, &cli->src.n_sources, argv[i]);
    int rc = finish(&st, err);
    for (size_t k = 0; k < st.n_choice; k++)
        free(st.choice_set[k]);
    free(st.choice_set);
    for (size_t k = 1; k < st.n_cmds && k < 4; k++)
        free(st.cmd_args[k]);
    if (rc == 0 && cli->src.n_sources == 0 && !cli->help)
        return np_fail(err, "no profile source specified");
    /* pprof takes a first argument that is a local binary or a build id as such. */
    if (rc == 0 && cli->src.n_sources > 1) {
        const char *a0 = cli->src.sources[0];
        bool hex = a0[0] != 0 && strspn(a0, "0123456789abcdefABCDEF") == strlen(a0);
        FILE *f = fopen(a0, "rb");
        char magic[4] = {0};
        bool elf = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "\177ELF", 4) == 0;
        if (f)
            fclose(f);
        if (elf || (hex && !cli->src.buildid)) {
            if (elf) {
                cli->src.exec_name = np_xstrdup(a0);
            } else {
                free((char *)cli->src.buildid);
                cli->src.buildid = np_xstrdup(a0);
            }
            free(cli->src.sources[0]);
            memmove(cli->src.sources, cli->src.sources + 1, (cli->src.n_sources - 1) * sizeof *cli->src.sources);
            cli->src.n_sources--;
        }
    }
    return rc;
}

void np_cli_free(np_cli *cli)
{
    for (size_t i = 0; i < cli->src.n_sources; i++)
        free(cli->src.sources[i]);
    free(cli->src.sources);
    for (size_t i = 0; i < cli->src.n_bases; i++)
        free(cli->src.bases[i]);
    free(cli->src.bases);
    free((char *)cli->src.comment);
    free((char *)cli->src.buildid);
    free((char *)cli->src.exec_name);
    free((char *)cli->src.symbolize);
    free(cli->cmd_arg);
    free(cli->http);
    np_config_free(&cli->cfg);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *help_line(const char *prefix, const char *name, const char *help)
{
    np_buf b = {0};
    char full[128];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    size_t n = strcspn(help, "\n");
    np_buf_printf(&b, "    %-16s %.*s", full, (int)n, help);
    return (char *)np_buf_cstr(&b);
}

static void put_sorted(np_buf *out, char **lines, size_t n)
{
    qsort(lines, n, sizeof *lines, cmp_str);
    for (size_t i = 0; i < n; i++) {
        np_buf_printf(out, "%s%s", i ? "\n" : "", lines[i]);
        free(lines[i]);
    }
}

void np_cli_usage(np_buf *out, bool command_line)
{
    const char *prefix = command_line ? "-" : "";
    char *lines[64];
    size_t n = 0;
    for (size_t i = 0; i < np_n_commands; i++)
        lines[n++] = help_line(prefix, np_commands[i].name, np_commands[i].description);
    np_buf_puts(out, command_line ? "  Output formats (select at most one):\n" : "  Commands:\n");
    put_sorted(out, lines, n);
    if (!command_line) {
        char *a = help_line("", "o/options", "List options and their current values");
        char *b = help_line("", "q/quit/exit/^D", "Exit pprof");
        np_buf_printf(out, "\n%s\n%s", a, b);
        free(a);
        free(b);
    }
    np_buf_puts(out, "\n\n  Options:\n");
    n = 0;
    char *radio[8];
    size_t nr = 0;
    for (size_t i = 0; i < np_n_options; i++) {
        const np_option *o = &np_options[i];
        if (o->type != NP_OPT_CHOICE) {
            lines[n++] = help_line(prefix, o->name, o->help);
            continue;
        }
        np_buf g = {0};
        char *head = help_line("", o->name, "");
        np_buf_puts(&g, head);
        free(head);
        for (const char *const *ch = o->choices; *ch; ch++) {
            char *l = help_line(prefix, *ch, np_choice_help(*ch));
            np_buf_printf(&g, "\n  %s", l);
            free(l);
        }
        radio[nr++] = (char *)np_buf_cstr(&g);
    }
    put_sorted(out, lines, n);
    np_buf_puts(out, "\n\n  Option groups (only set one per group):\n");
    put_sorted(out, radio, nr);
}
