/* Finds a Go binary's pclntab where Go's own object reader looks for it: its section (named
 * for fixed or position-independent binaries), else the bytes between the runtime.pclntab and
 * runtime.epclntab symbols; and the text start its code offsets count from. */
#include "core/sym/elf_int.h"

#include <elf.h>
#include <string.h>

/* The values of the .symtab symbols named a and b (0 when absent), first of each name. */
static void symbol_values(elf_file *f, const char *a, const char *b, uint64_t *va, uint64_t *vb)
{
    *va = *vb = 0;
    elf_sec *sec = NULL;
    for (size_t i = 0; i < f->nsecs && !sec; i++)
        if (f->secs[i].type == SHT_SYMTAB)
            sec = &f->secs[i];
    const uint8_t *syms, *strs;
    size_t nsyms, nstrs;
    if (!sec || sec->link >= f->nsecs || elf_section_data(f, sec, &syms, &nsyms) < 0 ||
        elf_section_data(f, &f->secs[sec->link], &strs, &nstrs) < 0)
        return;
    size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;
    bool got_a = false, got_b = !b;
    /* Entry 0 is the null symbol, which Go's reader skips. */
    for (size_t off = sizeof(Elf64_Sym); off + sizeof(Elf64_Sym) <= nsyms && !(got_a && got_b);
         off += sizeof(Elf64_Sym)) {
        Elf64_Sym s;
        memcpy(&s, syms + off, sizeof s);
        if (s.st_name >= nstrs)
            continue;
        const char *name = (const char *)strs + s.st_name;
        size_t room = nstrs - s.st_name;
        if (!got_a && room >= la && memcmp(name, a, la) == 0)
            *va = s.st_value, got_a = true;
        else if (!got_b && room >= lb && memcmp(name, b, lb) == 0)
            *vb = s.st_value, got_b = true;
    }
}

/* The bytes [addr, end) from the first segment whose file contents hold them all. */
static bool segment_bytes(elf_file *f, uint64_t addr, uint64_t end, const uint8_t **data, size_t *len)
{
    if (!addr || end < addr)
        return false;
    uint64_t size = end - addr;
    for (size_t i = 0; i < f->nloads; i++) {
        const elf_seg *s = &f->loads[i];
        if (s->vaddr <= addr && addr - s->vaddr <= s->filesz && size <= s->filesz - (addr - s->vaddr) &&
            s->offset + (addr - s->vaddr) + size <= f->size) {
            *data = f->map + s->offset + (addr - s->vaddr);
            *len = size;
            return true;
        }
    }
    return false;
}

int elf_go_pclntab(elf_file *f, const uint8_t **data, size_t *len, uint64_t *text_start)
{
    elf_sec *text = elf_section(f, ".text");
    *text_start = text ? text->addr : 0;
    uint64_t rt_text, unused;
    symbol_values(f, "runtime.text", NULL, &rt_text, &unused);
    if (rt_text)
        *text_start = rt_text;
    elf_sec *s = elf_section(f, ".gopclntab");
    if (!s)
        s = elf_section(f, ".data.rel.ro.gopclntab");
    if (s)
        return elf_section_data(f, s, data, len);
    uint64_t start, end;
    symbol_values(f, "runtime.pclntab", "runtime.epclntab", &start, &end);
    return segment_bytes(f, start, end, data, len) ? 0 : -1;
}
