/* Unit tests for the symbolizer (symbolize.h): programs compiled here at test time (gcc -O2 with
 * DWARF 5/4/3, compressed sections, PIE and not, C++, clang) are symbolized at every function
 * start and many addresses in between, and compared with addr2line (or llvm-symbolizer);
 * system binaries for symbol tables and build IDs; separate debug files by build ID and
 * debuglink; address translation in this very process; truncated and corrupted files;
 * compressed sections inflated in pieces give the same frames as inflated whole, in bounded
 * memory. */
#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/sym/symbolize.h"
#include "unit.h"
#include "core/util.h"

/* ---- test programs ---- */

static const char HELPERS_H[] =
    "static inline int clamp_add(int a, int b)\n"
    "{\n"
    "    int s = a + b;\n"
    "    if (s > 1000000)\n"
    "        s = 1000000;\n"
    "    return s;\n"
    "}\n"
    "int mix(int a, int b);\n";

static const char HELPERS_C[] =
    "#include \"helpers.h\"\n"
    "static unsigned rotl(unsigned x, int k) { return (x << k) | (x >> (32 - k)); }\n"
    "int mix(int a, int b) { return (int)(rotl((unsigned)a, 5) ^ (unsigned)clamp_add(b, a)); }\n";

static const char PROG_C[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include \"helpers.h\"\n"
    "struct node { struct node *next; int v; };\n"
    "static int sq(int x) { return x * x; }\n"
    "static inline int add_sq(int a, int b) { return sq(a) + sq(b); }\n"
    "__attribute__((noinline)) int work(int n)\n"
    "{\n"
    "    int s = 0;\n"
    "    for (int i = 0; i < n; i++)\n"
    "        s += add_sq(i, n - i) + clamp_add(i, s);\n"
    "    return s;\n"
    "}\n"
    "__attribute__((noinline, cold)) static void fail(const char *why)\n"
    "{\n"
    "    fprintf(stderr, \"fail: %s\\n\", why);\n"
    "    exit(2);\n"
    "}\n"
    "__attribute__((noinline)) static struct node *build(int n)\n"
    "{\n"
    "    struct node *head = NULL;\n"
    "    for (int i = 0; i < n; i++) {\n"
    "        struct node *x = malloc(sizeof *x);\n"
    "        if (__builtin_expect(!x, 0))\n"
    "            fail(\"oom\");\n"
    "        x->v = i;\n"
    "        x->next = head;\n"
    "        head = x;\n"
    "    }\n"
    "    return head;\n"
    "}\n"
    "static int sum_list(const struct node *p) { int s = 0; for (; p; p = p->next) s += p->v; return s; }\n"
    "int recurse(int n) { return n <= 1 ? 1 : n * recurse(n - 1) % 1000003; }\n"
    "int dispatch(int op, int a, int b)\n"
    "{\n"
    "    switch (op) {\n"
    "    case 0: return a + b;\n"
    "    case 1: return a - b;\n"
    "    case 2: return a * b;\n"
    "    case 3: return b ? a / b : 0;\n"
    "    default: return mix(a, b);\n"
    "    }\n"
    "}\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    int n = argc > 1 ? atoi(argv[1]) : 100;\n"
    "    struct node *l = build(n);\n"
    "    int (*fp)(int) = argc > 5 ? recurse : work;\n"
    "    printf(\"%d %d %d %d\\n\", work(n), sum_list(l), fp(n), dispatch(argc, n, 3));\n"
    "    return 0;\n"
    "}\n";

static const char PROG_CC[] =
    "#include <algorithm>\n"
    "#include <cstdio>\n"
    "#include <map>\n"
    "#include <memory>\n"
    "#include <string>\n"
    "#include <vector>\n"
    "namespace shapes {\n"
    "struct Shape { virtual ~Shape() {} virtual double area() const = 0; };\n"
    "struct Sq : Shape {\n"
    "    double s;\n"
    "    explicit Sq(double x) : s(x) {}\n"
    "    double area() const override { return s * s; }\n"
    "};\n"
    "template <typename T> struct Box { T v; T get() const { return v; } void put(T x) { v = x; } };\n"
    "}\n"
    "namespace {\n"
    "__attribute__((noinline)) int hidden(int x) { return x * 7 + 1; }\n"
    "}\n"
    "static std::map<std::string, int> counts;\n"
    "template <typename F> static int apply(F f, int n) { int s = 0; for (int i = 0; i < n; i++) s += f(i); return s; }\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    std::vector<std::unique_ptr<shapes::Shape>> v;\n"
    "    for (int i = 0; i < argc * 10; i++)\n"
    "        v.emplace_back(new shapes::Sq(i));\n"
    "    double t = 0;\n"
    "    for (auto &p : v)\n"
    "        t += p->area();\n"
    "    std::sort(v.begin(), v.end(), [](auto &a, auto &b) { return a->area() > b->area(); });\n"
    "    shapes::Box<std::string> b;\n"
    "    b.put(argv[0]);\n"
    "    counts[b.get()]++;\n"
    "    int k = apply([&](int i) { return i * argc; }, 100) + hidden(argc);\n"
    "    std::printf(\"%f %d %zu\\n\", t, k, counts.size());\n"
    "}\n";

/* ---- helpers ---- */

static char g_dir[64];

static void cleanup(void)
{
    if (g_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", g_dir);
    }
}

static bool write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static bool have(const char *tool)
{
    return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

/* The scratch directory with the test sources written into it, or NULL. */
static const char *workdir(void)
{
    if (g_dir[0])
        return g_dir;
    snprintf(g_dir, sizeof g_dir, "/tmp/np_symtest.XXXXXX");
    if (!mkdtemp(g_dir)) {
        g_dir[0] = 0;
        return NULL;
    }
    atexit(cleanup);
    char p[256];
    snprintf(p, sizeof p, "%s/helpers.h", g_dir);
    write_file(p, HELPERS_H, sizeof HELPERS_H - 1);
    snprintf(p, sizeof p, "%s/helpers.c", g_dir);
    write_file(p, HELPERS_C, sizeof HELPERS_C - 1);
    snprintf(p, sizeof p, "%s/prog.c", g_dir);
    write_file(p, PROG_C, sizeof PROG_C - 1);
    snprintf(p, sizeof p, "%s/prog.cc", g_dir);
    write_file(p, PROG_CC, sizeof PROG_CC - 1);
    return g_dir;
}

/* Compiles the C program (or the C++ one when cxx) with the given compiler and flags into
 * workdir()/name, whose path goes to out; false if that fails. */
static bool compile(char *out, size_t outlen, const char *name, const char *cc, const char *flags, bool cxx)
{
    const char *d = workdir();
    if (!d)
        return false;
    snprintf(out, outlen, "%s/%s", d, name);
    if (cxx)
        return sh("cd '%s' && %s %s -o '%s' prog.cc 2>&1", d, cc, flags, out) == 0;
    return sh("cd '%s' && %s %s -o '%s' prog.c helpers.c 2>&1", d, cc, flags, out) == 0;
}

static char *slurp(const char *path)
{
    np_buf b = {0};
    np_err err;
    if (np_read_file(path, &b, &err) < 0) {
        np_buf_free(&b);
        return NULL;
    }
    np_buf_cstr(&b);
    return b.data ? b.data : np_xstrdup("");
}

/* ---- addresses to test: every function of a binary, sampled inside ---- */

typedef struct addrset {
    uint64_t *v;
    size_t n, cap;
    char **names; /* the function symbols' names, for the C++ comparison */
    size_t nnames, names_cap;
} addrset;

static void addrset_free(addrset *a)
{
    free(a->v);
    for (size_t i = 0; i < a->nnames; i++)
        free(a->names[i]);
    free(a->names);
    memset(a, 0, sizeof *a);
}

static bool is_symbol_name(const addrset *a, const char *s)
{
    for (size_t i = 0; i < a->nnames; i++)
        if (strcmp(a->names[i], s) == 0)
            return true;
    return false;
}

/* Function symbols of symfile (nm): their starts, ends and every stride-th byte between. */
static bool function_addrs(const char *symfile, int stride, addrset *out)
{
    char nmout[256];
    snprintf(nmout, sizeof nmout, "%s/nm.txt", workdir());
    if (sh("nm -S --defined-only '%s' > '%s' 2>/dev/null", symfile, nmout) != 0)
        return false;
    char *text = slurp(nmout);
    if (!text)
        return false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long long start, size;
        char type, name[4096];
        if (sscanf(line, "%llx %llx %c %4095s", &start, &size, &type, name) != 4 || !strchr("tTwWiI", type) || !size)
            continue;
        *NP_PUSH(out->names, out->nnames, out->names_cap) = np_xstrdup(name);
        for (uint64_t a = start; a < start + size; a += (uint64_t)stride)
            *NP_PUSH(out->v, out->n, out->cap) = a;
        *NP_PUSH(out->v, out->n, out->cap) = start + size - 1;
    }
    free(text);
    return out->n > 0;
}

/* ---- reference output (addr2line -a -i -f, llvm-symbolizer --output-style=GNU -a -i) ---- */

typedef struct frames_text {
    char **lines; /* function, location, function, location, ... */
    size_t n, cap;
} frames_text;

static bool is_addr_line(const char *s)
{
    if (s[0] != '0' || s[1] != 'x' || !s[2])
        return false;
    for (s += 2; *s; s++)
        if (!strchr("0123456789abcdef", *s))
            return false;
    return true;
}

/* "file:12 (discriminator 3)" -> "file:12"; "??:?" -> "??:0" */
static char *norm_location(const char *s)
{
    char *r = np_xstrdup(s);
    char *disc = strstr(r, " (discriminator ");
    if (disc)
        *disc = 0;
    size_t n = strlen(r);
    if (n >= 2 && strcmp(r + n - 2, ":?") == 0)
        r[n - 1] = '0';
    return r;
}

/* Splits the tool's output into one frames_text per address (headers "0x..."). */
static frames_text *parse_reference(char *text, size_t naddrs)
{
    frames_text *res = np_xcalloc(naddrs ? naddrs : 1, sizeof *res);
    long cur = -1;
    bool want_func = true;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (is_addr_line(line)) {
            cur++;
            want_func = true;
            if ((size_t)cur >= naddrs)
                break;
            continue;
        }
        if (cur < 0 || !line[0])
            continue;
        *NP_PUSH(res[cur].lines, res[cur].n, res[cur].cap) = want_func ? np_xstrdup(line) : norm_location(line);
        want_func = !want_func;
    }
    return res;
}

static void frames_text_free(frames_text *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < f[i].n; k++)
            free(f[i].lines[k]);
        free(f[i].lines);
    }
    free(f);
}

static void ours(np_elf *e, uint64_t addr, frames_text *out)
{
    np_sym_frame fr[64];
    int n = np_elf_symbolize(e, addr, fr, 64);
    char buf[8192];
    if (n == 0) {
        *NP_PUSH(out->lines, out->n, out->cap) = np_xstrdup("??");
        *NP_PUSH(out->lines, out->n, out->cap) = np_xstrdup("??:0");
    }
    for (int i = 0; i < n; i++) {
        *NP_PUSH(out->lines, out->n, out->cap) = np_xstrdup(fr[i].function ? fr[i].function : "??");
        if (fr[i].file)
            snprintf(buf, sizeof buf, "%s:%" PRId64, fr[i].file, fr[i].line);
        else
            snprintf(buf, sizeof buf, "??:0");
        *NP_PUSH(out->lines, out->n, out->cap) = np_xstrdup(buf);
    }
}

enum {
    CMP_NAMES = 1, /* compare function names */
    CMP_LOCS = 2,  /* compare file:line */
    CMP_ALL = 3,
    /* C++ from gcc: our names for functions without a linkage name are qualified by their
     * scopes ("std::__sort<...>" where addr2line says "__sort<...>"), and addr2line replaces
     * some DWARF names by the ELF symbol at that address: accept both. */
    CMP_CXX = 4,
};

enum { REF_ADDR2LINE, REF_LLVM };

typedef struct cmp_stats {
    size_t addrs, mismatches, inlined; /* inlined: addresses with 2+ frames */
} cmp_stats;

/* Symbolizes every address of a with mine (opened with debug_root) and compares with the
 * reference tool run on ref_bin. */
static cmp_stats compare(const char *mine, const char *debug_root, const char *ref_bin, int ref, const addrset *a, int mode)
{
    cmp_stats st = {0};
    char in[256], out[256];
    snprintf(in, sizeof in, "%s/addrs.txt", workdir());
    snprintf(out, sizeof out, "%s/ref.txt", workdir());
    FILE *f = fopen(in, "w");
    if (!f) {
        st.mismatches = 1;
        return st;
    }
    for (size_t i = 0; i < a->n; i++)
        fprintf(f, "0x%" PRIx64 "\n", a->v[i]);
    fclose(f);
    int rc = ref == REF_LLVM
                 ? sh("llvm-symbolizer --output-style=GNU --no-demangle --functions=linkage -a -i -e '%s' < '%s' > '%s'", ref_bin, in, out)
                 : sh("addr2line -a -i -f -e '%s' < '%s' > '%s'", ref_bin, in, out);
    char *text = rc == 0 ? slurp(out) : NULL;
    if (!text) {
        fprintf(stderr, "  reference tool failed on %s\n", ref_bin);
        st.mismatches = 1;
        return st;
    }
    frames_text *want = parse_reference(text, a->n);
    free(text);

    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(mine, debug_root, &e, &err) < 0) {
        fprintf(stderr, "  %s\n", err.msg);
        frames_text_free(want, a->n);
        st.mismatches = 1;
        return st;
    }
    for (size_t i = 0; i < a->n; i++) {
        frames_text got = {0};
        ours(e, a->v[i], &got);
        const frames_text *w = &want[i];
        bool ok = got.n == w->n;
        for (size_t k = 0; ok && k < got.n; k++) {
            const char *g = got.lines[k], *x = w->lines[k];
            if (k % 2 == 1) {
                ok = !(mode & CMP_LOCS) || strcmp(g, x) == 0;
                continue;
            }
            if (!(mode & CMP_NAMES) || strcmp(g, x) == 0)
                continue;
            if (mode & CMP_CXX) {
                size_t gl = strlen(g), xl = strlen(x);
                if ((gl > xl + 2 && strcmp(g + gl - xl, x) == 0 && memcmp(g + gl - xl - 2, "::", 2) == 0) ||
                    is_symbol_name(a, x))
                    continue;
            }
            ok = false;
        }
        st.addrs++;
        if (got.n > 2)
            st.inlined++;
        if (!ok && ++st.mismatches <= 5) {
            fprintf(stderr, "  %s 0x%" PRIx64 ":\n    want:", mine, a->v[i]);
            for (size_t k = 0; k < w->n; k++)
                fprintf(stderr, " %s", w->lines[k]);
            fprintf(stderr, "\n    got: ");
            for (size_t k = 0; k < got.n; k++)
                fprintf(stderr, " %s", got.lines[k]);
            fprintf(stderr, "\n");
        }
        for (size_t k = 0; k < got.n; k++)
            free(got.lines[k]);
        free(got.lines);
    }
    np_elf_close(e);
    frames_text_free(want, a->n);
    return st;
}

/* Builds a variant and checks every sampled address against addr2line. */
static void check_variant(const char *name, const char *cc, const char *flags, bool cxx, int ref, int mode)
{
    char bin[256];
    if (!compile(bin, sizeof bin, name, cc, flags, cxx)) {
        fprintf(stderr, "  cannot compile %s with %s %s\n", name, cc, flags);
        CHECK(!"compile");
        return;
    }
    addrset a = {0};
    CHECK(function_addrs(bin, 1, &a));
    cmp_stats st = compare(bin, "/nonexistent", bin, ref, &a, mode);
    fprintf(stderr, "  %s (%s %s): %zu addresses, %zu with inlined frames, %zu mismatches\n", name, cc, flags,
            st.addrs, st.inlined, st.mismatches);
    CHECK(st.addrs > 100);
    CHECK(st.inlined > 0); /* -O2 inlines add_sq/sq/clamp_add (C), the STL (C++) */
    CHECK(st.mismatches == 0);
    np_elf *e;
    np_err err;
    if (np_elf_open(bin, &e, &err) == 0) {
        CHECK(np_elf_has_lines(e));
        CHECK(np_elf_debug_file(e) == NULL); /* the debug info is in the binary itself */
        /* With room for fewer frames, the innermost ones come back, the same. */
        size_t bad = 0;
        for (size_t i = 0; i < a.n; i++) {
            np_sym_frame all[64], few[2];
            int n = np_elf_symbolize(e, a.v[i], all, 64);
            int m = np_elf_symbolize(e, a.v[i], few, 2);
            if (m != (n < 2 ? n : 2))
                bad++;
            for (int k = 0; k < m && k < n; k++)
                if (all[k].function != few[k].function || all[k].file != few[k].file || all[k].line != few[k].line)
                    bad++;
        }
        CHECK(bad == 0);
        np_elf_close(e);
    }
    addrset_free(&a);
}

/* ---- tests: compiled programs against addr2line ---- */

TEST(c_dwarf5_pie)
{
    check_variant("c5", "cc", "-g -O2 -fPIE -pie", false, REF_ADDR2LINE, CMP_ALL);
}

TEST(c_dwarf4)
{
    check_variant("c4", "cc", "-gdwarf-4 -O2", false, REF_ADDR2LINE, CMP_ALL);
}

TEST(c_dwarf3)
{
    check_variant("c3", "cc", "-gdwarf-3 -O2", false, REF_ADDR2LINE, CMP_ALL);
}

TEST(c_compressed_sections)
{
    check_variant("cz", "cc", "-g -O2 -gz", false, REF_ADDR2LINE, CMP_ALL);
    check_variant("cz4", "cc", "-gdwarf-4 -O2 -gz=zlib", false, REF_ADDR2LINE, CMP_ALL);
    /* The sections really are compressed (else this test proves nothing). */
    char bin[256];
    snprintf(bin, sizeof bin, "%s/cz", workdir());
    CHECK(sh("readelf -SW '%s' | grep -E '\\.debug_info .* C ' >/dev/null", bin) == 0);
}

TEST(c_no_pie)
{
    check_variant("cnopie", "cc", "-g -O2 -fno-pie -no-pie", false, REF_ADDR2LINE, CMP_ALL);
}

TEST(cxx_gcc)
{
    check_variant("cxx", "g++", "-g -O2", true, REF_ADDR2LINE, CMP_ALL | CMP_CXX);
    /* Internal-linkage names are qualified, as their demangled linkage names would read. */
    char bin[256];
    snprintf(bin, sizeof bin, "%s/cxx", workdir());
    np_elf *e;
    np_err err;
    if (np_elf_open(bin, &e, &err) < 0) {
        CHECK(!"open");
        return;
    }
    char out[256];
    snprintf(out, sizeof out, "%s/hidden.txt", workdir());
    unsigned long long addr = 0;
    if (sh("nm '%s' | grep hidden > '%s'", bin, out) == 0) {
        char *t = slurp(out);
        if (t && sscanf(t, "%llx", &addr) != 1)
            addr = 0;
        free(t);
    }
    np_sym_frame fr[8];
    int n = addr ? np_elf_symbolize(e, addr, fr, 8) : 0;
    CHECK(n == 1);
    if (n == 1)
        CHECK_STR_EQ(fr[0].function, "(anonymous namespace)::hidden");
    np_elf_close(e);
}

TEST(clang_dwarf5)
{
    /* binutils 2.40's addr2line loses clang's DWARF 5 inline chains (addrx/rnglistx forms), so
     * clang builds are checked against llvm-symbolizer. */
    if (!have("clang") || !have("llvm-symbolizer"))
        SKIP("clang or llvm-symbolizer not installed");
    check_variant("clang5", "clang", "-g -O2", false, REF_LLVM, CMP_ALL);
    check_variant("clang4", "clang", "-gdwarf-4 -O2", false, REF_LLVM, CMP_ALL);
    if (have("clang++"))
        check_variant("clangxx", "clang++", "-g -O2", true, REF_LLVM, CMP_ALL);
}

/* ---- separate debug files ---- */

TEST(debuglink_and_build_id_lookup)
{
    char bin[256];
    if (!compile(bin, sizeof bin, "dl_prog", "cc", "-g -O2", false)) {
        CHECK(!"compile");
        return;
    }
    const char *d = workdir();
    /* debuglink: the stripped binary in dl/, its debug file in dl/.debug/ */
    CHECK(sh("cd '%s' && mkdir -p dl/.debug && objcopy --only-keep-debug dl_prog dl/.debug/prog.debug && "
             "objcopy --strip-all --add-gnu-debuglink=dl/.debug/prog.debug dl_prog dl/prog",
             d) == 0);
    char stripped[256], root[256], byid[512];
    snprintf(stripped, sizeof stripped, "%s/dl/prog", d);
    addrset a = {0};
    CHECK(function_addrs(bin, 2, &a));

    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(stripped, "/nonexistent", &e, &err) == 0) {
        const char *df = np_elf_debug_file(e);
        CHECK(df && strstr(df, "/dl/.debug/prog.debug"));
        CHECK(np_elf_has_lines(e));
        np_elf_close(e);
    } else {
        CHECK(!"open stripped");
    }
    cmp_stats st = compare(stripped, "/nonexistent", bin, REF_ADDR2LINE, &a, CMP_ALL);
    CHECK(st.addrs > 100 && st.mismatches == 0);

    /* By build ID under a debug root, with no debuglink at all. */
    if (np_elf_open(bin, &e, &err) < 0) {
        CHECK(!"open");
        addrset_free(&a);
        return;
    }
    char id[160];
    snprintf(id, sizeof id, "%s", np_elf_build_id(e));
    np_elf_close(e);
    CHECK(strlen(id) == 40);
    snprintf(root, sizeof root, "%s/root", d);
    snprintf(byid, sizeof byid, "%s/.build-id/%.2s/%s.debug", root, id, id + 2);
    CHECK(sh("cd '%s' && mkdir -p 'root/.build-id/%.2s' && cp dl/.debug/prog.debug '%s' && "
             "objcopy --strip-all dl_prog dl/nolink",
             d, id, byid) == 0);
    char nolink[256];
    snprintf(nolink, sizeof nolink, "%s/dl/nolink", d);
    if (np_elf_open_with_debug_root(nolink, root, &e, &err) == 0) {
        const char *df = np_elf_debug_file(e);
        CHECK(df && strcmp(df, byid) == 0);
        np_elf_close(e);
    }
    st = compare(nolink, root, bin, REF_ADDR2LINE, &a, CMP_ALL);
    CHECK(st.addrs > 100 && st.mismatches == 0);
    /* Without the root, nothing is found: names come from no symbol table at all (stripped). */
    if (np_elf_open_with_debug_root(nolink, "/nonexistent", &e, &err) == 0) {
        CHECK(np_elf_debug_file(e) == NULL);
        CHECK(!np_elf_has_lines(e));
        np_elf_close(e);
    }

    /* A debug file of another build (different build ID) is refused. */
    char other[256];
    if (compile(other, sizeof other, "dl_other", "cc", "-g -O1", false)) {
        CHECK(sh("cd '%s' && mkdir -p dl3/.debug && objcopy --only-keep-debug dl_other dl3/.debug/prog.debug && "
                 "cp dl/prog dl3/prog",
                 d) == 0);
        char p3[256];
        snprintf(p3, sizeof p3, "%s/dl3/prog", d);
        if (np_elf_open_with_debug_root(p3, "/nonexistent", &e, &err) == 0) {
            CHECK(np_elf_debug_file(e) == NULL);
            np_elf_close(e);
        }
    }
    addrset_free(&a);
}

TEST(debuglink_crc_without_build_id)
{
    char bin[256];
    if (!compile(bin, sizeof bin, "crc_prog", "cc", "-g -O2 -Wl,--build-id=none", false)) {
        CHECK(!"compile");
        return;
    }
    const char *d = workdir();
    CHECK(sh("cd '%s' && mkdir -p crc && objcopy --only-keep-debug crc_prog crc/prog.debug && "
             "objcopy --strip-all --add-gnu-debuglink=crc/prog.debug crc_prog crc/prog",
             d) == 0);
    char p[256];
    snprintf(p, sizeof p, "%s/crc/prog", d);
    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(p, "/nonexistent", &e, &err) < 0) {
        CHECK(!"open");
        return;
    }
    CHECK_STR_EQ(np_elf_build_id(e), "");
    const char *df = np_elf_debug_file(e);
    CHECK(df && strstr(df, "/crc/prog.debug"));
    np_elf_close(e);
    addrset a = {0};
    CHECK(function_addrs(bin, 3, &a));
    cmp_stats st = compare(p, "/nonexistent", bin, REF_ADDR2LINE, &a, CMP_ALL);
    CHECK(st.addrs > 50 && st.mismatches == 0);
    addrset_free(&a);
    /* One byte more and the CRC no longer matches: the file is refused. */
    CHECK(sh("printf x >> '%s/crc/prog.debug'", d) == 0);
    if (np_elf_open_with_debug_root(p, "/nonexistent", &e, &err) == 0) {
        CHECK(np_elf_debug_file(e) == NULL);
        CHECK(!np_elf_has_lines(e));
        np_elf_close(e);
    }
}

TEST(dwz_supplementary_file)
{
    /* dwz moves DIEs and strings shared by several binaries into a common file, referenced
     * with DW_FORM_GNU_ref_alt/strp_alt: the result must symbolize exactly as before. */
    if (!have("dwz"))
        SKIP("dwz not installed");
    char p1[256], p2[256];
    if (!compile(p1, sizeof p1, "dwz1", "g++", "-g -O2", true) || !compile(p2, sizeof p2, "dwz2", "g++", "-g -O1", true)) {
        CHECK(!"compile");
        return;
    }
    const char *d = workdir();
    if (sh("cd '%s' && cp dwz1 dwz1.orig && dwz -m dwz.common -M '%s/dwz.common' dwz1 dwz2 2>&1", d, d) != 0 ||
        sh("readelf -SW '%s' | grep -q gnu_debugaltlink", p1) != 0)
        SKIP("dwz did not produce a supplementary file");
    char orig[256];
    snprintf(orig, sizeof orig, "%s/dwz1.orig", d);
    addrset a = {0};
    CHECK(function_addrs(orig, 1, &a));
    np_elf *e1, *e2;
    np_err err;
    if (np_elf_open(p1, &e1, &err) < 0 || np_elf_open(orig, &e2, &err) < 0) {
        CHECK(!"open");
        addrset_free(&a);
        return;
    }
    size_t bad = 0, alt_names = 0;
    for (size_t i = 0; i < a.n; i++) {
        np_sym_frame x[64], y[64];
        int n = np_elf_symbolize(e1, a.v[i], x, 64), m = np_elf_symbolize(e2, a.v[i], y, 64);
        bool same = n == m;
        for (int k = 0; same && k < n; k++)
            same = x[k].line == y[k].line && x[k].start_line == y[k].start_line &&
                   !!x[k].function == !!y[k].function && (!x[k].function || !strcmp(x[k].function, y[k].function)) &&
                   !!x[k].file == !!y[k].file && (!x[k].file || !strcmp(x[k].file, y[k].file));
        alt_names += n > 1;
        if (!same && ++bad <= 3)
            fprintf(stderr, "  dwz 0x%" PRIx64 ": %d vs %d frames, %s vs %s\n", a.v[i], n, m,
                    n > 0 && x[0].function ? x[0].function : "?", m > 0 && y[0].function ? y[0].function : "?");
    }
    CHECK(a.n > 1000 && alt_names > 0 && bad == 0);
    np_elf_close(e1);
    np_elf_close(e2);
    addrset_free(&a);
}

/* ---- system binaries ---- */

/* The build ID readelf -n reports, or "" */
static void readelf_build_id(const char *path, char *out, size_t len)
{
    char f[256];
    out[0] = 0;
    snprintf(f, sizeof f, "%s/notes.txt", workdir());
    if (sh("readelf -n '%s' 2>/dev/null | awk '/Build ID/ {print $3}' > '%s'", path, f) != 0)
        return;
    char *t = slurp(f);
    if (t) {
        snprintf(out, len, "%s", t);
        out[strcspn(out, "\n")] = 0;
        free(t);
    }
}

typedef struct dsym {
    uint64_t start, size;
    char name[256];
} dsym;

/* Defined FUNC/IFUNC symbols of .dynsym, as readelf prints them (version suffix cut). */
static size_t dynsym_funcs(const char *path, dsym **out)
{
    char f[256];
    snprintf(f, sizeof f, "%s/dynsym.txt", workdir());
    *out = NULL;
    if (sh("readelf --dyn-syms -W '%s' > '%s'", path, f) != 0)
        return 0;
    char *t = slurp(f);
    if (!t)
        return 0;
    size_t n = 0, cap = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long long value, size;
        char type[32], bind[32], vis[32], ndx[32], name[256];
        if (sscanf(line, " %*[0-9]: %llx %llu %31s %31s %31s %31s %255s", &value, &size, type, bind, vis, ndx, name) != 7)
            continue;
        if ((strcmp(type, "FUNC") && strcmp(type, "IFUNC")) || !strcmp(ndx, "UND") || !value)
            continue;
        name[strcspn(name, "@")] = 0;
        dsym *s = NP_PUSH(*out, n, cap);
        s->start = value;
        s->size = size;
        snprintf(s->name, sizeof s->name, "%s", name);
    }
    free(t);
    return n;
}

/* Whether name is the name of a symbol that contains addr. */
static bool names_symbol_at(const dsym *s, size_t n, uint64_t addr, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (addr >= s[i].start && addr < s[i].start + (s[i].size ? s[i].size : 1) && strcmp(s[i].name, name) == 0)
            return true;
    return false;
}

/* Every defined function of .dynsym symbolizes (start, middle, last byte) to a symbol covering
 * the address, when no debug info is found. */
static void check_dynsym_names(const char *path, size_t min_syms)
{
    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(path, "/nonexistent", &e, &err) < 0) {
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(!"open");
        return;
    }
    char want[160];
    readelf_build_id(path, want, sizeof want);
    CHECK(want[0]);
    CHECK_STR_EQ(np_elf_build_id(e), want);
    CHECK(np_elf_debug_file(e) == NULL);
    CHECK(!np_elf_has_lines(e));
    dsym *s;
    size_t n = dynsym_funcs(path, &s);
    CHECK(n >= min_syms);
    size_t bad = 0, checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s[i].size)
            continue;
        uint64_t probe[3] = {s[i].start, s[i].start + s[i].size / 2, s[i].start + s[i].size - 1};
        for (int k = 0; k < 3; k++) {
            np_sym_frame fr[4];
            int got = np_elf_symbolize(e, probe[k], fr, 4);
            checked++;
            if (got != 1 || !fr[0].function || fr[0].file || !names_symbol_at(s, n, probe[k], fr[0].function)) {
                if (++bad <= 5)
                    fprintf(stderr, "  %s 0x%" PRIx64 ": got %d frames, %s (want %s)\n", path, probe[k], got,
                            got > 0 && fr[0].function ? fr[0].function : "(none)", s[i].name);
            }
        }
    }
    fprintf(stderr, "  %s: %zu dynsym functions, %zu addresses, %zu mismatches\n", path, n, checked, bad);
    CHECK(bad == 0);
    free(s);
    np_elf_close(e);
}

TEST(ls_dynsym_and_build_id)
{
    if (access("/usr/bin/ls", R_OK) != 0)
        SKIP("/usr/bin/ls missing");
    check_dynsym_names("/usr/bin/ls", 1);
    /* The entry point (_start) is in no dynamic symbol: nothing is known there. */
    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root("/usr/bin/ls", "/nonexistent", &e, &err) == 0) {
        FILE *f = fopen("/usr/bin/ls", "rb");
        Elf64_Ehdr h;
        if (f && fread(&h, sizeof h, 1, f) == 1) {
            np_sym_frame fr[4];
            CHECK(np_elf_symbolize(e, h.e_entry, fr, 4) == 0);
        }
        if (f)
            fclose(f);
        np_elf_close(e);
    }
}

static const char *find_libc(void)
{
    static const char *const paths[] = {"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

TEST(libc_dynsym_and_build_id)
{
    const char *libc = find_libc();
    if (!libc)
        SKIP("libc.so.6 not found");
    check_dynsym_names(libc, 1000);
}

TEST(libc_debug_file_by_build_id)
{
    const char *libc = find_libc();
    if (!libc)
        SKIP("libc.so.6 not found");
    np_elf *e;
    np_err err;
    if (np_elf_open(libc, &e, &err) < 0) {
        CHECK(!"open libc");
        return;
    }
    const char *df = np_elf_debug_file(e);
    char dbg[512];
    snprintf(dbg, sizeof dbg, "%s", df ? df : "");
    bool lines = np_elf_has_lines(e);
    np_elf_close(e);
    if (!dbg[0])
        SKIP("no debug file for libc (install libc6-dbg)");
    CHECK(strstr(dbg, "/usr/lib/debug/.build-id/"));
    CHECK(lines);
    addrset a = {0};
    CHECK(function_addrs(dbg, 61, &a)); /* .symtab of the debug file: static functions too */
    /* Names as addr2line gives them; file:line as llvm-symbolizer does (binutils 2.40 picks the
     * wrong file in some of libc's DWARF 5 line tables, e.g. strfrom-skeleton.c). */
    cmp_stats st = compare(libc, NULL, libc, REF_ADDR2LINE, &a, CMP_NAMES);
    fprintf(stderr, "  libc names vs addr2line: %zu addresses, %zu with inlined frames, %zu mismatches\n", st.addrs,
            st.inlined, st.mismatches);
    CHECK(st.addrs > 1000);
    /* addr2line takes the local alias of a symbol-only function (__GI_xdr_uint32_t) where we
     * take the global one (xdr_uint32_t): allow a handful. */
    CHECK(st.mismatches <= 16);
    if (have("llvm-symbolizer")) {
        st = compare(libc, NULL, libc, REF_LLVM, &a, CMP_LOCS);
        fprintf(stderr, "  libc file:line vs llvm-symbolizer: %zu addresses, %zu mismatches\n", st.addrs, st.mismatches);
        CHECK(st.mismatches == 0);
    }
    addrset_free(&a);
}

/* ---- compressed sections inflated in pieces ---- */

#define PIECEWISE_DEFAULT (64 * 1024) /* symbolize.h */

/* Under AddressSanitizer freed memory sits in quarantine and every block has red zones, so
 * what memory a piece of code takes is not measured there. */
#if defined(__SANITIZE_ADDRESS__)
#define MEASURES_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEASURES_MEMORY 0
#endif
#endif
#ifndef MEASURES_MEMORY
#define MEASURES_MEMORY 1
#endif

/* Opens path with its compressed debug sections inflated in pieces when they are at least
 * piecewise_min bytes (0: all of them; SIZE_MAX: none, each inflated whole). The choice is
 * made when the debug info is loaded, which np_elf_has_lines does at once. */
static np_elf *open_inflating(const char *path, const char *root, size_t piecewise_min)
{
    np_elf *e = NULL;
    np_err err;
    np_elf_set_piecewise_min(piecewise_min);
    if (np_elf_open_with_debug_root(path, root, &e, &err) == 0)
        (void)np_elf_has_lines(e);
    np_elf_set_piecewise_min(PIECEWISE_DEFAULT);
    return e;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Symbolizes every address of a with both and counts those whose frames differ in any field;
 * *inlined counts addresses with inlined frames. */
static size_t frame_differences(np_elf *x, np_elf *y, const addrset *a, size_t *inlined)
{
    size_t bad = 0;
    *inlined = 0;
    for (size_t i = 0; i < a->n; i++) {
        np_sym_frame p[64], q[64];
        int n = np_elf_symbolize(x, a->v[i], p, 64), m = np_elf_symbolize(y, a->v[i], q, 64);
        bool same = n == m;
        for (int k = 0; same && k < n; k++)
            same = same_str(p[k].function, q[k].function) && same_str(p[k].file, q[k].file) &&
                   p[k].line == q[k].line && p[k].start_line == q[k].start_line && p[k].func_start == q[k].func_start;
        *inlined += n > 1;
        if (!same && ++bad <= 3)
            fprintf(stderr, "  0x%" PRIx64 ": %d frames (%s) vs %d (%s)\n", a->v[i], n,
                    n > 0 && p[0].function ? p[0].function : "?", m, m > 0 && q[0].function ? q[0].function : "?");
    }
    return bad;
}

/* Every byte of bin's functions gives the same frames with its sections inflated in pieces as
 * inflated whole. */
static void check_piecewise(const char *bin)
{
    addrset a = {0};
    CHECK(function_addrs(bin, 1, &a));
    np_elf *whole = open_inflating(bin, "/nonexistent", SIZE_MAX), *pieces = open_inflating(bin, "/nonexistent", 0);
    if (!whole || !pieces) {
        CHECK(!"open");
    } else {
        size_t inlined, bad = frame_differences(whole, pieces, &a, &inlined);
        fprintf(stderr, "  %s: %zu addresses, %zu with inlined frames, %zu differences\n", bin, a.n, inlined, bad);
        CHECK(a.n > 100 && inlined > 0 && bad == 0);
    }
    np_elf_close(whole);
    np_elf_close(pieces);
    addrset_free(&a);
}

TEST(piecewise_same_as_whole)
{
    /* Against addr2line, with every compressed section inflated in pieces. */
    np_elf_set_piecewise_min(0);
    check_variant("pz5", "cc", "-g -O2 -gz", false, REF_ADDR2LINE, CMP_ALL);
    check_variant("pzxx", "g++", "-g -O2 -gz", true, REF_ADDR2LINE, CMP_ALL | CMP_CXX);
    np_elf_set_piecewise_min(PIECEWISE_DEFAULT);
    /* Field by field against whole inflation: DWARF 5 and 4, C and C++, and the legacy
     * .zdebug_ sections (-gz=zlib-gnu). */
    static const struct {
        const char *name, *cc, *flags;
        bool cxx;
    } v[] = {{"pz5", "cc", "-g -O2 -gz", false},
             {"pz4", "cc", "-gdwarf-4 -O2 -gz=zlib", false},
             {"pzgnu", "cc", "-gdwarf-4 -O2 -gz=zlib-gnu", false},
             {"pzxx", "g++", "-g -O2 -gz", true},
             {"pzxx4", "g++", "-gdwarf-4 -O2 -gz", true}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char bin[256];
        if (!compile(bin, sizeof bin, v[i].name, v[i].cc, v[i].flags, v[i].cxx)) {
            fprintf(stderr, "  cannot compile %s with %s %s\n", v[i].name, v[i].cc, v[i].flags);
            CHECK(!"compile");
            continue;
        }
        check_piecewise(bin);
    }
    char zg[256];
    snprintf(zg, sizeof zg, "%s/pzgnu", workdir());
    CHECK(sh("readelf -SW '%s' | grep -q '\\.zdebug_info'", zg) == 0); /* else that case proves nothing */
}

/* The process's resident size now, and the most it was since the last reset_peak (VmHWM). */
static void rss_kb(long *now, long *peak)
{
    *now = *peak = -1;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            *now = atol(line + 6);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            *peak = atol(line + 6);
    }
    if (f)
        fclose(f);
}

static bool reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    bool ok = f && fputs("5", f) >= 0;
    return f && fclose(f) == 0 && ok;
}

TEST(piecewise_libc_debug_file)
{
    const char *libc = find_libc();
    if (!libc)
        SKIP("libc.so.6 not found");
    np_elf *whole = open_inflating(libc, NULL, SIZE_MAX);
    const char *df = whole ? np_elf_debug_file(whole) : NULL;
    if (!df) {
        np_elf_close(whole);
        SKIP("no debug file for libc (install libc6-dbg)");
    }
    addrset a = {0};
    CHECK(function_addrs(df, 13, &a));
    np_elf *pieces = open_inflating(libc, NULL, PIECEWISE_DEFAULT);
    if (pieces) {
        size_t inlined, bad = frame_differences(whole, pieces, &a, &inlined);
        fprintf(stderr, "  libc: %zu addresses, %zu with inlined frames, %zu differences\n", a.n, inlined, bad);
        CHECK(a.n > 1000 && inlined > 0 && bad == 0);
    } else {
        CHECK(!"open libc");
    }
    np_elf_close(pieces);
    np_elf_close(whole);

    /* What a few lookups cost at the worst moment: the debug file's DWARF inflates to 8.6 MB,
     * which inflated whole made the peak grow by about 12 MB; in pieces it stays within a
     * few (units touched, the index, the symbol table). */
    long before, peak;
    if (!MEASURES_MEMORY) {
        addrset_free(&a);
        SKIP("memory is not measured under AddressSanitizer");
    }
    if (!reset_peak()) {
        addrset_free(&a);
        SKIP("cannot reset the peak resident size (/proc/self/clear_refs)");
    }
    rss_kb(&before, &peak);
    np_elf *e;
    np_err err;
    if (np_elf_open(libc, &e, &err) == 0) {
        np_sym_frame fr[64];
        for (size_t i = 0; i < a.n; i += a.n / 40 + 1)
            (void)np_elf_symbolize(e, a.v[i], fr, 64);
        np_elf_close(e);
    }
    long after;
    rss_kb(&after, &peak);
    fprintf(stderr, "  libc, 40 lookups: the peak resident size grew by %ld kB\n", peak - before);
    CHECK(before > 0 && peak > 0 && peak - before < 4096);
    addrset_free(&a);
}

/* ---- address translation, in this process ---- */

__attribute__((noinline)) int np_symtest_marker(int x);
__attribute__((noinline)) int np_symtest_marker(int x)
{
    return x * 3 + 1;
}

/* The /proc/self/maps mapping holding addr: its start, file offset and path. */
static bool mapping_of(uintptr_t addr, uint64_t *start, uint64_t *offset, char *path, size_t len)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        int pos = 0;
        if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &lo, &hi, &off, &pos) < 3 || !pos)
            continue;
        if (addr >= lo && addr < hi) {
            *start = lo;
            *offset = off;
            snprintf(path, len, "%s", line + pos);
            path[strcspn(path, "\n")] = 0;
            found = path[0] == '/';
        }
    }
    fclose(f);
    return found;
}

/* nm's value for a symbol of path (dynamic symbols when dyn), or 0. */
static uint64_t nm_value(const char *path, const char *sym, bool dyn)
{
    char f[256];
    snprintf(f, sizeof f, "%s/nmv.txt", workdir());
    /* nm -D prints versioned names (getpid@@GLIBC_2.2.5): compare without the version. */
    if (sh("nm %s --defined-only '%s' 2>/dev/null | awk '{n = $3; sub(/@.*/, \"\", n)} n == \"%s\" {print $1; exit}' > '%s'",
           dyn ? "-D" : "", path, sym, f) != 0)
        return 0;
    char *t = slurp(f);
    unsigned long long v = 0;
    if (!t || sscanf(t, "%llx", &v) != 1)
        v = 0;
    free(t);
    return v;
}

TEST(runtime_address_translation)
{
    int (*volatile fp)(int) = np_symtest_marker;
    CHECK(fp(1) == 4);
    uint64_t start, offset;
    char path[512];
    uintptr_t a = (uintptr_t)fp;
    if (!mapping_of(a, &start, &offset, path, sizeof path)) {
        CHECK(!"mapping of the test binary");
        return;
    }
    np_elf *e;
    np_err err;
    if (np_elf_open(path, &e, &err) < 0) {
        CHECK(!"open self");
        return;
    }
    uint64_t fa = np_elf_file_address(e, a, start, offset);
    CHECK(fa == nm_value(path, "np_symtest_marker", false));
    np_sym_frame fr[8];
    int n = np_elf_symbolize(e, fa, fr, 8);
    CHECK(n >= 1);
    if (n >= 1) {
        CHECK_STR_EQ(fr[n - 1].function, "np_symtest_marker");
        CHECK(fr[0].file && strstr(fr[0].file, "test_symbolize.c"));
        CHECK(fr[n - 1].start_line > 0);
    }
    np_elf_close(e);

    /* A libc function, through its own mapping. */
    int (*volatile gp)(void) = getpid;
    a = (uintptr_t)gp;
    if (!mapping_of(a, &start, &offset, path, sizeof path)) {
        CHECK(!"mapping of libc");
        return;
    }
    if (np_elf_open(path, &e, &err) < 0) {
        CHECK(!"open libc");
        return;
    }
    fa = np_elf_file_address(e, a, start, offset);
    uint64_t want = nm_value(path, "getpid", true);
    CHECK(want != 0 && fa == want);
    n = np_elf_symbolize(e, fa, fr, 8);
    CHECK(n >= 1 && fr[n - 1].function && strstr(fr[n - 1].function, "getpid"));
    np_elf_close(e);
}

/* PT_LOAD of the executable segment of path, parsed from readelf -lW. */
static bool exec_segment(const char *path, uint64_t *offset, uint64_t *vaddr)
{
    char f[256];
    snprintf(f, sizeof f, "%s/phdrs.txt", workdir());
    if (sh("readelf -lW '%s' | awk '$1 == \"LOAD\" && $8 == \"E\" {print $2, $3}' > '%s'", path, f) != 0)
        return false;
    char *t = slurp(f);
    unsigned long long o, v;
    bool ok = t && sscanf(t, "%llx %llx", &o, &v) == 2;
    free(t);
    if (ok) {
        *offset = o;
        *vaddr = v;
    }
    return ok;
}

TEST(file_address_pie_and_fixed)
{
    char pie[256], fixed[256];
    if (!compile(pie, sizeof pie, "fa_pie", "cc", "-g -O2 -fPIE -pie", false) ||
        !compile(fixed, sizeof fixed, "fa_fixed", "cc", "-g -O2 -fno-pie -no-pie", false)) {
        CHECK(!"compile");
        return;
    }
    const char *bins[2] = {pie, fixed};
    for (int i = 0; i < 2; i++) {
        np_elf *e;
        np_err err;
        uint64_t off, vaddr;
        if (np_elf_open(bins[i], &e, &err) < 0 || !exec_segment(bins[i], &off, &vaddr)) {
            CHECK(!"open");
            continue;
        }
        uint64_t work = nm_value(bins[i], "work", false);
        CHECK(work != 0);
        /* The loader maps page-aligned: map start = bias + page(vaddr), offset = page(offset). */
        uint64_t bias = i == 0 ? 0x555555554000ull : 0;
        uint64_t map_start = bias + (vaddr & ~0xfffull), map_off = off & ~0xfffull;
        CHECK(np_elf_file_address(e, bias + work, map_start, map_off) == work);
        np_sym_frame fr[4];
        int n = np_elf_symbolize(e, work, fr, 4);
        CHECK(n == 1 && fr[0].function && strcmp(fr[0].function, "work") == 0);
        if (n == 1)
            CHECK(fr[0].start_line == 7);
        np_elf_close(e);
    }
}

/* ---- function starts (the legacy heap text's "func+0xoff") ---- */

/* nm -S's start and size of a function symbol of path; false if there is none. */
static bool nm_range(const char *path, const char *sym, uint64_t *start, uint64_t *size)
{
    char f[256];
    snprintf(f, sizeof f, "%s/nmr.txt", workdir());
    if (sh("nm -S --defined-only '%s' 2>/dev/null | awk '$4 == \"%s\" {print $1, $2; exit}' > '%s'", path, sym, f) != 0)
        return false;
    char *t = slurp(f);
    unsigned long long v, n;
    bool ok = t && sscanf(t, "%llx %llx", &v, &n) == 2 && n > 0;
    free(t);
    if (ok) {
        *start = v;
        *size = n;
    }
    return ok;
}

/* Every byte of each named function symbolizes with every frame, inlined ones included,
 * starting where nm says the symbol starts. Returns how many bytes had inlined frames. */
static size_t check_func_starts(const char *bin, const char *const *names, size_t nnames)
{
    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(bin, "/nonexistent", &e, &err) < 0) {
        CHECK(!"open");
        return 0;
    }
    size_t inlined = 0, bad = 0;
    for (size_t i = 0; i < nnames; i++) {
        uint64_t start, size;
        if (!nm_range(bin, names[i], &start, &size)) {
            fprintf(stderr, "  %s: no symbol %s\n", bin, names[i]);
            CHECK(!"symbol");
            continue;
        }
        for (uint64_t a = start; a < start + size; a++) {
            np_sym_frame fr[64];
            int n = np_elf_symbolize(e, a, fr, 64);
            bool ok = n >= 1;
            for (int k = 0; k < n; k++)
                ok = ok && fr[k].func_start == start;
            inlined += n > 1;
            if (!ok && ++bad <= 3)
                fprintf(stderr, "  %s 0x%" PRIx64 " in %s: %d frames, start 0x%" PRIx64 ", want 0x%" PRIx64 "\n", bin,
                        a, names[i], n, n > 0 ? fr[n - 1].func_start : 0, start);
        }
    }
    CHECK(bad == 0);
    np_elf_close(e);
    return inlined;
}

TEST(func_start_with_and_without_dwarf)
{
    static const char *const names[] = {"work", "build", "dispatch", "mix", "main"};
    char dbg[256], nodbg[256];
    if (!compile(dbg, sizeof dbg, "fs_dbg", "cc", "-g -O2 -fPIE -pie", false) ||
        !compile(nodbg, sizeof nodbg, "fs_nodbg", "cc", "-O2", false)) {
        CHECK(!"compile");
        return;
    }
    /* With DWARF, work's inlined add_sq/sq/clamp_add frames count from work's start too. */
    CHECK(check_func_starts(dbg, names, sizeof names / sizeof names[0]) > 0);
    /* Symbol table only: one frame, the symbol itself. */
    CHECK(check_func_starts(nodbg, names, sizeof names / sizeof names[0]) == 0);
    /* Outside every function symbol there is no start to give. */
    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(nodbg, "/nonexistent", &e, &err) == 0) {
        np_sym_frame fr[4];
        CHECK(np_elf_symbolize(e, 0x10, fr, 4) == 0);
        np_elf_close(e);
    }
}

/* What the heap text prints for a return address of this process: its distance from the start
 * of the function, the same whether counted in file or in runtime addresses. */
TEST(func_start_in_this_process)
{
    int (*volatile fp)(int) = np_symtest_marker;
    CHECK(fp(2) == 7);
    int (*volatile gp)(void) = getpid;
    const struct {
        uintptr_t addr;
        const char *name;
        bool dyn;
    } cases[] = {{(uintptr_t)fp, "np_symtest_marker", false}, {(uintptr_t)gp, "getpid", true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t start, offset;
        char path[512];
        np_elf *e;
        np_err err;
        if (!mapping_of(cases[i].addr, &start, &offset, path, sizeof path) || np_elf_open(path, &e, &err) < 0) {
            CHECK(!"mapping");
            continue;
        }
        uint64_t want = nm_value(path, cases[i].name, cases[i].dyn);
        uint64_t runtime = cases[i].addr + 3; /* inside: both are longer than 3 bytes */
        uint64_t fa = np_elf_file_address(e, runtime, start, offset);
        np_sym_frame fr[8];
        int n = np_elf_symbolize(e, fa, fr, 8);
        CHECK(want != 0 && n >= 1);
        if (n >= 1) {
            CHECK(fr[n - 1].func_start == want);
            CHECK(fa - fr[n - 1].func_start == 3);
            CHECK(runtime - (fa - fr[n - 1].func_start) == cases[i].addr);
        }
        np_elf_close(e);
    }
}

/* ---- bad input ---- */

TEST(bad_files)
{
    np_elf *e = NULL;
    np_err err = {{0}};
    CHECK(np_elf_open("/nonexistent/file", &e, &err) < 0 && e == NULL && err.msg[0]);
    err.msg[0] = 0;
    CHECK(np_elf_open("/", &e, &err) < 0 && err.msg[0]);
    char p[256];
    snprintf(p, sizeof p, "%s/empty", workdir());
    write_file(p, "", 0);
    err.msg[0] = 0;
    CHECK(np_elf_open(p, &e, &err) < 0 && err.msg[0]);
    snprintf(p, sizeof p, "%s/text", workdir());
    const char text[] = "this is not an ELF file, but it is longer than an ELF header is.......\n";
    write_file(p, text, sizeof text - 1);
    err.msg[0] = 0;
    CHECK(np_elf_open(p, &e, &err) < 0 && strstr(err.msg, "not an ELF"));
    /* A 32-bit header. */
    unsigned char h[64] = {0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2LSB, 1};
    snprintf(p, sizeof p, "%s/elf32", workdir());
    write_file(p, h, sizeof h);
    err.msg[0] = 0;
    CHECK(np_elf_open(p, &e, &err) < 0 && strstr(err.msg, "64-bit"));
    /* A bare 64-bit header with nothing behind it opens, and knows nothing. */
    h[EI_CLASS] = ELFCLASS64;
    snprintf(p, sizeof p, "%s/elf64", workdir());
    write_file(p, h, sizeof h);
    if (np_elf_open(p, &e, &err) == 0) {
        np_sym_frame fr[2];
        CHECK(np_elf_symbolize(e, 0x1000, fr, 2) == 0);
        CHECK_STR_EQ(np_elf_build_id(e), "");
        CHECK(!np_elf_has_lines(e));
        np_elf_close(e);
    } else {
        CHECK(!"bare header");
    }
}

/* A small deterministic generator, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Opens path and asks everything of it; the point is only that nothing crashes (run under
 * ASan/UBSan by `make asan`). */
static void poke(const char *path, const uint64_t *addrs, size_t n)
{
    np_elf *e;
    np_err err;
    if (np_elf_open_with_debug_root(path, "/nonexistent", &e, &err) < 0)
        return;
    (void)np_elf_build_id(e);
    (void)np_elf_has_lines(e);
    (void)np_elf_debug_file(e);
    np_sym_frame fr[16];
    for (size_t i = 0; i < n; i++) {
        int k = np_elf_symbolize(e, addrs[i], fr, 16);
        for (int j = 0; j < k; j++) {
            CHECK(fr[j].func_start <= addrs[i]); /* a start above the address would wrap offsets */
            if (fr[j].function)
                (void)strlen(fr[j].function);
            if (fr[j].file)
                (void)strlen(fr[j].file);
        }
    }
    np_elf_close(e);
}

/* Truncated and corrupted copies of a real binary: many lengths, random byte changes anywhere
 * and concentrated in the debug sections. */
static void mutate_binary(const char *bin, int copies)
{
    np_buf orig = {0};
    np_err err;
    if (np_read_file(bin, &orig, &err) < 0 || orig.len < sizeof(Elf64_Ehdr)) {
        CHECK(!"read binary");
        np_buf_free(&orig);
        return;
    }
    addrset a = {0};
    function_addrs(bin, 97, &a);
    size_t naddrs = a.n < 64 ? a.n : 64;
    /* Debug section ranges, from the intact headers. */
    uint64_t ranges[64][2];
    int nranges = 0;
    Elf64_Ehdr h;
    memcpy(&h, orig.data, sizeof h);
    for (unsigned i = 0; i < h.e_shnum && nranges < 64; i++) {
        Elf64_Shdr s;
        if (h.e_shoff + (uint64_t)(i + 1) * sizeof s > orig.len)
            break;
        memcpy(&s, orig.data + h.e_shoff + i * sizeof s, sizeof s);
        if (s.sh_type != SHT_NOBITS && s.sh_size && s.sh_offset + s.sh_size <= orig.len && s.sh_addr == 0) {
            ranges[nranges][0] = s.sh_offset;
            ranges[nranges][1] = s.sh_size;
            nranges++;
        }
    }
    char p[256];
    snprintf(p, sizeof p, "%s/mutant", workdir());
    char *buf = np_xmalloc(orig.len);
    for (int k = 0; k <= 200; k++) { /* truncations */
        size_t len = orig.len * (size_t)k / 200;
        write_file(p, orig.data, len);
        poke(p, a.v, naddrs);
    }
    for (int k = 0; k < copies; k++) { /* byte changes */
        memcpy(buf, orig.data, orig.len);
        int changes = 1 + (int)(rng() % 8);
        for (int c = 0; c < changes; c++) {
            size_t at;
            if (nranges && rng() % 4 != 0) {
                int r = (int)(rng() % (uint64_t)nranges);
                at = (size_t)(ranges[r][0] + rng() % ranges[r][1]);
            } else if (rng() % 2) {
                at = (size_t)(rng() % (orig.len < 4096 ? orig.len : 4096)); /* headers */
            } else {
                at = (size_t)(rng() % orig.len);
            }
            switch (rng() % 3) {
            case 0: buf[at] ^= (char)(1u << (rng() % 8)); break;
            case 1: buf[at] = (char)rng(); break;
            default: buf[at] = (char)(rng() % 2 ? 0xff : 0); break;
            }
        }
        write_file(p, buf, orig.len);
        poke(p, a.v, naddrs);
    }
    free(buf);
    np_buf_free(&orig);
    addrset_free(&a);
}

TEST(robustness_truncated_and_corrupted)
{
    char bin[256], gz[256];
    if (!compile(bin, sizeof bin, "mut", "cc", "-g -O2", false) ||
        !compile(gz, sizeof gz, "mutgz", "cc", "-gdwarf-4 -O2 -gz", false)) {
        CHECK(!"compile");
        return;
    }
    mutate_binary(bin, 1500);
    mutate_binary(gz, 500);
    /* The same file with every compressed section inflated in pieces. */
    np_elf_set_piecewise_min(0);
    mutate_binary(gz, 500);
    np_elf_set_piecewise_min(PIECEWISE_DEFAULT);
    char cxx[256];
    if (compile(cxx, sizeof cxx, "mutcxx", "g++", "-g -O2", true))
        mutate_binary(cxx, 500);
}
