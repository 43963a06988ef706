/* ELF64 little-endian files for the symbolizer: read-only mapping, section and program
 * headers, build ID and debug links, section contents with zlib decompression. */
#include "core/sym/elf_int.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Every multi-byte field is read with memcpy: fuzzed files put headers at any offset, and the
 * host (x86-64) is little-endian like the files we accept. */
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* [off, off+len) lies inside a buffer of size total (written to avoid overflow). */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t total)
{
    return off <= total && len <= total - off;
}

/* Scans a run of ELF notes for the GNU build ID; align is the note alignment (4 or 8). */
static void scan_notes(elf_file *f, const uint8_t *p, size_t len, size_t align)
{
    size_t off = 0;
    while (len - off >= 12) {
        uint32_t namesz = rd32(p + off), descsz = rd32(p + off + 4), type = rd32(p + off + 8);
        size_t name_off = off + 12;
        uint64_t name_pad = ((uint64_t)namesz + align - 1) & ~(uint64_t)(align - 1);
        uint64_t desc_pad = ((uint64_t)descsz + align - 1) & ~(uint64_t)(align - 1);
        if (!in_bounds(name_off, name_pad, len) || !in_bounds(name_off + name_pad, descsz, len))
            return;
        if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + name_off, "GNU", 4) == 0 &&
            descsz > 0 && descsz <= sizeof f->build_id) {
            memcpy(f->build_id, p + name_off + name_pad, descsz);
            f->build_id_len = descsz;
            return;
        }
        uint64_t next = name_off + name_pad + desc_pad;
        if (next > len)
            return;
        off = (size_t)next;
    }
}

static int parse_sections(elf_file *f, np_err *err)
{
    const uint8_t *h = f->map;
    uint64_t shoff = rd64(h + 40);
    uint16_t shentsize = rd16(h + 58);
    uint64_t shnum = rd16(h + 60);
    uint32_t shstrndx = rd16(h + 62);
    if (shoff == 0)
        return 0; /* no section headers (sstrip'ed): segments still give the build ID */
    if (shentsize < sizeof(Elf64_Shdr) || !in_bounds(shoff, shentsize, f->size))
        return np_fail(err, "%s: bad section header table", f->path);
    /* Extended numbering: the real counts live in section 0 when they do not fit 16 bits. */
    const uint8_t *s0 = f->map + shoff;
    if (shnum == 0)
        shnum = rd64(s0 + 32);
    if (shstrndx == SHN_XINDEX)
        shstrndx = rd32(s0 + 40);
    if (shnum == 0)
        return 0;
    if (shnum > (f->size - shoff) / shentsize)
        return np_fail(err, "%s: section header table runs past the end of the file", f->path);
    f->secs = calloc(shnum, sizeof *f->secs);
    if (!f->secs)
        return np_fail(err, "%s: out of memory", f->path);
    f->nsecs = shnum;
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *s = f->map + shoff + i * shentsize;
        elf_sec *sec = &f->secs[i];
        sec->type = rd32(s + 4);
        sec->flags = rd64(s + 8);
        sec->addr = rd64(s + 16);
        sec->offset = rd64(s + 24);
        sec->size = rd64(s + 32);
        sec->link = rd32(s + 40);
        sec->info = rd32(s + 44);
        sec->align = rd64(s + 48);
        sec->entsize = rd64(s + 56);
        sec->name = "";
    }
    /* Names, once every header is known; an unusable string table just leaves names empty. */
    if (shstrndx < shnum) {
        const elf_sec *ss = &f->secs[shstrndx];
        if (ss->type != SHT_NOBITS && in_bounds(ss->offset, ss->size, f->size)) {
            const char *tab = (const char *)f->map + ss->offset;
            for (uint64_t i = 0; i < shnum; i++) {
                uint32_t n = rd32(f->map + shoff + i * shentsize);
                if (n < ss->size && memchr(tab + n, 0, ss->size - n))
                    f->secs[i].name = tab + n;
            }
        }
    }
    return 0;
}

static int parse_segments(elf_file *f, np_err *err)
{
    const uint8_t *h = f->map;
    uint64_t phoff = rd64(h + 32);
    uint16_t phentsize = rd16(h + 54);
    uint64_t phnum = rd16(h + 56);
    if (phoff == 0 || phnum == 0)
        return 0;
    /* Extended numbering again: PN_XNUM means the count is in section 0's sh_info. */
    if (phnum == PN_XNUM && f->nsecs > 0)
        phnum = f->secs[0].info;
    if (phentsize < sizeof(Elf64_Phdr) || !in_bounds(phoff, phentsize, f->size) ||
        phnum > (f->size - phoff) / phentsize)
        return np_fail(err, "%s: bad program header table", f->path);
    size_t nloads = 0;
    for (uint64_t i = 0; i < phnum; i++)
        if (rd32(h + phoff + i * phentsize) == PT_LOAD)
            nloads++;
    if (nloads) {
        f->loads = calloc(nloads, sizeof *f->loads);
        if (!f->loads)
            return np_fail(err, "%s: out of memory", f->path);
    }
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *p = h + phoff + i * phentsize;
        uint32_t type = rd32(p);
        if (type == PT_LOAD) {
            elf_seg *s = &f->loads[f->nloads++];
            s->flags = rd32(p + 4);
            s->offset = rd64(p + 8);
            s->vaddr = rd64(p + 16);
            s->filesz = rd64(p + 32);
            s->memsz = rd64(p + 40);
        } else if (type == PT_NOTE && f->build_id_len == 0) {
            uint64_t off = rd64(p + 8), sz = rd64(p + 32), align = rd64(p + 48);
            if (in_bounds(off, sz, f->size))
                scan_notes(f, f->map + off, (size_t)sz, align == 8 ? 8 : 4);
        }
    }
    return 0;
}

/* Build ID from note sections first: a separate debug file keeps its notes as sections, while
 * its program headers still describe the stripped-out contents of the original. */
static void find_build_id(elf_file *f)
{
    for (size_t i = 0; i < f->nsecs && f->build_id_len == 0; i++) {
        elf_sec *s = &f->secs[i];
        if (s->type == SHT_NOTE && in_bounds(s->offset, s->size, f->size))
            scan_notes(f, f->map + s->offset, (size_t)s->size, s->align == 8 ? 8 : 4);
    }
}

static void find_links(elf_file *f)
{
    const uint8_t *d;
    size_t len;
    elf_sec *s = elf_section(f, ".gnu_debuglink");
    if (s && elf_section_data(f, s, &d, &len) == 0) {
        const uint8_t *nul = memchr(d, 0, len);
        if (nul && nul > d) {
            size_t crc_off = ((size_t)(nul - d) + 1 + 3) & ~(size_t)3;
            if (crc_off + 4 <= len) {
                f->debuglink = (const char *)d;
                f->debuglink_crc = rd32(d + crc_off);
            }
        }
    }
    s = elf_section(f, ".gnu_debugaltlink");
    if (s && elf_section_data(f, s, &d, &len) == 0) {
        const uint8_t *nul = memchr(d, 0, len);
        if (nul && nul > d) {
            f->altlink = (const char *)d;
            f->altlink_id = nul + 1;
            f->altlink_id_len = len - (size_t)(nul + 1 - d);
        }
    }
}

int elf_file_open(const char *path, elf_file **out, np_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return np_fail(err, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return np_fail(err, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return np_fail(err, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size < sizeof(Elf64_Ehdr)) {
        close(fd);
        return np_fail(err, "%s: too small to be an ELF file", path);
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return np_fail(err, "%s: too large", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd); /* the mapping keeps the file alive; holding the fd only costs a descriptor */
    if (map == MAP_FAILED)
        return np_fail(err, "%s: mmap: %s", path, strerror(map_errno));

    elf_file *f = calloc(1, sizeof *f);
    char *p = f ? strdup(path) : NULL;
    if (!f || !p) {
        free(f);
        munmap(map, (size_t)st.st_size);
        return np_fail(err, "%s: out of memory", path);
    }
    f->path = p;
    f->map = map;
    f->size = (size_t)st.st_size;
    const uint8_t *h = f->map;
    if (memcmp(h, ELFMAG, SELFMAG) != 0) {
        np_fail(err, "%s: not an ELF file", path);
        goto fail;
    }
    if (h[EI_CLASS] != ELFCLASS64 || h[EI_DATA] != ELFDATA2LSB) {
        np_fail(err, "%s: not a 64-bit little-endian ELF file", path);
        goto fail;
    }
    f->type = rd16(h + 16);
    if (parse_sections(f, err) < 0)
        goto fail;
    find_build_id(f); /* before segments: sections win over PT_NOTE, see find_build_id */
    if (parse_segments(f, err) < 0)
        goto fail;
    find_links(f);
    *out = f;
    return 0;
fail:
    elf_file_close(f);
    return -1;
}

void elf_file_close(elf_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nsecs; i++) {
        free(f->secs[i].owned);
        elf_zsec_close(f->secs[i].z);
    }
    free(f->secs);
    free(f->loads);
    if (f->map)
        munmap((void *)f->map, f->size);
    free(f->path);
    free(f);
}

elf_sec *elf_section(elf_file *f, const char *name)
{
    for (size_t i = 0; i < f->nsecs; i++)
        if (strcmp(f->secs[i].name, name) == 0)
            return &f->secs[i];
    /* Old toolchains (-gz=zlib-gnu) name compressed debug sections .zdebug_*. */
    if (strncmp(name, ".debug_", 7) == 0) {
        for (size_t i = 0; i < f->nsecs; i++) {
            const char *n = f->secs[i].name;
            if (n[0] == '.' && n[1] == 'z' && strcmp(n + 2, name + 1) == 0)
                return &f->secs[i];
        }
    }
    return NULL;
}

bool elf_has_section(elf_file *f, const char *name)
{
    elf_sec *s = elf_section(f, name);
    return s && s->type != SHT_NOBITS && s->size > 0;
}

/* Largest output we believe: deflate cannot expand by more than 1032:1, so a bigger claimed
 * size is a corrupt header (and must not become a giant allocation). */
static bool plausible_inflated_size(uint64_t out, uint64_t in)
{
    return out <= in * 1032 + 1024 && out <= UINT32_MAX;
}

static int inflate_exact(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return -1;
    z.next_in = (Bytef *)in;
    z.avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)out_len;
    int rc = inflate(&z, Z_FINISH);
    size_t got = out_len - z.avail_out;
    inflateEnd(&z);
    return rc == Z_STREAM_END && got == out_len ? 0 : -1;
}

/* Where a section's contents are: 0 and raw/raw_len for stored ones, 1 and the zlib stream
 * with its inflated size for compressed ones, -1 when unusable (NOBITS, out of bounds,
 * unsupported or implausible compression). */
static int section_source(elf_file *f, const elf_sec *s, const uint8_t **raw, size_t *raw_len, uint64_t *out_len)
{
    if (s->type == SHT_NOBITS || !in_bounds(s->offset, s->size, f->size))
        return -1;
    const uint8_t *p = f->map + s->offset;
    size_t n = (size_t)s->size;
    *out_len = 0;
    if (s->flags & SHF_COMPRESSED) {
        if (n < sizeof(Elf64_Chdr) || rd32(p) != ELFCOMPRESS_ZLIB)
            return -1; /* zstd (ELFCOMPRESS_ZSTD) is not used by Debian 12's toolchain */
        *out_len = rd64(p + 8);
        p += sizeof(Elf64_Chdr);
        n -= sizeof(Elf64_Chdr);
    } else if (s->name[0] == '.' && s->name[1] == 'z' && n >= 12 && memcmp(p, "ZLIB", 4) == 0) {
        for (int i = 0; i < 8; i++) /* the legacy header's size is big-endian */
            *out_len = *out_len << 8 | p[4 + i];
        p += 12;
        n -= 12;
    } else {
        *raw = p;
        *raw_len = n;
        return 0;
    }
    if (!plausible_inflated_size(*out_len, n))
        return -1;
    *raw = p;
    *raw_len = n;
    return 1;
}

static int load_section(elf_file *f, elf_sec *s)
{
    const uint8_t *raw;
    size_t raw_len;
    uint64_t out_len;
    int kind = section_source(f, s, &raw, &raw_len, &out_len);
    if (kind <= 0) {
        s->data = raw;
        s->len = raw_len;
        return kind;
    }
    if (s->z) { /* already viewed piecewise: the whole of it, there */
        if (elf_zsec_need(s->z, 0, out_len) < 0)
            return -1;
        s->data = elf_zsec_view(s->z);
        s->len = (size_t)out_len;
        return 0;
    }
    uint8_t *buf = malloc(out_len ? (size_t)out_len : 1);
    if (!buf)
        return -1;
    if (inflate_exact(raw, raw_len, buf, (size_t)out_len) < 0) {
        free(buf);
        return -1;
    }
    /* Whatever was read of the file for this is in the copy now. */
    elf_file_forget(raw, raw_len);
    s->owned = buf;
    s->data = buf;
    s->len = (size_t)out_len;
    return 0;
}

int elf_section_data(elf_file *f, elf_sec *s, const uint8_t **data, size_t *len)
{
    if (s->state == 0)
        s->state = load_section(f, s) == 0 ? 1 : -1;
    if (s->state < 0) {
        *data = NULL;
        *len = 0;
        return -1;
    }
    *data = s->data;
    *len = s->len;
    return 0;
}

size_t elf_piecewise_min = 64 * 1024;

int elf_section_view(elf_file *f, elf_sec *s, const uint8_t **data, size_t *len)
{
    if (s->view_state == 0) {
        s->view_state = 1;
        const uint8_t *raw;
        size_t raw_len;
        uint64_t out_len;
        /* Not when it was inflated whole already: that copy serves. */
        if (s->state == 0 && section_source(f, s, &raw, &raw_len, &out_len) == 1 && out_len > 0 &&
            out_len >= elf_piecewise_min && !(s->z = elf_zsec_open(raw, raw_len, out_len)))
            s->view_state = -1;
    }
    if (s->view_state < 0) {
        *data = NULL;
        *len = 0;
        return -1;
    }
    if (!s->z)
        return elf_section_data(f, s, data, len);
    *data = elf_zsec_view(s->z);
    *len = elf_zsec_len(s->z);
    return 0;
}

bool elf_section_piecewise(const elf_sec *s)
{
    return s->z != NULL;
}

int elf_section_need(elf_file *f, elf_sec *s, uint64_t off, uint64_t len)
{
    return s->z ? elf_zsec_need(s->z, off, len) : 0;
}

int elf_section_copy(elf_file *f, elf_sec *s, uint64_t off, void *buf, size_t len)
{
    if (s->z)
        return elf_zsec_copy(s->z, off, buf, len);
    const uint8_t *data;
    size_t n;
    if (elf_section_data(f, s, &data, &n) < 0 || off > n || len > n - off)
        return -1;
    if (len)
        memcpy(buf, data + off, len);
    return 0;
}

void elf_section_release(elf_file *f, elf_sec *s, uint64_t off, uint64_t len)
{
    if (s->z) {
        elf_zsec_release(s->z, off, len);
    } else if (s->state > 0 && !s->owned && off < s->len) {
        elf_file_forget(s->data + off, len < s->len - off ? (size_t)len : s->len - (size_t)off);
    }
}
