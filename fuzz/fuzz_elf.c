/* libFuzzer target: the symbolizer's ELF and DWARF readers (symbolize.h). An input that is an
 * ELF file is used as is; any other input is cut into DWARF section contents and wrapped in a
 * well-formed ELF file made here, so the DWARF parsers are reached even from an empty corpus.
 * The file is opened and asked for its build ID, line info and frames for a few addresses. Any
 * error return is fine; a crash, hang, leak or sanitizer report is a bug. */
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/sym/symbolize.h"
#include "core/util.h"

static void fuzz_die(const char *what)
{
    fprintf(stderr, "fuzz invariant violated: %s\n", what);
    abort();
}

/* The input's file, in a directory of its own: a .gnu_debuglink in the input is looked up next
 * to it, so the directory must not hold anything else to find. */
static const char *input_path(void)
{
    static char path[64];
    if (!path[0]) {
        char dir[] = "/tmp/np_fuzz_elf.XXXXXX";
        if (!mkdtemp(dir))
            fuzz_die("mkdtemp failed");
        snprintf(path, sizeof path, "%s/input", dir);
    }
    return path;
}

/* Sections filled from a non-ELF input, in the order their contents are taken. */
static const char *const dwarf_sections[] = {
    ".debug_info", ".debug_abbrev", ".debug_line", ".debug_str", ".debug_line_str",
    ".debug_rnglists", ".debug_addr", ".debug_str_offsets", ".debug_aranges", ".debug_ranges",
};
#define NDWARF (sizeof dwarf_sections / sizeof *dwarf_sections)
/* Section indexes of the made file: null, the DWARF sections, then these. */
#define SEC_TEXT (1 + NDWARF)
#define SEC_SYMTAB (SEC_TEXT + 1)
#define SEC_STRTAB (SEC_TEXT + 2)
#define SEC_SHSTRTAB (SEC_TEXT + 3)
#define NSEC (SEC_TEXT + 4)

/* Appends one section's contents, zlib-compressed as SHF_COMPRESSED when asked. */
static void add_contents(np_buf *out, Elf64_Shdr *sh, const uint8_t *p, size_t n, bool compress)
{
    sh->sh_type = SHT_PROGBITS;
    sh->sh_offset = out->len;
    sh->sh_addralign = 1;
    uLongf zlen = compressBound((uLong)n);
    uint8_t *z = compress ? malloc(zlen) : NULL;
    if (z && compress2(z, &zlen, p, (uLong)n, 6) == Z_OK) {
        Elf64_Chdr ch = {ELFCOMPRESS_ZLIB, 0, n, 1};
        np_buf_add(out, &ch, sizeof ch);
        np_buf_add(out, z, zlen);
        sh->sh_flags = SHF_COMPRESSED;
    } else {
        np_buf_add(out, p, n);
    }
    free(z);
    sh->sh_size = out->len - sh->sh_offset;
}

/* Wraps input as an ELF64 shared object: a flags byte (bit 0: store .debug_info compressed,
 * bit 1: .debug_line too), then for each DWARF section a 16-bit length and that many bytes
 * (the last section takes what is left). Adds a PT_LOAD, .text at 0x1000 and a .symtab with
 * three functions, so symbols and address translation have something to work on. */
static void synthesize(const uint8_t *data, size_t size, np_buf *out)
{
    uint8_t flags = size ? data[0] : 0;
    size_t pos = size ? 1 : 0;
    Elf64_Shdr sh[NSEC];
    memset(sh, 0, sizeof sh);
    np_buf names = {0};
    np_buf_putc(&names, 0);
    static const char *const other[] = {".text", ".symtab", ".strtab", ".shstrtab"};
    for (size_t i = 1; i < NSEC; i++) {
        sh[i].sh_name = (uint32_t)names.len;
        np_buf_puts(&names, i < SEC_TEXT ? dwarf_sections[i - 1] : other[i - SEC_TEXT]);
        np_buf_putc(&names, 0);
    }

    /* Headers first (filled in at the end), then section contents, then the section table. */
    np_buf_reserve(out, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr));
    memset(out->data, 0, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr));
    out->len = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    for (size_t i = 0; i < NDWARF; i++) {
        size_t n = 0;
        if (i + 1 == NDWARF) {
            n = size - pos;
        } else if (size - pos >= 2) {
            n = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
            pos += 2;
            if (n > size - pos)
                n = size - pos;
        }
        add_contents(out, &sh[1 + i], data + pos, n, (i == 0 && (flags & 1)) || (i == 2 && (flags & 2)));
        pos += n;
    }

    sh[SEC_TEXT].sh_type = SHT_NOBITS;
    sh[SEC_TEXT].sh_flags = SHF_ALLOC | SHF_EXECINSTR;
    sh[SEC_TEXT].sh_addr = 0x1000;
    sh[SEC_TEXT].sh_offset = out->len;
    sh[SEC_TEXT].sh_size = 0x1000;

    /* A local, a global and a versioned global without size. */
    static const char strs[] = "\0alpha\0beta\0gamma@GLIBC_2.2.5";
    static const uint32_t name_at[3] = {1, 7, 12};
    static const uint64_t value[3] = {0x1000, 0x1040, 0x1080}, fsize[3] = {0x40, 0x40, 0};
    Elf64_Sym syms[4];
    memset(syms, 0, sizeof syms);
    for (int i = 0; i < 3; i++) {
        syms[i + 1].st_name = name_at[i];
        syms[i + 1].st_info = ELF64_ST_INFO(i ? STB_GLOBAL : STB_LOCAL, STT_FUNC);
        syms[i + 1].st_shndx = (uint16_t)SEC_TEXT;
        syms[i + 1].st_value = value[i];
        syms[i + 1].st_size = fsize[i];
    }
    sh[SEC_SYMTAB].sh_type = SHT_SYMTAB;
    sh[SEC_SYMTAB].sh_offset = out->len;
    sh[SEC_SYMTAB].sh_size = sizeof syms;
    sh[SEC_SYMTAB].sh_link = (uint32_t)SEC_STRTAB;
    sh[SEC_SYMTAB].sh_info = 1;
    sh[SEC_SYMTAB].sh_entsize = sizeof(Elf64_Sym);
    np_buf_add(out, syms, sizeof syms);
    sh[SEC_STRTAB].sh_type = SHT_STRTAB;
    sh[SEC_STRTAB].sh_offset = out->len;
    sh[SEC_STRTAB].sh_size = sizeof strs;
    np_buf_add(out, strs, sizeof strs);
    sh[SEC_SHSTRTAB].sh_type = SHT_STRTAB;
    sh[SEC_SHSTRTAB].sh_offset = out->len;
    sh[SEC_SHSTRTAB].sh_size = names.len;
    np_buf_add(out, names.data, names.len);
    np_buf_free(&names);
    while (out->len % 8)
        np_buf_putc(out, 0);
    uint64_t shoff = out->len;
    np_buf_add(out, sh, sizeof sh);

    Elf64_Ehdr eh;
    memset(&eh, 0, sizeof eh);
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof eh;
    eh.e_shoff = shoff;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = (uint16_t)NSEC;
    eh.e_shstrndx = (uint16_t)SEC_SHSTRTAB;
    /* One segment: file offset 0 is address 0x1000. */
    Elf64_Phdr ph;
    memset(&ph, 0, sizeof ph);
    ph.p_type = PT_LOAD;
    ph.p_flags = PF_R | PF_X;
    ph.p_vaddr = ph.p_paddr = 0x1000;
    ph.p_filesz = ph.p_memsz = out->len;
    ph.p_align = 0x1000;
    memcpy(out->data, &eh, sizeof eh);
    memcpy(out->data + sizeof eh, &ph, sizeof ph);
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Opens the file at path (whose contents are data) and asks everything of it. */
static void check(const char *path, const uint8_t *data, size_t size)
{
    np_err err = {{0}};
    np_elf *e = NULL;
    /* A debug root that does not exist: build IDs in the input must not pull in real files. */
    if (np_elf_open_with_debug_root(path, "/nonexistent/np-fuzz-debug", &e, &err) < 0) {
        if (e)
            fuzz_die("np_elf_open failed but returned a file");
        if (!err.msg[0])
            fuzz_die("np_elf_open failed without an error message");
        return;
    }
    const char *id = np_elf_build_id(e);
    if (!id || strlen(id) % 2 != 0 || strlen(id) > 128)
        fuzz_die("build ID is not an even-length hex string");
    (void)np_elf_has_lines(e);
    (void)np_elf_debug_file(e);

    /* Addresses: fixed ones where small binaries keep code, some taken from the tail of the
     * input (so the fuzzer can aim at what it built), and some through address translation. */
    uint64_t addrs[24];
    int na = 0;
    for (uint64_t a = 0x1000; a < 0x1200 && na < 8; a += 0x40)
        addrs[na++] = a;
    for (size_t k = 0; k < 8 && size >= 8 * (k + 1); k++)
        addrs[na++] = load64(data + size - 8 * (k + 1));
    for (int k = 0; k < 8; k++)
        addrs[na++] = np_elf_file_address(e, addrs[k] + 0x555555554000ull, 0x555555554000ull, 0);

    np_sym_frame frames[16];
    for (int i = 0; i < na; i++) {
        int n = np_elf_symbolize(e, addrs[i], frames, 16);
        if (n < 0 || n > 16)
            fuzz_die("np_elf_symbolize returned a count out of range");
        for (int k = 0; k < n; k++) {
            /* Every string must be readable to its end (ASan checks the bytes). */
            if (frames[k].function)
                (void)strlen(frames[k].function);
            if (frames[k].file)
                (void)strlen(frames[k].file);
        }
    }
    if (np_elf_symbolize(e, addrs[0], frames, 1) > 1)
        fuzz_die("np_elf_symbolize wrote past max");
    np_elf_close(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    np_buf made = {0};
    if (size < SELFMAG || memcmp(data, ELFMAG, SELFMAG) != 0) {
        synthesize(data, size, &made);
        data = (const uint8_t *)made.data;
        size = made.len;
    }
    const char *path = input_path();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fuzz_die("cannot write the input file");
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            fuzz_die("short write of the input file");
        off += (size_t)n;
    }
    close(fd);
    check(path, data, size);
    np_buf_free(&made);
    return 0;
}
