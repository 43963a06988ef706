/* Command-line parsing with the rules of Go's flag package (one or two dashes, -name=value or
 * -name value for non-booleans, parsing stops at the first non-flag) and pprof's flags. */
#include "analyze/cli.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/gofmt.h"

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
    {"width", F_INT}, {"depth", F_INT},
};

typedef struct parse_state {
    np_cli *cli;
    const char *legacy_si[8]; /* sample selections from -inuse_space etc., in pprof's order */
    bool legacy_set[8];
    char **choice_set;        /* choice flags given, e.g. "lines" */
    size_t n_choice;
    /* Report flags set, each once: a repeated flag keeps its last value as Go's flag
     * package does, and one set back to false or "" drops out. */
    const np_command *cmds[64];
    char *cmd_args[64];
    size_t n_cmds;
    /* -base and -diff_base are plain string flags in pprof: the last value of each counts. */
    char *base_val, *diff_base_val;
} parse_state;

static void push_str(char ***arr, size_t *n, const char *s)
{
    *arr = np_xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = np_xstrdup(s);
}

/* Fails with Go flag's "invalid value %q for flag -%s: %v". */
static int bad_value(np_err *err, const char *value, const char *name, const char *why)
{
    np_buf q = {0};
    np_go_quote(&q, value);
    np_fail(err, "invalid value %s for flag -%s: %s", np_buf_cstr(&q), name, why);
    np_buf_free(&q);
    return -1;
}

/* Go's rule for digit separators: an underscore only between digits, or right after a base
 * prefix (strconv's underscoreOK). */
static bool underscores_ok(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    bool hex = false;
    char prev = '^'; /* '0' digit or prefix, '_' underscore, '!' anything else, '^' start */
    if (s[0] == '0' && s[1] && strchr("bBoOxX", s[1])) {
        hex = s[1] == 'x' || s[1] == 'X';
        prev = '0';
        s += 2;
    }
    for (; *s; s++) {
        bool digit = (*s >= '0' && *s <= '9') || (hex && strchr("abcdefABCDEF", *s));
        if (digit) {
            prev = '0';
        } else if (*s == '_') {
            if (prev != '0')
                return false;
            prev = '_';
        } else {
            if (prev == '_')
                return false;
            prev = '!';
        }
    }
    return prev != '_';
}

/* Value of a digit in base 36 notation, or 99. */
static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Parses an integer flag value as Go's flag package does (strconv.ParseInt with base 0:
 * sign, 0x/0o/0b or leading-zero octal, underscores). Returns 0, or the Go error text. */
static const char *go_parse_int(const char *v, long long *out)
{
    const char *s = v;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        base = 8;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        s += 2;
    } else if (s[0] == '0' && s[1]) {
        base = 8;
        s++;
    }
    if (!*s)
        return "parse error";
    bool underscore = false, range = false;
    unsigned long long x = 0;
    for (; *s; s++) {
        if (*s == '_') {
            underscore = true;
            continue;
        }
        int d = digit_value(*s);
        if (d >= base)
            return "parse error";
        if (x > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
            range = true;
        else
            x = x * (unsigned)base + (unsigned)d;
    }
    if (underscore && !underscores_ok(v))
        return "parse error";
    if (range || x > (neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX))
        return "value out of range";
    *out = neg ? (long long)(0 - x) : (long long)x;
    return NULL;
}

/* Parses a float flag value as strconv.ParseFloat: decimal or hexadecimal (with a p exponent)
 * mantissas, underscores, inf/infinity/nan in any case; no spaces. Returns 0 or the error. */
static const char *go_parse_float(const char *v, double *out)
{
    const char *s = v;
    const char *body = (*s == '+' || *s == '-') ? s + 1 : s;
    if (strcasecmp(body, "inf") == 0 || strcasecmp(body, "infinity") == 0) {
        *out = *s == '-' ? -HUGE_VAL : HUGE_VAL;
        return NULL;
    }
    if (strcasecmp(s, "nan") == 0) {
        *out = NAN;
        return NULL;
    }
    s = body;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex)
        s += 2;
    size_t digits = 0;
    bool dot = false, underscore = false;
    for (; *s; s++) {
        if (*s == '_') {
            underscore = true;
        } else if (*s == '.' && !dot) {
            dot = true;
        } else if (digit_value(*s) < (hex ? 16 : 10)) {
            digits++;
        } else {
            break;
        }
    }
    if (digits == 0)
        return "parse error";
    if (*s == (hex ? 'p' : 'e') || *s == (hex ? 'P' : 'E')) {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        size_t ed = 0;
        for (; *s; s++) {
            if (*s == '_')
                underscore = true;
            else if (*s >= '0' && *s <= '9')
                ed++;
            else
                break;
        }
        if (ed == 0)
            return "parse error";
    } else if (hex) {
        return "parse error"; /* Go wants a binary exponent on hexadecimal floats */
    }
    if (*s || (underscore && !underscores_ok(v)))
        return "parse error";
    char *plain = np_xstrdup(v), *w = plain;
    for (const char *r = v; *r; r++)
        if (*r != '_')
            *w++ = *r;
    *w = 0;
    *out = strtod(plain, NULL);
    free(plain);
    if (isinf(*out))
        return "value out of range";
    return NULL;
}

static int parse_int(const char *name, const char *v, int *out, np_err *err)
{
    long long x = 0;
    const char *why = go_parse_int(v, &x);
    if (why)
        return bad_value(err, v, name, why);
    /* Go keeps 64 bits; anything past int here already means "no limit" to every user. */
    *out = x > INT_MAX ? INT_MAX : x < INT_MIN ? INT_MIN : (int)x;
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
    if (strcmp(name, "kcachegrind") == 0 || strcmp(name, "eog") == 0 || strcmp(name, "evince") == 0 ||
        strcmp(name, "gv") == 0) {
        *kind = F_BOOL;
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
    if (kind == F_BOOL && has_value && np_parse_bool(value, &b) < 0) {
        np_buf q = {0};
        np_go_quote(&q, value);
        np_fail(err, "invalid boolean value %s for -%s: parse error", np_buf_cstr(&q), name);
        np_buf_free(&q);
        return -1;
    }
    bool is_choice;
    const np_option *o = np_option_find(name, &is_choice);
    if (o && is_choice) {
        if (b)
            push_str(&st->choice_set, &st->n_choice, name);
        return 0;
    }
    if (o && o->type == NP_OPT_INT) {
        /* Go's flag package checks the text before pprof sees a number. */
        int x = 0;
        if (parse_int(name, value, &x, err) < 0)
            return -1;
        char num[32];
        snprintf(num, sizeof num, "%d", x);
        return np_config_set(&cli->cfg, name, num, err);
    }
    if (o && o->type == NP_OPT_FLOAT) {
        double x;
        const char *why = go_parse_float(value, &x);
        if (why)
            return bad_value(err, value, name, why);
        char num[64];
        snprintf(num, sizeof num, "%.17g", x);
        return np_config_set(&cli->cfg, name, num, err);
    }
    if (o) {
        np_err inner;
        if (np_config_set(&cli->cfg, name, kind == F_BOOL ? (b ? "true" : "false") : value, &inner) < 0)
            return bad_value(err, value, name, inner.msg);
        return 0;
    }
    const np_command *c = np_command_find(name);
    if (c) {
        bool on = (kind == F_BOOL && b) || (kind == F_STRING && value[0]);
        size_t k = 0;
        while (k < st->n_cmds && st->cmds[k] != c)
            k++;
        if (k < st->n_cmds) {
            free(st->cmd_args[k]);
            if (!on) {
                memmove(st->cmds + k, st->cmds + k + 1, (st->n_cmds - k - 1) * sizeof *st->cmds);
                memmove(st->cmd_args + k, st->cmd_args + k + 1, (st->n_cmds - k - 1) * sizeof *st->cmd_args);
                st->n_cmds--;
                return 0;
            }
        } else {
            if (!on || k == sizeof st->cmds / sizeof *st->cmds)
                return 0;
            st->cmds[k] = c;
            st->n_cmds++;
        }
        st->cmd_args[k] = kind == F_STRING ? np_xstrdup(value) : NULL;
        return 0;
    }
    if (strcmp(name, "diff_base") == 0 || strcmp(name, "base") == 0) {
        char **slot = strcmp(name, "diff_base") == 0 ? &st->diff_base_val : &st->base_val;
        free(*slot);
        *slot = np_xstrdup(value);
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
    if (strcmp(name, "width") == 0)
        return parse_int(name, value, &cli->cfg.width, err);
    if (strcmp(name, "depth") == 0)
        return parse_int(name, value, &cli->cfg.depth, err);
    for (int i = 0; i < 7; i++)
        if (strcmp(name, legacy_names[i]) == 0)
            st->legacy_set[i] = b;
    if (strcmp(name, "kcachegrind") == 0 || strcmp(name, "eog") == 0 || strcmp(name, "evince") == 0 ||
        strcmp(name, "gv") == 0)
        if (kind == F_BOOL && b)
            return np_fail(err, "-%s needs a graphical environment and is not supported by nprof; "
                                "use -svg/-pdf -output FILE, -web or -http", name);
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
    if (cli->cfg.width != 0 && (cli->cfg.width < 16 || cli->cfg.width > 10000))
        return np_fail(err, "-width must be between 16 and 10000 columns, not %d", cli->cfg.width);
    if (cli->cfg.depth < 0)
        return np_fail(err, "-depth must not be negative, not %d", cli->cfg.depth);
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
    bool has_base = st->base_val && st->base_val[0], has_diff = st->diff_base_val && st->diff_base_val[0];
    if (has_base && has_diff)
        return np_fail(err, "-base and -diff_base flags cannot both be specified");
    if (has_base || has_diff) {
        push_str(&cli->src.bases, &cli->src.n_bases, has_diff ? st->diff_base_val : st->base_val);
        cli->src.diff_base = has_diff;
    }
    if (cli->cfg.normalize && cli->src.n_bases == 0)
        return np_fail(err, "must have base profile to normalize by");
    cli->src.normalize = cli->cfg.normalize;
    return 0;
}

/* Little-endian fields of a file read whole; reads past the end fail. */
typedef struct le_file {
    const unsigned char *d;
    size_t n;
} le_file;

static bool le_get(const le_file *f, uint64_t off, size_t len, uint64_t *v)
{
    if (off > f->n || len > f->n - off)
        return false;
    *v = 0;
    for (size_t i = len; i-- > 0;)
        *v = *v << 8 | f->d[off + i];
    return true;
}

static bool le_has(const le_file *f, uint64_t off, uint64_t len)
{
    return off <= f->n && len <= f->n - off;
}

/* Offset o of the PE/COFF string table names a string inside it (Go checks this). */
static bool pe_str_ok(uint64_t o, uint64_t table_len)
{
    return o >= 4 && o - 4 <= table_len;
}

/* Whether Go's debug/pe would read the file as a COFF object. It accepts a bare COFF header
 * of machine 0, so pprof takes legacy binary CPU profiles (they start with zero words) for
 * an executable when one comes first of several arguments; this replays the same checks. */
static bool pe_readable(const le_file *f)
{
    uint64_t v, base = 0;
    if (f->n < 96)
        return false;
    if (f->d[0] == 'M' && f->d[1] == 'Z') {
        le_get(f, 0x3c, 4, &v);
        if (!le_has(f, v, 4) || memcmp(f->d + v, "PE\0\0", 4) != 0)
            return false;
        base = v + 4;
    }
    uint64_t machine, nsect = 0, symptr = 0, nsym = 0, optsz = 0;
    if (!le_get(f, base, 2, &machine) || !le_has(f, base, 20))
        return false;
    le_get(f, base + 2, 2, &nsect);
    le_get(f, base + 8, 4, &symptr);
    le_get(f, base + 12, 4, &nsym);
    le_get(f, base + 16, 2, &optsz);
    if (machine != 0 && machine != 0x8664 && machine != 0xaa64 && machine != 0x1c4 && machine != 0x14c)
        return false;
    uint64_t strtab = 0; /* string table bytes after its length word */
    if (symptr > 0) {
        uint64_t off = (uint32_t)(symptr + 18 * nsym), len;
        if (!le_get(f, off, 4, &len))
            return false;
        if (len > 4) {
            if (!le_has(f, off + 4, len - 4))
                return false;
            strtab = len - 4;
        }
        if (nsym > 0) {
            if (!le_has(f, symptr, 18 * nsym))
                return false;
            uint64_t aux = 0;
            for (uint64_t k = 0; k < nsym; k++) {
                const unsigned char *sym = f->d + symptr + 18 * k;
                if (aux > 0) {
                    aux--;
                    continue;
                }
                if (sym[0] == 0 && sym[1] == 0 && sym[2] == 0 && sym[3] == 0) {
                    uint64_t o = sym[4] | sym[5] << 8 | sym[6] << 16 | (uint64_t)sym[7] << 24;
                    if (!pe_str_ok(o, strtab))
                        return false;
                }
                aux = sym[17];
            }
            if (aux > 0)
                return false;
        }
    }
    uint64_t p = base + 20;
    if (optsz > 0) {
        uint64_t magic;
        if (optsz < 2 || !le_get(f, p, 2, &magic))
            return false;
        uint64_t min = magic == 0x10b ? 96 : magic == 0x20b ? 112 : 0;
        if (min == 0 || optsz < min || !le_has(f, p, optsz))
            return false;
        p += optsz;
    }
    for (uint64_t i = 0; i < nsect; i++, p += 40) {
        if (!le_has(f, p, 40))
            return false;
        const unsigned char *sh = f->d + p;
        if (sh[0] == '/') {
            char num[8] = {0};
            memcpy(num, sh + 1, 7);
            char *end;
            size_t nl = strnlen(num, 7);
            long o = strtol(num, &end, 10);
            if (nl == 0 || end != num + nl || o < 0 || !pe_str_ok((uint64_t)o, strtab))
                return false;
        }
    }
    p = base + 20 + optsz;
    for (uint64_t i = 0; i < nsect; i++, p += 40) {
        uint64_t rptr = 0, nrel = 0;
        le_get(f, p + 24, 4, &rptr);
        le_get(f, p + 32, 2, &nrel);
        if (nrel > 0 && !le_has(f, rptr, 10 * nrel))
            return false;
    }
    return true;
}

/* Whether pprof's object reader (Go's cmd/internal/objfile) opens path: then a first argument
 * of several is the executable, not a profile. ELF, Mach-O, PE/COFF, Plan 9 and XCOFF are
 * recognised; for all but PE the magic number stands for the whole check. */
static bool go_object_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    np_buf b = {0};
    char chunk[65536];
    size_t got;
    bool more = true;
    /* The first chunk settles most files (profiles are not PE images unless they start with a
     * known machine type or "MZ"); only PE candidates are read on, since its tables can sit
     * anywhere. */
    while (more && b.len < ((size_t)64 << 20) && (got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        np_buf_add(&b, chunk, got);
        if (b.len >= 2 && !(b.data[0] == 'M' && b.data[1] == 'Z')) {
            unsigned m = (unsigned char)b.data[0] | (unsigned)(unsigned char)b.data[1] << 8;
            more = m == 0 || m == 0x8664 || m == 0xaa64 || m == 0x1c4 || m == 0x14c;
        }
    }
    fclose(fp);
    le_file f = {(const unsigned char *)b.data, b.len};
    bool ok = false;
    if (f.n >= 4) {
        const unsigned char *d = f.d;
        uint32_t le = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
        uint32_t be = (uint32_t)d[3] | (uint32_t)d[2] << 8 | (uint32_t)d[1] << 16 | (uint32_t)d[0] << 24;
        uint32_t be16 = (uint32_t)d[0] << 8 | d[1];
        ok = memcmp(d, "\177ELF", 4) == 0 || le == 0xfeedface || le == 0xfeedfacf || be == 0xfeedface ||
             be == 0xfeedfacf || be16 == 0x01df || be16 == 0x01f7 || be == 0x1eb || be == 0x8a97 ||
             be == 0x647 || pe_readable(&f);
    }
    np_buf_free(&b);
    return ok;
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
    int i = 1, rc = 0;
    for (; i < argc && rc == 0; i++) {
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
            rc = np_fail(err, "bad flag syntax: %s", a);
            break;
        }
        const char *eq = strchr(name, '=');
        char nm[256];
        snprintf(nm, sizeof nm, "%.*s", (int)(eq ? (size_t)(eq - name) : strlen(name)), name);
        if (strcmp(nm, "h") == 0 || strcmp(nm, "help") == 0) {
            cli->help = true;
            break;
        }
        if (strcmp(nm, "version") == 0) {
            cli->version = true;
            break;
        }
        enum flag_kind kind;
        if (!lookup(nm, &kind)) {
            *usage_error = true;
            rc = np_fail(err, "flag provided but not defined: -%s", nm);
            break;
        }
        const char *value = eq ? eq + 1 : "";
        if (!eq && kind != F_BOOL) {
            if (i + 1 >= argc) {
                *usage_error = true;
                rc = np_fail(err, "flag needs an argument: -%s", nm);
                break;
            }
            value = argv[++i];
        }
        if (set_flag(&st, nm, value, eq != NULL, err) < 0) {
            *usage_error = true;
            rc = -1;
        }
    }
    if (rc == 0 && !cli->help && !cli->version) {
        for (; i < argc; i++)
            push_str(&cli->src.sources, &cli->src.n_sources, argv[i]);
        /* pprof wants a source before it looks at how the flags combine. */
        rc = cli->src.n_sources == 0 ? np_fail(err, "no profile source specified") : finish(&st, err);
    }
    /* The parse state's copies are freed on every path; cli owns only what finish gave it. */
    for (size_t k = 0; k < st.n_choice; k++)
        free(st.choice_set[k]);
    free(st.choice_set);
    for (size_t k = 0; k < st.n_cmds; k++)
        if (st.cmd_args[k] != cli->cmd_arg)
            free(st.cmd_args[k]);
    free(st.base_val);
    free(st.diff_base_val);
    if (cli->help || cli->version)
        return 0;
    /* pprof takes a first argument that is a local binary or a build id as such. */
    if (rc == 0 && cli->src.n_sources > 1) {
        const char *a0 = cli->src.sources[0];
        bool hex = strspn(a0, "0123456789abcdefABCDEF") == strlen(a0); /* "" too, as in pprof */
        bool elf = go_object_file(a0);
        if (elf || (hex && !(cli->src.buildid && cli->src.buildid[0]))) {
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
    qsort(lines, n, sizeof *lines, np_cmp_strptr);
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
