/* ELF symbol tables for symbolization: the function symbols of .symtab or .dynsym as a sorted
 * array of address ranges, one name per address. */
#include "core/sym/elf_int.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

/* A candidate before deduplication: the fields that decide which alias names an address.
 * Candidates are sorted and turned into the table's entries in one array, a slot each: a
 * large table (28 000 symbols in cc1's .dynsym) is then built in the memory it ends up in. */
typedef struct cand {
    uint64_t start, size;
    uint32_t name;  /* offset in the string table */
    uint32_t order; /* bind rank (2 bits), VERSIONED, then the position in the table */
} cand;

typedef union slot {
    cand c;
    elf_sym s;
} slot;

_Static_assert(sizeof(cand) == sizeof(elf_sym), "a slot is read as an array of entries");

#define RANK_SHIFT 30
#define VERSIONED (1u << 29) /* the name has a symbol version to cut off ("name@GLIBC_2.2.5") */
#define MAX_INDEX (VERSIONED - 1)

static uint32_t rank_of(const cand *c) { return c->order >> RANK_SHIFT; }
static uint32_t index_of(const cand *c) { return c->order & MAX_INDEX; }

/* Global names are what users call (malloc, not its local alias __malloc); weak ones are
 * usually aliases of a global at the same address. */
static uint32_t bind_rank(uint8_t bind)
{
    switch (bind) {
    case STB_GLOBAL:
    case STB_GNU_UNIQUE:
        return 0;
    case STB_WEAK:
        return 1;
    default:
        return 2;
    }
}

static int leading_underscores(const char *s)
{
    int n = 0;
    while (s[n] == '_')
        n++;
    return n;
}

/* .symver leaves "name@VERSION" or "name@@VERSION" in .symtab; profiles want the name. The
 * length of the name without it, or 0 if it has none. */
static size_t unversioned_len(const char *name)
{
    const char *at = strchr(name, '@');
    return at && at > name ? (size_t)(at - name) : 0;
}

/* The string table is read in the order of its names, not of the symbols (which is a hash
 * order in .dynsym): what was read can then be given back as the reading goes, and a table
 * costs its own size in memory, not that and the whole string table besides. */
static int by_name(const cand *x, const cand *y)
{
    if (x->name != y->name)
        return x->name < y->name ? -1 : 1;
    return index_of(x) < index_of(y) ? -1 : index_of(x) > index_of(y);
}

/* Orders by address, then best alias first: global before weak before local, sized before
 * unsized, then table order. Of aliases equal so far, the one with the fewest leading
 * underscores (the public spelling) is picked afterwards (best_alias, from counts taken
 * while the names were read in order), so sorting reads no names. */
static int by_address(const cand *x, const cand *y)
{
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (rank_of(x) != rank_of(y))
        return rank_of(x) < rank_of(y) ? -1 : 1;
    if ((x->size == 0) != (y->size == 0))
        return x->size ? -1 : 1;
    return index_of(x) < index_of(y) ? -1 : index_of(x) > index_of(y);
}

typedef int (*cand_cmp)(const cand *x, const cand *y);

/* Heapsort: in place, where qsort would take a second array as large as the table. Both
 * orders are total (table position breaks ties), so the result does not depend on the
 * algorithm. */
static void sift_down(slot *v, size_t root, size_t n, cand_cmp cmp)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(&v[child].c, &v[child + 1].c) < 0)
            child++;
        if (cmp(&v[root].c, &v[child].c) >= 0)
            return;
        cand tmp = v[root].c;
        v[root].c = v[child].c;
        v[child].c = tmp;
        root = child;
    }
}

static void sort_cands(slot *v, size_t n, cand_cmp cmp)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n, cmp);
    for (size_t end = n; end-- > 1;) {
        cand tmp = v[0].c;
        v[0].c = v[end].c;
        v[end].c = tmp;
        sift_down(v, 0, end, cmp);
    }
}

typedef struct table {
    elf_file *f;
    elf_sec *symsec, *strsec;
    const uint8_t *syms, *strs;
    size_t n, ent, strs_len;
    uint8_t *underscores; /* by position in the table: the name's leading underscores */
} table;

/* Bytes of a table read between giving their pages back. */
#define FORGET_EVERY (64 * 1024)

/* Gives back the pages of a mapped table read so far: they cost memory in the process, and
 * what is read again (a looked-up name) faults back in from the page cache. A table inflated
 * into a copy keeps it: that is the data. */
static void forget(const table *t, elf_sec *s, size_t off, size_t len)
{
    if (!elf_section_piecewise(s))
        elf_section_release(t->f, s, off, len);
}

/* The defined function symbols with a name offset in the string table, as candidates (names
 * not read yet); returns how many. */
static size_t collect(slot *v, const table *t)
{
    size_t nc = 0, from = 0;
    for (size_t i = 0; i < t->n; i++) {
        if ((i - from) * t->ent >= FORGET_EVERY) {
            forget(t, t->symsec, from * t->ent, (i - from) * t->ent);
            from = i;
        }
        Elf64_Sym s;
        memcpy(&s, t->syms + i * t->ent, sizeof s);
        uint8_t type = ELF64_ST_TYPE(s.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || s.st_value == 0 ||
            s.st_name >= t->strs_len)
            continue;
        v[nc++].c = (cand){s.st_value, s.st_size, s.st_name, bind_rank(ELF64_ST_BIND(s.st_info)) << RANK_SHIFT | (uint32_t)i};
    }
    forget(t, t->symsec, 0, t->n * t->ent);
    return nc;
}

/* Reads the candidates' names in string table order: drops those that are empty or not
 * terminated, marks those with a version. Returns how many are left, and in *cut_bytes the
 * room their names without versions take. */
static size_t check_names(slot *v, size_t nc, const table *t, size_t *cut_bytes)
{
    sort_cands(v, nc, by_name);
    /* A table ending in NUL terminates every name in it; else each is checked. */
    bool terminated = t->strs_len && t->strs[t->strs_len - 1] == 0;
    size_t kept = 0, from = 0;
    *cut_bytes = 0;
    for (size_t i = 0; i < nc; i++) {
        cand c = v[i].c;
        if (c.name - from >= FORGET_EVERY) {
            forget(t, t->strsec, from, c.name - from);
            from = c.name;
        }
        const char *name = (const char *)t->strs + c.name;
        if (!name[0] || (!terminated && !memchr(name, 0, t->strs_len - c.name)))
            continue;
        size_t cut = unversioned_len(name);
        *cut_bytes += cut ? cut + 1 : 0;
        c.order |= cut ? VERSIONED : 0;
        int u = leading_underscores(name);
        t->underscores[index_of(&c)] = (uint8_t)(u < UINT8_MAX ? u : UINT8_MAX);
        v[kept++].c = c;
    }
    return kept;
}

/* Of the aliases v[i..j) at one address, sorted by_address, the best: of those first in rank
 * and sizedness, the one with the fewest leading underscores, the first in the table of those. */
static size_t best_alias(const slot *v, size_t i, size_t j, const uint8_t *underscores)
{
    size_t best = i;
    for (size_t k = i + 1; k < j && rank_of(&v[k].c) == rank_of(&v[i].c) && (v[k].c.size == 0) == (v[i].c.size == 0);
         k++)
        if (underscores[index_of(&v[k].c)] < underscores[index_of(&v[best].c)])
            best = k;
    return best;
}

/* Turns sorted candidates into entries, in place (entry k is written once candidates up to
 * k have been read); returns how many. Versioned names are copied without their version to
 * names (which has room for all), unless it is NULL. */
static size_t dedupe(slot *v, size_t nc, const char *strs, const uint8_t *underscores, char *names)
{
    size_t no = 0;
    for (size_t i = 0; i < nc;) {
        /* The group of aliases at one address: the best names it, the largest size wins (an
         * unsized alias must not shrink a sized function). */
        uint64_t start = v[i].c.start, size = 0;
        size_t j = i;
        for (; j < nc && v[j].c.start == start; j++)
            if (v[j].c.size > size)
                size = v[j].c.size;
        cand best = v[best_alias(v, i, j, underscores)].c;
        uint64_t end = start + size;
        if (size == 0 || end < start) /* unsized (hand-written assembly) or overflowing */
            end = j < nc ? v[j].c.start : start + 1;
        const char *name = strs + best.name;
        if ((best.order & VERSIONED) && names) {
            size_t len = unversioned_len(name);
            memcpy(names, name, len);
            names[len] = 0;
            name = names;
            names += len + 1;
        }
        v[no++].s = (elf_sym){start, end, name};
        i = j;
    }
    return no;
}

long elf_symtab_load(elf_symtab *t, elf_file *f, uint32_t sh_type)
{
    memset(t, 0, sizeof *t);
    elf_sec *symsec = NULL;
    for (size_t i = 0; i < f->nsecs && !symsec; i++)
        if (f->secs[i].type == sh_type)
            symsec = &f->secs[i];
    if (!symsec || symsec->link >= f->nsecs)
        return 0;
    elf_sec *strsec = &f->secs[symsec->link];
    const uint8_t *syms, *strs;
    size_t syms_len, strs_len;
    if (elf_section_data(f, symsec, &syms, &syms_len) < 0 || elf_section_data(f, strsec, &strs, &strs_len) < 0)
        return 0;
    size_t ent = symsec->entsize ? (size_t)symsec->entsize : sizeof(Elf64_Sym);
    if (ent < sizeof(Elf64_Sym))
        return 0;
    size_t n = syms_len / ent;
    if (n > MAX_INDEX)
        n = MAX_INDEX; /* half a billion symbols: not a real table */
    if (n == 0)
        return 0;

    slot *v = malloc(n * sizeof *v);
    uint8_t *underscores = malloc(n);
    if (!v || !underscores) {
        free(v);
        free(underscores);
        return -1;
    }
    table tb = {f, symsec, strsec, syms, strs, n, ent, strs_len, underscores};
    size_t cut_bytes, nc = collect(v, &tb);
    nc = check_names(v, nc, &tb, &cut_bytes);
    if (cut_bytes && !(t->names = malloc(cut_bytes)))
        cut_bytes = 0; /* names keep their versions rather than fail */
    sort_cands(v, nc, by_address);
    size_t no = dedupe(v, nc, (const char *)strs, underscores, t->names);
    free(underscores);
    forget(&tb, strsec, 0, strs_len); /* names are read again where looked up */
    slot *fit = realloc(v, (no ? no : 1) * sizeof *v);
    if (fit)
        v = fit;
    t->syms = &v[0].s;
    t->n = no;
    return (long)no;
}

void elf_symtab_free(elf_symtab *t)
{
    free(t->syms);
    free(t->names);
    memset(t, 0, sizeof *t);
}

/* How far back to look for an enclosing symbol when the nearest one below ends before addr:
 * symbols nest rarely (local labels typed FUNC inside assembly functions), and never deeply. */
#define NESTED_SCAN 32

const elf_sym *elf_symtab_lookup(const elf_symtab *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) { /* first symbol starting above addr */
        size_t mid = lo + (hi - lo) / 2;
        if (t->syms[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = 0; k < NESTED_SCAN && lo > k; k++) {
        const elf_sym *s = &t->syms[lo - 1 - k];
        if (addr < s->end)
            return s;
    }
    return NULL;
}
