/* Reader of Go's pclntab: the header of each layout, the function table (sorted entry
 * addresses), and the variable-length pc-value tables that map pcs to file and line numbers.
 * Every read is bounds-checked; where gosym would fail, the answer is what it then returns. */
#include "core/sym/gopcln.h"

#include <stdlib.h>
#include <string.h>

enum { VER12 = 12, VER116 = 116, VER118 = 118, VER120 = 120 };

struct np_gopcln {
    const uint8_t *data;
    size_t len;
    int version;
    uint32_t quantum, ptrsize, fieldsize; /* fieldsize: one functab word */
    uint64_t text_start;
    size_t nfunc;
    /* Offsets into data of each region (the rest of data from there on). */
    uint64_t functab, funcdata, funcnames, cutab, filetab, pctab;
    uint64_t filetab_end; /* Go 1.2: the file table's end */
    bool sorted; /* entries never decrease: both of gosym's searches then find the same slot */
};

/* Little-endian words of 4 and 8 bytes are loaded whole: these reads are most of a lookup. */
static uint64_t load_le(const uint8_t *p, uint32_t size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (size == 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        return w;
    }
    if (size == 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        return w;
    }
#endif
    uint64_t r = 0;
    for (uint32_t i = 0; i < size; i++)
        r |= (uint64_t)p[i] << (8 * i);
    return r;
}

static bool get_uint(const np_gopcln *t, uint64_t off, uint32_t size, uint64_t *v)
{
    if (off > t->len || t->len - off < size)
        return false;
    *v = load_le(t->data + off, size);
    return true;
}

static bool get_u32(const np_gopcln *t, uint64_t off, uint32_t *v)
{
    uint64_t r;
    if (!get_uint(t, off, 4, &r))
        return false;
    *v = (uint32_t)r;
    return true;
}

/* A NUL-terminated string at off, or NULL when it runs off the table. */
static const char *string_at(const np_gopcln *t, uint64_t off)
{
    if (off >= t->len || !memchr(t->data + off, 0, t->len - off))
        return NULL;
    return (const char *)t->data + off;
}

/* The header word i after the 8-byte prefix, as an offset into the table. */
static bool header_word(const np_gopcln *t, uint32_t i, uint64_t *v)
{
    return get_uint(t, 8 + (uint64_t)i * t->ptrsize, t->ptrsize, v);
}

static bool read_header(np_gopcln *t)
{
    const uint8_t *d = t->data;
    if (t->len < 16 || d[4] || d[5] || (d[6] != 1 && d[6] != 2 && d[6] != 4) ||
        (d[7] != 4 && d[7] != 8))
        return false;
    uint32_t magic = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    /* Big-endian tables (other architectures) are not read: nprof targets x86-64. */
    t->version = magic == 0xfffffffb ? VER12 : magic == 0xfffffffa ? VER116
               : magic == 0xfffffff0 ? VER118 : magic == 0xfffffff1 ? VER120 : 0;
    if (!t->version)
        return false;
    t->quantum = d[6];
    t->ptrsize = d[7];
    t->fieldsize = t->version >= VER118 ? 4 : t->ptrsize;
    uint64_t n, w[8];
    if (!header_word(t, 0, &n))
        return false;
    t->nfunc = n;
    if (t->version == VER12) {
        t->funcdata = t->funcnames = t->pctab = 0;
        t->functab = 8 + t->ptrsize;
        uint32_t fileoff, nfile;
        uint64_t fsize = ((uint64_t)t->nfunc * 2 + 1) * t->fieldsize;
        if (t->nfunc > t->len || !get_u32(t, t->functab + fsize, &fileoff) ||
            !get_u32(t, fileoff, &nfile))
            return false;
        t->filetab = fileoff;
        t->filetab_end = fileoff + (uint64_t)nfile * 4;
        return t->filetab_end <= t->len;
    }
    int first = t->version >= VER118 ? 3 : 2; /* 1.18 added the text start word */
    for (int i = first; i <= first + 4; i++)
        if (!header_word(t, (uint32_t)i, &w[i - first]) || w[i - first] > t->len)
            return false;
    t->funcnames = w[0];
    t->cutab = w[1];
    t->filetab = w[2];
    t->pctab = w[3];
    t->funcdata = t->functab = w[4];
    return true;
}

/* Entry pc of function table slot i (i == nfunc: the end of the last function). */
static uint64_t func_pc(const np_gopcln *t, size_t i)
{
    uint64_t v = 0;
    get_uint(t, t->functab + (uint64_t)i * 2 * t->fieldsize, t->fieldsize, &v);
    return t->version >= VER118 ? v + t->text_start : v;
}

/* Offset into the table of function i's _func record, or false. */
static bool func_record(const np_gopcln *t, size_t i, uint64_t *off)
{
    uint64_t v;
    if (!get_uint(t, t->functab + ((uint64_t)i * 2 + 1) * t->fieldsize, t->fieldsize, &v) ||
        t->funcdata + v > t->len)
        return false;
    *off = t->funcdata + v;
    return true;
}

/* Field n (1-based, 4 bytes each) of a _func record, after its entry word. */
static bool func_field(const np_gopcln *t, uint64_t rec, uint32_t n, uint32_t *v)
{
    uint32_t first = t->version >= VER118 ? 4 : t->ptrsize;
    return get_u32(t, rec + first + (n - 1) * 4, v);
}

/* Whether every function's record and name can be read, as gosym reads them all up front. */
static bool funcs_readable(const np_gopcln *t)
{
    for (size_t i = 0; i < t->nfunc; i++) {
        uint64_t rec;
        uint32_t nameoff;
        if (!func_record(t, i, &rec) || !func_field(t, rec, 1, &nameoff) ||
            !string_at(t, t->funcnames + nameoff))
            return false;
    }
    return true;
}

/* Whether the entries, the sentinel included, never decrease (as the linker writes them). */
static bool entries_sorted(const np_gopcln *t)
{
    for (size_t i = 0; i < t->nfunc; i++)
        if (func_pc(t, i) > func_pc(t, i + 1))
            return false;
    return true;
}

np_gopcln *np_gopcln_open(const uint8_t *data, size_t len, uint64_t text_start)
{
    np_gopcln *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->data = data;
    t->len = len;
    t->text_start = text_start;
    /* gosym reads the whole function table up front and has none at all if any of it is out
     * of bounds; the sentinel entry after the last function gives the last one's end. */
    if (!read_header(t) || t->nfunc > len ||
        t->functab + ((uint64_t)t->nfunc * 2 + 1) * t->fieldsize > len || !funcs_readable(t)) {
        free(t);
        return NULL;
    }
    t->sorted = entries_sorted(t);
    return t;
}

void np_gopcln_close(np_gopcln *t)
{
    free(t);
}

size_t np_gopcln_count(const np_gopcln *t)
{
    return t->nfunc;
}

static bool read_varint(const np_gopcln *t, uint64_t *off, uint32_t *v)
{
    uint32_t r = 0;
    for (uint32_t shift = 0;; shift += 7) {
        if (*off >= t->len)
            return false;
        uint8_t b = t->data[(*off)++];
        if (shift < 32) /* as Go's shifts: bits shifted out are gone */
            r |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *v = r;
    return true;
}

enum { RUN_FRESH, RUN_GOING, RUN_FAILED };

/* gosym's pcvalue, resumable: runs the pc-value table on from where r stopped until it passes
 * target; -1 when the table ends first or cannot be read. A later target that is not lower
 * gets what a run from the entry would give: that run takes the same steps up to here, as
 * none of them passed the earlier target; a failure is final for the same reason. */
static int32_t run_to(const np_gopcln *t, np_gopcln_run *r, uint64_t target)
{
    if (r->state == RUN_FAILED)
        return -1;
    if (r->state == RUN_GOING && target < r->pc)
        return r->val;
    for (;;) {
        uint32_t uv, pcdelta;
        if (!read_varint(t, &r->at, &uv) || (uv == 0 && r->state != RUN_FRESH)) {
            r->state = RUN_FAILED;
            return -1;
        }
        uv = uv & 1 ? ~(uv >> 1) : uv >> 1;
        if (!read_varint(t, &r->at, &pcdelta)) {
            r->state = RUN_FAILED;
            return -1;
        }
        r->state = RUN_GOING;
        r->pc += (uint64_t)pcdelta * t->quantum;
        r->val = (int32_t)((uint32_t)r->val + uv); /* wraps, as Go's int32 does */
        if (target < r->pc)
            return r->val;
    }
}

static void run_start(const np_gopcln *t, np_gopcln_run *r, uint32_t off, uint64_t entry)
{
    r->at = t->pctab + off;
    r->pc = entry;
    r->val = -1;
    r->state = RUN_FRESH;
}

static int32_t pcvalue(const np_gopcln *t, uint32_t off, uint64_t entry, uint64_t target)
{
    np_gopcln_run r;
    run_start(t, &r, off, entry);
    return run_to(t, &r, target);
}

/* The slot of the function holding pc by entry addresses alone (gosym's findFunc). */
static bool find_slot(const np_gopcln *t, uint64_t pc, size_t *slot)
{
    if (!t->nfunc || pc < func_pc(t, 0) || pc >= func_pc(t, t->nfunc))
        return false;
    size_t lo = 0, hi = t->nfunc; /* first slot whose entry is above pc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (func_pc(t, mid) > pc)
            hi = mid;
        else
            lo = mid + 1;
    }
    *slot = lo - 1;
    return true;
}

/* The file of file number fno in function rec's compilation unit. */
static const char *file_name(const np_gopcln *t, uint64_t rec, int32_t fno)
{
    uint32_t v, cu;
    if (t->version == VER12) {
        if (fno <= 0 || (uint64_t)fno * 4 + 4 > t->filetab_end - t->filetab ||
            !get_u32(t, t->filetab + (uint64_t)fno * 4, &v))
            return "";
        const char *s = string_at(t, v);
        return s ? s : "";
    }
    if (fno < 0 || !func_field(t, rec, 8, &cu) ||
        !get_u32(t, t->cutab + ((uint64_t)cu + (uint32_t)fno) * 4, &v) || v == UINT32_MAX)
        return "";
    const char *s = string_at(t, t->filetab + v);
    return s ? s : "";
}

/* The line and file gosym gives pc inside function slot (go12PCToLine, go12PCToFile). */
/* The entry pc a _func record gives (the pc-value tables count from it). */
static bool record_entry(const np_gopcln *t, uint64_t rec, uint64_t *entry)
{
    uint32_t entry_off;
    if (t->version < VER118)
        return get_uint(t, rec, t->ptrsize, entry);
    if (!get_u32(t, rec, &entry_off))
        return false;
    *entry = entry_off + t->text_start;
    return true;
}

static void line_of(const np_gopcln *t, uint64_t pc, size_t slot, const char **file,
                    int64_t *line)
{
    uint64_t rec, entry;
    uint32_t pcfile, pcln;
    if (!func_record(t, slot, &rec) || !record_entry(t, rec, &entry))
        return;
    if (func_field(t, rec, 6, &pcln))
        *line = pcvalue(t, pcln, entry, pc);
    if (func_field(t, rec, 5, &pcfile))
        *file = file_name(t, rec, pcvalue(t, pcfile, entry, pc));
}

/* gosym's Table.PCToFunc: a binary search over [entry, end) ranges of slots. */
static bool func_of(const np_gopcln *t, uint64_t pc, size_t *slot)
{
    size_t lo = 0, hi = t->nfunc;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        uint64_t entry = func_pc(t, m), end = func_pc(t, m + 1);
        if (pc < entry) {
            hi = m;
        } else if (pc < end) {
            *slot = m;
            return true;
        } else {
            lo = m + 1;
        }
    }
    return false;
}

bool np_gopcln_lookup(const np_gopcln *t, uint64_t pc, const char **func, const char **file,
                      int64_t *line)
{
    size_t slot;
    uint64_t rec;
    uint32_t nameoff;
    if (!func_of(t, pc, &slot))
        return false;
    if (!func_record(t, slot, &rec) || !func_field(t, rec, 1, &nameoff))
        return false; /* not reached: np_gopcln_open read them all */
    *func = string_at(t, t->funcnames + nameoff);
    *file = "";
    *line = -1;
    /* gosym finds the line's function again by entries alone; in a sorted table that is the
     * slot just found. */
    if (t->sorted || find_slot(t, pc, &slot))
        line_of(t, pc, slot, file, line);
    return true;
}

/* Points c at the function holding pc, as np_gopcln_lookup finds it, with its tables' runs
 * started; false (c invalid) when there is none. */
static bool cursor_enter(const np_gopcln *t, np_gopcln_cursor *c, uint64_t pc)
{
    uint32_t nameoff, pcln, pcfile;
    c->valid = false;
    if (!func_of(t, pc, &c->slot) || !func_record(t, c->slot, &c->rec) ||
        !func_field(t, c->rec, 1, &nameoff))
        return false;
    c->func = string_at(t, t->funcnames + nameoff);
    c->end = func_pc(t, c->slot + 1);
    c->entry = func_pc(t, c->slot);
    uint64_t entry = 0;
    bool lines = record_entry(t, c->rec, &entry);
    c->line.state = c->file.state = RUN_FAILED; /* a table that cannot be found gives nothing */
    if (lines && func_field(t, c->rec, 6, &pcln))
        run_start(t, &c->line, pcln, entry);
    if (lines && func_field(t, c->rec, 5, &pcfile))
        run_start(t, &c->file, pcfile, entry);
    c->has_line = lines && c->line.state != RUN_FAILED;
    c->has_file = lines && c->file.state != RUN_FAILED;
    c->fname = NULL;
    c->valid = true;
    return true;
}

bool np_gopcln_lookup_at(const np_gopcln *t, np_gopcln_cursor *c, uint64_t pc, const char **func,
                         const char **file, int64_t *line)
{
    if (!t->sorted) /* the cursor relies on a slot's [entry, end) being the only one holding pc */
        return np_gopcln_lookup(t, pc, func, file, line);
    if ((!c->valid || pc < c->last_pc || pc < c->entry || pc >= c->end) && !cursor_enter(t, c, pc))
        return false;
    c->last_pc = pc;
    *func = c->func;
    *file = "";
    *line = -1;
    if (c->has_line)
        *line = run_to(t, &c->line, pc);
    if (c->has_file) {
        int32_t fno = run_to(t, &c->file, pc);
        if (!c->fname || fno != c->fno) {
            c->fno = fno;
            c->fname = file_name(t, c->rec, fno);
        }
        *file = c->fname;
    }
    return true;
}
