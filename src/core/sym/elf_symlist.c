/* Every code symbol of an ELF file as the table holds it (aliases and sizes kept), for
 * reports that look functions up by name in the binary (-disasm), where symbolization wants
 * one name per address instead. */
#include "core/sym/elf_int.h"

#include <elf.h>
#include <string.h>

/* Whether section index shndx of f holds code. */
static bool in_code(const elf_file *f, uint16_t shndx)
{
    if (shndx == SHN_UNDEF || shndx >= SHN_LORESERVE || shndx >= f->nsecs)
        return false;
    return (f->secs[shndx].flags & SHF_EXECINSTR) != 0;
}

/* The symbols of f's table named name (of type sh_type), through fn; how many, -1 without
 * the table. */
static long list_table(elf_file *f, const char *name, uint32_t sh_type, np_elf_sym_fn fn, void *ctx)
{
    elf_sec *sec = elf_section(f, name);
    const uint8_t *syms, *strs;
    size_t len, strs_len;
    bool usable = sec && sec->type == sh_type && sec->link < f->nsecs;
    if (!usable || elf_section_data(f, sec, &syms, &len) < 0 || elf_section_data(f, &f->secs[sec->link], &strs, &strs_len) < 0)
        return -1;
    size_t ent = sec->entsize >= sizeof(Elf64_Sym) ? sec->entsize : sizeof(Elf64_Sym);
    long n = 0;
    for (size_t off = 0; len >= sizeof(Elf64_Sym) && off <= len - sizeof(Elf64_Sym); off += ent) {
        Elf64_Sym s;
        memcpy(&s, syms + off, sizeof s);
        uint8_t type = ELF64_ST_TYPE(s.st_info);
        if (type == STT_SECTION || type == STT_FILE || !in_code(f, s.st_shndx) || s.st_name >= strs_len ||
            !memchr(strs + s.st_name, 0, strs_len - s.st_name) || !strs[s.st_name])
            continue;
        np_elf_symbol sym = {(const char *)strs + s.st_name, s.st_value, s.st_size};
        fn(ctx, &sym);
        n++;
    }
    return n;
}

long elf_symlist(elf_file *main, elf_file *debug, np_elf_sym_fn fn, void *ctx)
{
    long n = list_table(main, ".symtab", SHT_SYMTAB, fn, ctx);
    if (n < 0 && debug)
        n = list_table(debug, ".symtab", SHT_SYMTAB, fn, ctx);
    if (n < 0)
        n = list_table(main, ".dynsym", SHT_DYNSYM, fn, ctx);
    return n < 0 ? 0 : n;
}
