/* DWARF line tables (.debug_line, versions 2-5): a unit's line program, indexed for address ->
 * (file, line) lookups, and the files' full paths. The table is not kept as rows (16 bytes for
 * each of the hundred thousand rows a large unit has): the program is run once to find its
 * sequences and to mark the machine's state every MARK_EVERY rows, and a lookup runs it again
 * from the mark before the address, for at most that many rows. */
#include "core/sym/dwarf_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/gofmt.h"

enum { DW_LNS_copy = 1, DW_LNS_advance_pc, DW_LNS_advance_line, DW_LNS_set_file, DW_LNS_set_column,
       DW_LNS_negate_stmt, DW_LNS_set_basic_block, DW_LNS_const_add_pc, DW_LNS_fixed_advance_pc };
enum { DW_LNE_end_sequence = 1, DW_LNE_set_address = 2 };
enum { DW_LNCT_path = 1, DW_LNCT_directory_index = 2 };

#define MARK_EVERY 64

/* The line-number machine's registers that rows depend on. */
typedef struct lstate {
    uint64_t addr, op_index, file;
    int64_t line;
} lstate;

/* A mark: the state just after a row was made, and where the program goes on from there. */
typedef struct lmark {
    lstate st;
    size_t at; /* offset in the program */
} lmark;

/* A sequence: its rows' address range, and its marks (the first at its first row). */
typedef struct lseq {
    uint64_t start, end;
    size_t first, n;
} lseq;

/* The header fields the program is run with. */
typedef struct lparams {
    uint8_t addr_size, min_inst, max_ops, line_range, opcode_base;
    int8_t line_base;
    const uint8_t *std_len;
} lparams;

struct dw_lines {
    const uint8_t *prog; /* in the section (kept readable: its pages are not released) */
    size_t prog_len;
    lparams h;
    lseq *seqs; /* the searchable ones, by start */
    size_t nseqs;
    lmark *marks;
    size_t nmarks;
    dw_linefile *files;
    size_t nfiles;
    const char *comp_dir;
    uint16_t version;
};

/* Growable arrays that report allocation failure instead of aborting: this code runs inside
 * profiled programs, where a failed symbolization must not take the host down. */
static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size)
            return false;
        ncap *= 2;
    }
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

typedef struct builder {
    lseq *seqs;
    size_t nseqs, seqs_cap;
    lmark *marks;
    size_t nmarks, marks_cap;
    const char **dirs;
    size_t ndirs, dirs_cap;
    dw_linefile *files;
    size_t nfiles, files_cap;
} builder;

static bool push_dir(builder *b, const char *dir)
{
    if (!grow((void **)&b->dirs, &b->dirs_cap, b->ndirs + 1, sizeof *b->dirs))
        return false;
    b->dirs[b->ndirs++] = dir;
    return true;
}

static bool push_file(builder *b, const char *name, uint64_t dir)
{
    if (!grow((void **)&b->files, &b->files_cap, b->nfiles + 1, sizeof *b->files))
        return false;
    b->files[b->nfiles++] = (dw_linefile){name, dir < b->ndirs ? b->dirs[dir] : NULL, NULL};
    return true;
}

/* DWARF 2-4: include_directories then file_names, each list ended by an empty string. */
static bool read_v4_tables(builder *b, dw_cur *c, const char *comp_dir)
{
    if (!push_dir(b, comp_dir) || !push_file(b, NULL, 0)) /* index 0 means "the unit's directory", "no file" */
        return false;
    for (;;) {
        const char *s = dw_cstr(c);
        if (!s || !*s)
            break;
        if (!push_dir(b, s))
            return false;
    }
    for (;;) {
        const char *s = dw_cstr(c);
        if (!s || !*s)
            break;
        uint64_t dir = dw_uleb(c);
        dw_uleb(c); /* modification time */
        dw_uleb(c); /* length */
        if (!push_file(b, s, dir))
            return false;
    }
    return !c->bad;
}

/* DWARF 5: an entry format (content type, form pairs), then that many entries. dirs selects the
 * directory table (else the file table). */
static bool read_v5_table(dwarf *d, const dw_unit *lu, builder *b, dw_cur *c, bool dirs)
{
    uint8_t nfmt = dw_u8(c);
    uint64_t fmt[255][2];
    for (unsigned i = 0; i < nfmt; i++) {
        fmt[i][0] = dw_uleb(c);
        fmt[i][1] = dw_uleb(c);
        if (fmt[i][1] == DW_FORM_implicit_const || fmt[i][1] == DW_FORM_indirect || fmt[i][1] > UINT32_MAX)
            return false; /* not allowed here; zero-sized entries would also make count unbounded */
    }
    uint64_t count = dw_uleb(c);
    /* Every entry takes at least one byte, which bounds a corrupt count. */
    if (c->bad || (count && !nfmt) || count > dw_left(c))
        return false;
    for (uint64_t k = 0; k < count; k++) {
        const char *path = NULL;
        uint64_t dir = 0;
        for (unsigned i = 0; i < nfmt; i++) {
            dw_val v;
            if (fmt[i][1] == DW_FORM_flag_present || !dw_read_form(c, lu, (uint32_t)fmt[i][1], 0, &v))
                return false;
            if (fmt[i][0] == DW_LNCT_path)
                path = dw_str(d, lu, &v);
            else if (fmt[i][0] == DW_LNCT_directory_index)
                dw_const(&v, &dir);
        }
        if (dirs ? !push_dir(b, path) : !push_file(b, path, dir))
            return false;
    }
    return true;
}

static int seq_cmp(const void *a, const void *b)
{
    const lseq *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static const lstate initial_state = {0, 0, 1, 1};

/* A row of the state; lines and files saturate into 32 bits rather than wrap on bad input. */
static dw_row make_row(const lstate *st)
{
    uint32_t line = st->line < 0 ? 0 : st->line > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)st->line;
    uint32_t file = st->file >= DW_ROW_END ? DW_ROW_END - 1 : (uint32_t)st->file;
    return (dw_row){st->addr, file, line};
}

/* Address advance in operations, as in the spec's VLIW formula (max_ops is 1 on x86). */
static void advance(const lparams *h, lstate *st, uint64_t ops)
{
    st->addr += h->min_inst * ((st->op_index + ops) / h->max_ops);
    st->op_index = (st->op_index + ops) % h->max_ops;
}

enum { ROW_NONE, ROW_MADE, ROW_END };

/* Runs the program at c until it makes a row: ROW_MADE, or ROW_END for the end of a sequence
 * (after which the state is the initial one again). ROW_NONE at the end of the program or
 * where it cannot be read on; the cursor is then at its end, so it stays there. */
static int next_row(const lparams *h, dw_cur *c, lstate *st, dw_row *row)
{
    while (!c->bad && dw_left(c) > 0) {
        uint8_t op = dw_u8(c);
        if (op >= h->opcode_base) {
            uint8_t adj = op - h->opcode_base;
            advance(h, st, adj / h->line_range);
            st->line += h->line_base + adj % h->line_range;
            *row = make_row(st);
            return ROW_MADE;
        }
        switch (op) {
        case 0: { /* extended opcode: length, sub-opcode, operands */
            uint64_t len = dw_uleb(c);
            if (c->bad || len == 0 || len > dw_left(c)) {
                c->p = c->end; /* nothing after it can be trusted */
                return ROW_NONE;
            }
            const uint8_t *next = c->p + len;
            uint8_t sub = dw_u8(c);
            c->p = next; /* skips operands of opcodes we do not interpret */
            if (sub == DW_LNE_end_sequence) {
                *row = (dw_row){st->addr, DW_ROW_END, 0};
                *st = initial_state;
                return ROW_END;
            }
            if (sub == DW_LNE_set_address) {
                unsigned n = (unsigned)(len - 1);
                if (n == 4 || n == 8 || n == h->addr_size) {
                    dw_cur a = dw_cur_make(next - (len - 1), len - 1, 0);
                    st->addr = dw_uint(&a, n > 8 ? 8 : n);
                }
                st->op_index = 0;
            }
            break;
        }
        case DW_LNS_copy:
            *row = make_row(st);
            return ROW_MADE;
        case DW_LNS_advance_pc:
            advance(h, st, dw_uleb(c));
            break;
        case DW_LNS_advance_line: {
            /* Bounded so the sum never overflows; real deltas are tiny. */
            int64_t delta = dw_sleb(c);
            st->line = delta > INT64_C(1) << 40 || delta < -(INT64_C(1) << 40) ? 0 : st->line + delta;
            if (st->line < INT32_MIN || st->line > INT64_C(1) << 40)
                st->line = 0;
            break;
        }
        case DW_LNS_set_file:
            st->file = dw_uleb(c);
            break;
        case DW_LNS_const_add_pc:
            advance(h, st, (uint8_t)(255 - h->opcode_base) / h->line_range);
            break;
        case DW_LNS_fixed_advance_pc:
            st->addr += dw_u16(c);
            st->op_index = 0;
            break;
        default:
            /* set_column, negate_stmt, basic_block and the rest: skip their operands, whose
             * count the header gives (so opcodes from later versions are skipped too). */
            for (unsigned i = 0; op >= 1 && i < h->std_len[op - 1]; i++)
                dw_uleb(c);
            break;
        }
    }
    return ROW_NONE;
}

/* Runs the whole program once: its sequences (those with rows before their end; an
 * unterminated last one is dropped) and their marks. */
static bool index_program(builder *b, const lparams *h, const uint8_t *prog, size_t len)
{
    dw_cur c = dw_cur_make(prog, len, 0);
    lstate st = initial_state;
    dw_row row;
    size_t first = b->nmarks, rows = 0;
    uint64_t start = 0;
    for (int k; (k = next_row(h, &c, &st, &row)) != ROW_NONE;) {
        if (k == ROW_MADE) {
            if (rows % MARK_EVERY == 0) {
                if (!grow((void **)&b->marks, &b->marks_cap, b->nmarks + 1, sizeof *b->marks))
                    return false;
                b->marks[b->nmarks++] = (lmark){st, (size_t)(c.p - prog)};
            }
            if (rows++ == 0)
                start = row.addr;
            continue;
        }
        if (rows > 0) {
            if (!grow((void **)&b->seqs, &b->seqs_cap, b->nseqs + 1, sizeof *b->seqs))
                return false;
            b->seqs[b->nseqs++] = (lseq){start, row.addr, first, b->nmarks - first};
        }
        first = b->nmarks;
        rows = 0;
    }
    b->nmarks = first;
    return true;
}

static dw_lines *parse_lines(dwarf *d, dw_unit *u)
{
    const dw_sect *s = &d->sec[DS_LINE];
    /* The unit_length field (4 or 12 bytes), then the whole program it gives the length of. */
    if (u->stmt_list >= s->len || dw_need(d, DS_LINE, u->stmt_list, 12) < 0)
        return NULL;
    dw_cur c = dw_cur_make(s->data, s->len, (size_t)u->stmt_list);
    unsigned off_size;
    uint64_t len = dw_unit_length(&c, &off_size);
    if (c.bad || len > dw_left(&c) || dw_need(d, DS_LINE, (uint64_t)(c.p - s->data), len) < 0)
        return NULL;
    c.end = c.p + len;
    uint16_t version = dw_u16(&c);
    if (version < 2 || version > 5)
        return NULL;
    uint8_t addr_size = u->addr_size;
    if (version >= 5) {
        addr_size = dw_u8(&c);
        dw_u8(&c); /* segment selector size */
        if (addr_size != 4 && addr_size != 8)
            return NULL;
    }
    uint64_t header_len = dw_uint(&c, off_size);
    if (c.bad || header_len > dw_left(&c))
        return NULL;
    const uint8_t *prog = c.p + header_len;
    uint8_t min_inst = dw_u8(&c);
    uint8_t max_ops = version >= 4 ? dw_u8(&c) : 1;
    dw_u8(&c); /* default_is_stmt: rows are used whatever their is_stmt, as addr2line does */
    int8_t line_base = (int8_t)dw_u8(&c);
    uint8_t line_range = dw_u8(&c);
    uint8_t opcode_base = dw_u8(&c);
    const uint8_t *std_len = c.p;
    if (c.bad || line_range == 0 || max_ops == 0 || opcode_base == 0 || !dw_skip(&c, opcode_base - 1u))
        return NULL;

    builder b;
    memset(&b, 0, sizeof b);
    dw_lines *l = NULL;
    bool ok;
    if (version >= 5) {
        dw_unit lu = *u; /* forms in the header are sized by the line table's own header */
        lu.off_size = (uint8_t)off_size;
        lu.addr_size = addr_size;
        dw_cur h = c;
        h.end = prog;
        ok = read_v5_table(d, &lu, &b, &h, true) && read_v5_table(d, &lu, &b, &h, false);
    } else {
        dw_cur h = c;
        h.end = prog;
        ok = read_v4_tables(&b, &h, u->comp_dir);
    }
    if (!ok)
        goto out;
    lparams h = {addr_size, min_inst, max_ops, line_range, opcode_base, line_base, std_len};
    if (!index_program(&b, &h, prog, (size_t)(c.end - prog)))
        goto out;
    /* Lookups read a few rows of it again; the rest need not stay. */
    dw_read_done(d, DS_LINE, (uint64_t)(prog - s->data), (uint64_t)(c.end - prog));

    /* Sequences in address order. Those at address 0 (or the -1/-2 tombstones) describe
     * functions the linker discarded, and overlapping ones cannot be searched: drop both. */
    if (b.nseqs > 1) /* qsort must not see the NULL of an empty array */
        qsort(b.seqs, b.nseqs, sizeof *b.seqs, seq_cmp);
    size_t n = 0;
    uint64_t prev_end = 0;
    for (size_t i = 0; i < b.nseqs; i++) {
        const lseq *q = &b.seqs[i];
        if (q->start == 0 || q->start >= UINT64_MAX - 1 || q->end < q->start || q->start < prev_end)
            continue;
        b.seqs[n++] = *q;
        prev_end = q->end;
    }
    if (!(l = calloc(1, sizeof *l)))
        goto out;
    /* Grown by doubling: give back what the table did not use. */
    lseq *fq = n ? realloc(b.seqs, n * sizeof *fq) : NULL;
    if (fq)
        b.seqs = fq;
    lmark *fm = b.nmarks ? realloc(b.marks, b.nmarks * sizeof *fm) : NULL;
    if (fm)
        b.marks = fm;
    l->prog = prog;
    l->prog_len = (size_t)(c.end - prog);
    l->h = h;
    l->seqs = b.seqs;
    l->nseqs = n;
    l->marks = b.marks;
    l->nmarks = b.nmarks;
    l->files = b.files;
    l->nfiles = b.nfiles;
    l->comp_dir = u->comp_dir;
    l->version = version;
    b.seqs = NULL;
    b.marks = NULL;
    b.files = NULL;
out:
    free(b.seqs);
    free(b.marks);
    free(b.dirs);
    free(b.files);
    return l;
}

dw_lines *dw_unit_lines(dwarf *d, dw_unit *u)
{
    if (u->lines_state == 0) {
        u->lines_state = -1;
        if (u->has_stmt_list && (u->lines = parse_lines(d, u)) != NULL)
            u->lines_state = 1;
    }
    return u->lines;
}

bool dw_lines_find(const dw_lines *l, uint64_t addr, dw_row *out)
{
    size_t lo = 0, hi = l->nseqs;
    while (lo < hi) { /* the last sequence starting at or below addr */
        size_t mid = lo + (hi - lo) / 2;
        if (l->seqs[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const lseq *q = &l->seqs[lo - 1];
    lo = q->first + 1; /* the last of its marks at or below addr (its first is at start) */
    hi = q->first + q->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->marks[mid].st.addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    const lmark *m = &l->marks[lo - 1];
    /* From there, the last row at or below addr: the one before the first above it. */
    lstate st = m->st;
    dw_cur c = dw_cur_make(l->prog, l->prog_len, m->at);
    dw_row best = make_row(&st), row;
    for (int k; (k = next_row(&l->h, &c, &st, &row)) != ROW_NONE && row.addr <= addr;) {
        best = row;
        if (k == ROW_END)
            break;
    }
    if (best.file == DW_ROW_END) /* past the sequence's end */
        return false;
    *out = best;
    return true;
}

bool dw_lines_ranges(const dw_lines *l, dw_range_fn fn, void *ctx)
{
    for (size_t i = 0; i < l->nseqs; i++)
        if (!fn(ctx, l->seqs[i].start, l->seqs[i].end))
            return false;
    return true;
}

/* Go's pathJoin: a name relative to dir, cleaned as path.Join does; an empty dir leaves the
 * name as it is. NULL when out of memory. */
static const char *go_join(dwarf *d, const char *dir, const char *name)
{
    if (!dir || !*dir)
        return name;
    char *joined = dw_pool_str(d, dir, "/", name);
    if (!joined)
        return NULL;
    np_go_path_clean(joined, joined, strlen(joined)); /* in place: it never grows the path */
    return joined;
}

/* As Go's LineReader: DWARF 5 joins each file to its directory as the table gives it; before
 * 5, a relative directory is first taken relative to the compilation directory (which is
 * directory 0), and an absolute file name stands alone. */
static const char *go_path(dwarf *d, const dw_lines *l, const dw_linefile *f)
{
    const char *dir = f->dir ? f->dir : "", *comp = l->comp_dir ? l->comp_dir : "";
    if (l->version >= 5)
        return *f->name ? go_join(d, dir, f->name) : f->name;
    if (f->name[0] == '/')
        return f->name;
    if (dir != comp && dir[0] != '/' && !(dir = go_join(d, comp, dir)))
        return NULL;
    return go_join(d, dir, f->name);
}

/* As addr2line composes them: absolute names stand alone, a relative directory is taken
 * relative to the unit's compilation directory. */
static const char *addr2line_path(dwarf *d, const dw_lines *l, const dw_linefile *f)
{
    const char *name = f->name, *dir = f->dir, *comp = l->comp_dir;
    if (name[0] == '/')
        return name;
    if (dir && dir[0] == '/')
        return dw_pool_str(d, dir, "/", name);
    if (dir && dir[0] && comp && comp[0]) {
        const char *cd = dw_pool_str(d, comp, "/", dir);
        return cd ? dw_pool_str(d, cd, "/", name) : NULL;
    }
    if (dir && dir[0])
        return dw_pool_str(d, dir, "/", name);
    if (comp && comp[0])
        return dw_pool_str(d, comp, "/", name);
    return name;
}

const char *dw_lines_path(dwarf *d, dw_lines *l, uint64_t file)
{
    if (file >= l->nfiles)
        return NULL;
    dw_linefile *f = &l->files[file];
    if (f->path || !f->name)
        return f->path;
    f->path = d->go_paths ? go_path(d, l, f) : addr2line_path(d, l, f);
    return f->path;
}

void dw_lines_free(dw_lines *l)
{
    if (l) {
        free(l->seqs);
        free(l->marks);
        free(l->files);
        free(l);
    }
}
