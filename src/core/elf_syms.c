/* ELF symbol tables for symbolization: the function symbols of .symtab or .dynsym as a sorted
 * array of address ranges, one name per address. */
#include "elf_int.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

/* A candidate before deduplication: the fields that decide which alias names an address. */
typedef struct cand {
    uint64_t start, size;
    const char *name;
    uint32_t index; /* position in the table, the last tie-breaker so the order is stable */
    uint8_t bind_rank;
} cand;

/* Global names are what users call (malloc, not its local alias __malloc); weak ones are
 * usually aliases of a global at the same address. */
static uint8_t bind_rank(uint8_t bind)
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

/* Orders by address, then best alias first: global before weak before local, sized before
 * unsized, fewer leading underscores (the public spelling), then table order. */
static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->bind_rank != y->bind_rank)
        return x->bind_rank < y->bind_rank ? -1 : 1;
    if ((x->size == 0) != (y->size == 0))
        return x->size ? -1 : 1;
    int ux = leading_underscores(x->name), uy = leading_underscores(y->name);
    if (ux != uy)
        return ux < uy ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
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
    const uint8_t *syms, *strs;
    size_t syms_len, strs_len;
    if (elf_section_data(f, symsec, &syms, &syms_len) < 0 ||
        elf_section_data(f, &f->secs[symsec->link], &strs, &strs_len) < 0)
        return 0;
    size_t ent = symsec->entsize ? (size_t)symsec->entsize : sizeof(Elf64_Sym);
    if (ent < sizeof(Elf64_Sym))
        return 0;
    size_t n = syms_len / ent;
    if (n == 0)
        return 0;

    cand *c = malloc(n * sizeof *c);
    if (!c)
        return -1;
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        Elf64_Sym s;
        memcpy(&s, syms + i * ent, sizeof s);
        uint8_t type = ELF64_ST_TYPE(s.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || s.st_value == 0)
            continue;
        if (s.st_name >= strs_len || !memchr(strs + s.st_name, 0, strs_len - s.st_name))
            continue;
        const char *name = (const char *)strs + s.st_name;
        if (!name[0])
            continue;
        c[nc++] = (cand){s.st_value, s.st_size, name, (uint32_t)i, bind_rank(ELF64_ST_BIND(s.st_info))};
    }
    if (nc > 1) /* qsort must not see the NULL of an empty array */
        qsort(c, nc, sizeof *c, cand_cmp);

    elf_sym *out = malloc((nc ? nc : 1) * sizeof *out);
    if (!out) {
        free(c);
        return -1;
    }
    size_t no = 0;
    for (size_t i = 0; i < nc;) {
        /* The group of aliases at one address: the first is the chosen name, the largest size
         * wins (an unsized alias must not shrink a sized function). */
        size_t j = i;
        uint64_t size = 0;
        for (; j < nc && c[j].start == c[i].start; j++)
            if (c[j].size > size)
                size = c[j].size;
        uint64_t end = c[i].start + size;
        if (size == 0 || end < c[i].start) /* unsized (hand-written assembly) or overflowing */
            end = j < nc ? c[j].start : c[i].start + 1;
        out[no++] = (elf_sym){c[i].start, end, c[i].name};
        i = j;
    }
    free(c);
    t->syms = out;
    t->n = no;
    /* .symver leaves "name@VERSION" or "name@@VERSION" in .symtab; profiles want the name. */
    size_t need = 0;
    for (size_t i = 0; i < no; i++) {
        const char *at = strchr(out[i].name, '@');
        if (at && at > out[i].name)
            need += (size_t)(at - out[i].name) + 1;
    }
    if (need && (t->names = malloc(need)) != NULL) {
        char *p = t->names;
        for (size_t i = 0; i < no; i++) {
            const char *at = strchr(out[i].name, '@');
            if (at && at > out[i].name) {
                size_t len = (size_t)(at - out[i].name);
                memcpy(p, out[i].name, len);
                p[len] = 0;
                out[i].name = p;
                p += len + 1;
            }
        }
    }
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
