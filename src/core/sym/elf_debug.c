/* Locating separate debug files: by build ID under the debug root, by .gnu_debuglink next to
 * the binary, and the dwz supplementary file named by .gnu_debugaltlink. */
#include "core/sym/elf_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define DEFAULT_DEBUG_ROOT "/usr/lib/debug"

static void hex(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* The debug link CRC is the ordinary CRC-32 (as zlib computes it) of the whole file. */
static uint32_t file_crc(const elf_file *f)
{
    uLong crc = crc32(0, Z_NULL, 0);
    const uint8_t *p = f->map;
    size_t left = f->size;
    while (left) {
        uInt n = left > (1u << 30) ? (1u << 30) : (uInt)left;
        crc = crc32(crc, p, n);
        p += n;
        left -= n;
    }
    return (uint32_t)crc;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Opens path if it is the debug file for orig: matching build IDs when both have one, else a
 * matching CRC when want_crc is set. An unverifiable candidate is refused: a stale debug file
 * would give confidently wrong lines. */
static elf_file *try_candidate(const char *path, const elf_file *orig, const uint8_t *want_id,
                               size_t want_id_len, bool check_crc, uint32_t crc)
{
    if (orig && same_file(path, orig->path))
        return NULL;
    elf_file *f;
    np_err err;
    if (elf_file_open(path, &f, &err) < 0)
        return NULL;
    bool ok;
    if (want_id_len && f->build_id_len)
        ok = want_id_len == f->build_id_len && memcmp(want_id, f->build_id, want_id_len) == 0;
    else
        ok = check_crc && file_crc(f) == crc;
    if (!ok) {
        elf_file_close(f);
        return NULL;
    }
    return f;
}

static elf_file *by_build_id(const char *root, const uint8_t *id, size_t id_len, const elf_file *orig)
{
    if (id_len < 2)
        return NULL;
    char h[2 * sizeof orig->build_id + 1], path[PATH_MAX];
    if (id_len > sizeof orig->build_id)
        return NULL;
    hex(h, id, id_len);
    if (snprintf(path, sizeof path, "%s/.build-id/%.2s/%s.debug", root, h, h + 2) >= (int)sizeof path)
        return NULL;
    return try_candidate(path, orig, id, id_len, false, 0);
}

/* The directory part of path ("" for a bare name, "/" stays "/"), into out. */
static void dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash == path)
        n = 1;
    if (n >= size)
        n = size - 1;
    memcpy(out, path, n);
    out[n] = 0;
}

static elf_file *by_debuglink(const elf_file *f, const char *root)
{
    const char *name = f->debuglink;
    if (!name || strchr(name, '/'))
        return NULL; /* a link is a file name; a path would let a binary point anywhere */
    char dir[PATH_MAX], real[PATH_MAX], path[PATH_MAX];
    dir_of(f->path, dir, sizeof dir);
    const char *d = dir[0] ? dir : ".";
    const char *fmts[] = {"%s/%s", "%s/.debug/%s"};
    for (int i = 0; i < 2; i++) {
        if (snprintf(path, sizeof path, fmts[i], d, name) >= (int)sizeof path)
            continue;
        elf_file *g = try_candidate(path, f, f->build_id, f->build_id_len, true, f->debuglink_crc);
        if (g)
            return g;
    }
    /* Under the root, the binary's canonical directory: /usr/lib/debug/usr/bin/x.debug. */
    if (!realpath(f->path, real))
        return NULL;
    dir_of(real, dir, sizeof dir);
    if (snprintf(path, sizeof path, "%s%s/%s", root, strcmp(dir, "/") == 0 ? "" : dir, name) >= (int)sizeof path)
        return NULL;
    return try_candidate(path, f, f->build_id, f->build_id_len, true, f->debuglink_crc);
}

elf_file *elf_open_debug_file(const elf_file *f, const char *debug_root)
{
    const char *root = debug_root ? debug_root : DEFAULT_DEBUG_ROOT;
    elf_file *g = by_build_id(root, f->build_id, f->build_id_len, f);
    return g ? g : by_debuglink(f, root);
}

elf_file *elf_open_alt_file(const elf_file *f, const char *debug_root)
{
    if (!f->altlink)
        return NULL;
    const char *root = debug_root ? debug_root : DEFAULT_DEBUG_ROOT;
    char path[PATH_MAX], dir[PATH_MAX];
    if (f->altlink[0] == '/') {
        snprintf(path, sizeof path, "%s", f->altlink);
    } else {
        dir_of(f->path, dir, sizeof dir);
        if (snprintf(path, sizeof path, "%s/%s", dir[0] ? dir : ".", f->altlink) >= (int)sizeof path)
            path[0] = 0;
    }
    elf_file *g = NULL;
    if (path[0] && f->altlink_id_len)
        g = try_candidate(path, NULL, f->altlink_id, f->altlink_id_len, false, 0);
    if (!g)
        g = by_build_id(root, f->altlink_id, f->altlink_id_len, NULL);
    return g;
}
