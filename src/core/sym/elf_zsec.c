/* Compressed sections inflated in pieces. A distribution's debug file keeps its DWARF zlib-
 * compressed, and a symbolizer needs only the few units that hold the looked-up addresses:
 * inflating whole sections would cost megabytes in the profiled process at the moment it
 * writes its profile. Instead a section's view is an address range reserved at its inflated
 * size, with no memory behind it until a reader asks for a range; only the pages of that range
 * are inflated into it. A zlib stream can only be read from its start, so checkpoints (the
 * inflater's bit position and its dictionary, the last 32 KiB of output) are taken about every
 * span bytes the first time the stream passes there: a later piece starts from the checkpoint
 * before it, or goes on from where the last piece stopped. */
#include "core/sym/elf_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#define WINDOW 32768u           /* deflate's longest distance back: a checkpoint's dictionary */
#define SCRATCH 16384u          /* output before the wanted range goes here and is dropped */
#define MIN_SPAN (1u << 20)     /* at most ~1 MiB inflated again to reach any byte... */
#define MAX_POINTS 32u          /* ...unless that would take more than 1 MiB of dictionaries */

typedef struct zpoint {
    uint64_t out;      /* offset in the inflated contents */
    size_t in;         /* offset in the deflate data of the first byte not fully read */
    int bits;          /* bits of the byte before `in` not read yet (0-7) */
    uint8_t *dict;     /* the dict_len bytes of output before `out`; NULL at the start */
    unsigned dict_len;
} zpoint;

struct elf_zsec {
    const uint8_t *src; /* raw deflate data (the zlib header skipped) in the file's mapping */
    size_t src_len;
    uint8_t *view;      /* len bytes reserved (view_len, whole pages); NULL when len is 0 */
    size_t len, view_len, page;
    uint8_t *have;      /* one bit per page of the view: inflated */
    zpoint *pts;        /* by out; pts[0] is the start of the stream */
    size_t npts;
    uint64_t span;
    uint64_t bad_at;    /* output at or after this offset cannot be had (corrupt data) */
    bool live;          /* z is a stream positioned at pos */
    z_stream z;
    uint64_t pos;
    uint8_t *scratch;
};

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

/* Drops the page-table entries of a read-only file mapping for the pages [p, p+len) covers,
 * but its last, partial one (a sequential reader is still on it): the memory stays in the page
 * cache, reading it again only faults it back in. What was read once to be inflated or copied
 * then stops counting in the process's resident size. */
void elf_file_forget(const void *p, size_t len)
{
    size_t pg = page_size();
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)(pg - 1), b = ((uintptr_t)p + len) & ~(uintptr_t)(pg - 1);
    if (len && b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

/* A zlib stream's two-byte header (RFC 1950): deflate, no preset dictionary, valid check. */
static bool zlib_header_ok(const uint8_t *p, size_t n)
{
    return n >= 2 && (p[0] & 15) == 8 && (p[0] >> 4) <= 7 && !(p[1] & 0x20) && (p[0] * 256u + p[1]) % 31 == 0;
}

elf_zsec *elf_zsec_open(const uint8_t *zdata, size_t zlen, uint64_t out_len)
{
    if (!zlib_header_ok(zdata, zlen) || out_len > SIZE_MAX / 2)
        return NULL;
    elf_zsec *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->src = zdata + 2;
    z->src_len = zlen - 2;
    z->len = (size_t)out_len;
    z->page = page_size();
    z->bad_at = UINT64_MAX;
    z->span = out_len / MAX_POINTS > MIN_SPAN ? out_len / MAX_POINTS : MIN_SPAN;
    size_t npages = (z->len + z->page - 1) / z->page;
    z->view_len = npages * z->page;
    z->have = calloc(npages / 8 + 1, 1);
    z->pts = calloc(1, sizeof *z->pts); /* the start: nothing before it to remember */
    if (!z->have || !z->pts)
        goto fail;
    z->npts = 1;
    if (z->view_len) {
        /* NORESERVE: untouched pages of the reservation cost neither memory nor commit. */
        void *v = mmap(NULL, z->view_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (v == MAP_FAILED)
            goto fail;
        z->view = v;
    }
    return z;
fail:
    free(z->have);
    free(z->pts);
    free(z);
    return NULL;
}

static void stop(elf_zsec *z)
{
    if (z->live)
        inflateEnd(&z->z);
    z->live = false;
}

void elf_zsec_close(elf_zsec *z)
{
    if (!z)
        return;
    stop(z);
    for (size_t i = 0; i < z->npts; i++)
        free(z->pts[i].dict);
    free(z->pts);
    free(z->have);
    free(z->scratch);
    if (z->view)
        munmap(z->view, z->view_len);
    free(z);
}

const uint8_t *elf_zsec_view(const elf_zsec *z)
{
    return z->view;
}

size_t elf_zsec_len(const elf_zsec *z)
{
    return z->len;
}

static bool has_page(const elf_zsec *z, size_t p)
{
    return (z->have[p / 8] >> (p % 8)) & 1;
}

/* (Re)starts the stream at a checkpoint. */
static int start_at(elf_zsec *z, const zpoint *p)
{
    if (z->live && inflateReset(&z->z) != Z_OK)
        stop(z);
    if (!z->live) {
        memset(&z->z, 0, sizeof z->z);
        if (inflateInit2(&z->z, -15) != Z_OK) /* raw deflate: the header was checked at open */
            return -1;
        z->live = true;
    }
    z->z.next_in = (Bytef *)z->src + p->in;
    z->z.avail_in = 0;
    if ((p->bits && inflatePrime(&z->z, p->bits, z->src[p->in - 1] >> (8 - p->bits)) != Z_OK) ||
        (p->dict && inflateSetDictionary(&z->z, p->dict, p->dict_len) != Z_OK)) {
        stop(z);
        return -1;
    }
    z->pos = p->out;
    return 0;
}

/* Positions the stream at or before `from`: going on from where it stands when that is not
 * further back than the nearest checkpoint, else from that checkpoint. */
static int seek(elf_zsec *z, uint64_t from)
{
    size_t lo = 1, hi = z->npts; /* the last checkpoint with out <= from */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->pts[mid].out <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    const zpoint *p = &z->pts[lo - 1];
    if (z->live && z->pos <= from && z->pos >= p->out)
        return 0;
    return start_at(z, p);
}

/* At a block boundary past the last checkpoint by span or more, remembers where the stream
 * is. Without memory for one, later pieces just start further back. */
static void maybe_checkpoint(elf_zsec *z)
{
    /* 128: the inflater stopped at a block boundary; 64: inside the last block (no later
     * boundary to come back to). */
    if (!(z->z.data_type & 128) || (z->z.data_type & 64))
        return;
    const zpoint *last = &z->pts[z->npts - 1];
    if (z->pos <= last->out || z->pos - last->out < z->span)
        return;
    zpoint *np = realloc(z->pts, (z->npts + 1) * sizeof *np);
    if (!np)
        return;
    z->pts = np;
    uint8_t *dict = malloc(WINDOW);
    unsigned dict_len = WINDOW;
    if (!dict || inflateGetDictionary(&z->z, dict, &dict_len) != Z_OK) {
        free(dict);
        return;
    }
    z->pts[z->npts++] = (zpoint){z->pos, (size_t)(z->z.next_in - z->src), z->z.data_type & 7, dict, dict_len};
}

/* Inflates [from, to) into dst (which receives the byte at from first). */
static int run(elf_zsec *z, uint64_t from, uint64_t to, uint8_t *dst)
{
    if (to > z->bad_at || (from < to && seek(z, from) < 0))
        return -1;
    if (z->pos < from && !z->scratch && !(z->scratch = malloc(SCRATCH)))
        return -1;
    const uint8_t *in0 = z->z.next_in;
    while (z->pos < to) {
        uint8_t *out;
        uint64_t room;
        if (z->pos < from) {
            out = z->scratch;
            room = from - z->pos < SCRATCH ? from - z->pos : SCRATCH;
        } else {
            out = dst + (z->pos - from);
            room = to - z->pos < UINT_MAX ? to - z->pos : UINT_MAX;
        }
        if (z->z.avail_in == 0) { /* avail_in is 32 bits: feed a huge section in parts */
            size_t left = z->src_len - (size_t)(z->z.next_in - z->src);
            z->z.avail_in = left < UINT_MAX ? (uInt)left : UINT_MAX;
        }
        z->z.next_out = out;
        z->z.avail_out = (uInt)room;
        int rc = inflate(&z->z, Z_BLOCK);
        z->pos += room - z->z.avail_out;
        if ((rc != Z_OK && rc != Z_STREAM_END) || (rc == Z_STREAM_END && z->pos < to)) {
            /* Corrupt or short: what came before stays usable, nothing from here on is. */
            z->bad_at = z->pos;
            stop(z);
            return -1;
        }
        maybe_checkpoint(z);
    }
    /* The compressed bytes read are not needed again (a restart reads them anew). */
    if (z->live && z->z.next_in > in0)
        elf_file_forget(in0, (size_t)(z->z.next_in - in0));
    if (z->pos >= z->len)
        stop(z); /* at the end, the stream's memory is of no more use */
    return 0;
}

int elf_zsec_need(elf_zsec *z, uint64_t off, uint64_t len)
{
    if (off >= z->len || len == 0)
        return 0; /* nothing of the section there: the reader's own bounds checks fail */
    uint64_t end = len > z->len - off ? z->len : off + len;
    size_t p0 = (size_t)(off / z->page), p1 = (size_t)((end + z->page - 1) / z->page);
    while (p0 < p1 && has_page(z, p0))
        p0++;
    while (p1 > p0 && has_page(z, p1 - 1))
        p1--;
    if (p0 == p1)
        return 0;
    /* Whole pages, so a page is either absent or complete; pages in between that were already
     * there are written again with the same bytes. */
    uint64_t from = (uint64_t)p0 * z->page, to = (uint64_t)p1 * z->page;
    if (to > z->len)
        to = z->len;
    if (run(z, from, to, z->view + from) < 0)
        return -1;
    for (size_t p = p0; p < p1; p++)
        z->have[p / 8] |= (uint8_t)(1u << (p % 8));
    return 0;
}

int elf_zsec_copy(elf_zsec *z, uint64_t off, void *buf, size_t len)
{
    if (off > z->len || len > z->len - off)
        return -1;
    if (len == 0)
        return 0;
    size_t p0 = (size_t)(off / z->page), p1 = (size_t)((off + len + z->page - 1) / z->page), p = p0;
    while (p < p1 && has_page(z, p))
        p++;
    if (p == p1) {
        memcpy(buf, z->view + off, len);
        return 0;
    }
    return run(z, off, off + len, buf);
}

void elf_zsec_release(elf_zsec *z, uint64_t off, uint64_t len)
{
    if (off >= z->len || len == 0)
        return;
    uint64_t end = len > z->len - off ? z->len : off + len;
    /* Only pages wholly inside: the ones at the edges may hold what others still read. A
     * last, partial page ends the view, so it counts as whole when end is the view's end. */
    size_t p0 = (size_t)((off + z->page - 1) / z->page);
    size_t p1 = end == z->len ? (size_t)((end + z->page - 1) / z->page) : (size_t)(end / z->page);
    if (p0 >= p1)
        return;
    madvise(z->view + (size_t)p0 * z->page, (p1 - p0) * z->page, MADV_DONTNEED);
    for (size_t p = p0; p < p1; p++)
        z->have[p / 8] &= (uint8_t)~(1u << (p % 8));
}
