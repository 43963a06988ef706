/* DWARF line tables (.debug_line, versions 2-5): runs a unit's line program into a sorted
 * address -> (file, line) table and composes the files' full paths. */
#include "dwarf_int.h"

#include <stdlib.h>

enum { DW_LNS_copy = 1, DW_LNS_advance_pc, DW_LNS_advance_line, DW_LNS_set_file, DW_LNS_set_column,
       DW_LNS_negate_stmt, DW_LNS_set_basic_block, DW_LNS_const_add_pc, DW_LNS_fixed_advance_pc };
enum { DW_LNE_end_sequence = 1, DW_LNE_set_address = 2 };
enum { DW_LNCT_path = 1, DW_LNCT_directory_index = 2 };

typedef struct seq {
    size_t first, n; /* rows, the last of which is the end row */
    uint64_t start;
} seq;

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
    dw_row *rows;
    size_t nrows, rows_cap;
    seq *seqs;
    size_t nseqs, seqs_cap;
    const char **dirs;
    size_t ndirs, dirs_cap;
    dw_linefile *files;
    size_t nfiles, files_cap;
} builder;

static bool push_row(builder *b, uint64_t addr, uint32_t file, uint32_t line)
{
    if (!grow((void **)&b->rows, &b->rows_cap, b->nrows + 1, sizeof *b->rows))
        return false;
    b->rows[b->nrows++] = (dw_row){addr, file, line};
    return true;
}

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
    const seq *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Runs the line program between c and its end, appending rows and sequences. */
static bool run_program(builder *b, dw_cur *c, uint8_t addr_size, uint8_t min_inst, uint8_t max_ops,
                        int8_t line_base, uint8_t line_range, uint8_t opcode_base, const uint8_t *std_len)
{
    uint64_t addr = 0, op_index = 0, file = 1;
    int64_t line = 1;
    size_t seq_first = b->nrows;
    /* Address advance in operations, as in the spec's VLIW formula (max_ops is 1 on x86). */
#define ADVANCE(ops)                                                                          \
    do {                                                                                      \
        uint64_t adv_ = (ops);                                                                \
        addr += min_inst * ((op_index + adv_) / max_ops);                                     \
        op_index = (op_index + adv_) % max_ops;                                               \
    } while (0)
    while (!c->bad && dw_left(c) > 0) {
        uint8_t op = dw_u8(c);
        /* Lines and files saturate into 32 bits rather than wrap on corrupt input. */
        uint32_t row_line = line < 0 ? 0 : line > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)line;
        uint32_t row_file = file >= DW_ROW_END ? DW_ROW_END - 1 : (uint32_t)file;
        if (op >= opcode_base) {
            uint8_t adj = op - opcode_base;
            ADVANCE(adj / line_range);
            line += line_base + adj % line_range;
            row_line = line < 0 ? 0 : line > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)line;
            if (!push_row(b, addr, row_file, row_line))
                return false;
            continue;
        }
        switch (op) {
        case 0: { /* extended opcode: length, sub-opcode, operands */
            uint64_t len = dw_uleb(c);
            if (c->bad || len == 0 || len > dw_left(c))
                return true;
            const uint8_t *next = c->p + len;
            uint8_t sub = dw_u8(c);
            if (sub == DW_LNE_end_sequence) {
                if (!push_row(b, addr, DW_ROW_END, 0))
                    return false;
                size_t n = b->nrows - seq_first;
                if (n > 1) { /* a sequence with rows before its end */
                    if (!grow((void **)&b->seqs, &b->seqs_cap, b->nseqs + 1, sizeof *b->seqs))
                        return false;
                    b->seqs[b->nseqs++] = (seq){seq_first, n, b->rows[seq_first].addr};
                } else {
                    b->nrows = seq_first;
                }
                seq_first = b->nrows;
                addr = op_index = 0;
                file = 1;
                line = 1;
            } else if (sub == DW_LNE_set_address) {
                unsigned n = (unsigned)(len - 1);
                if (n == 4 || n == 8 || n == addr_size)
                    addr = dw_uint(c, n > 8 ? 8 : n);
                op_index = 0;
            }
            c->p = next; /* skips operands of opcodes we do not interpret */
            break;
        }
        case DW_LNS_copy:
            if (!push_row(b, addr, row_file, row_line))
                return false;
            break;
        case DW_LNS_advance_pc:
            ADVANCE(dw_uleb(c));
            break;
        case DW_LNS_advance_line: {
            /* Bounded so the sum never overflows; real deltas are tiny. */
            int64_t delta = dw_sleb(c);
            line = delta > INT64_C(1) << 40 || delta < -(INT64_C(1) << 40) ? 0 : line + delta;
            if (line < INT32_MIN || line > INT64_C(1) << 40)
                line = 0;
            break;
        }
        case DW_LNS_set_file:
            file = dw_uleb(c);
            break;
        case DW_LNS_const_add_pc:
            ADVANCE((uint8_t)(255 - opcode_base) / line_range);
            break;
        case DW_LNS_fixed_advance_pc:
            addr += dw_u16(c);
            op_index = 0;
            break;
        default:
            /* set_column, negate_stmt, basic_block and the rest: skip their operands, whose
             * count the header gives (so opcodes from later versions are skipped too). */
            for (unsigned i = 0; op >= 1 && i < std_len[op - 1]; i++)
                dw_uleb(c);
            break;
        }
    }
#undef ADVANCE
    b->nrows = seq_first; /* drop an unterminated sequence */
    return true;
}

static dw_lines *parse_lines(dwarf *d, dw_unit *u)
{
    const dw_sect *s = &d->sec[DS_LINE];
    if (u->stmt_list >= s->len)
        return NULL;
    dw_cur c = dw_cur_make(s->data, s->len, (size_t)u->stmt_list);
    unsigned off_size;
    uint64_t len = dw_unit_length(&c, &off_size);
    if (c.bad || len > dw_left(&c))
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
    c.p = prog;
    if (!run_program(&b, &c, addr_size, min_inst, max_ops, line_base, line_range, opcode_base, std_len))
        goto out;

    /* Sequences in address order. Those at address 0 (or the -1/-2 tombstones) describe
     * functions the linker discarded, and overlapping ones cannot be searched: drop both. */
    if (b.nseqs > 1) /* qsort must not see the NULL of an empty array */
        qsort(b.seqs, b.nseqs, sizeof *b.seqs, seq_cmp);
    l = calloc(1, sizeof *l);
    dw_row *rows = malloc((b.nrows ? b.nrows : 1) * sizeof *rows);
    if (!l || !rows) {
        free(l);
        free(rows);
        l = NULL;
        goto out;
    }
    size_t n = 0;
    uint64_t prev_end = 0;
    for (size_t i = 0; i < b.nseqs; i++) {
        const seq *q = &b.seqs[i];
        uint64_t end = b.rows[q->first + q->n - 1].addr;
        if (q->start == 0 || q->start >= UINT64_MAX - 1 || end < q->start || q->start < prev_end)
            continue;
        memcpy(rows + n, b.rows + q->first, q->n * sizeof *rows);
        n += q->n;
        prev_end = end;
    }
    l->rows = rows;
    l->nrows = n;
    l->files = b.files;
    l->nfiles = b.nfiles;
    l->comp_dir = u->comp_dir;
    b.files = NULL;
out:
    free(b.rows);
    free(b.seqs);
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

const dw_row *dw_lines_find(const dw_lines *l, uint64_t addr)
{
    size_t lo = 0, hi = l->nrows;
    while (lo < hi) { /* first row above addr; the one before it covers addr */
        size_t mid = lo + (hi - lo) / 2;
        if (l->rows[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || l->rows[lo - 1].file == DW_ROW_END)
        return NULL;
    return &l->rows[lo - 1];
}

const char *dw_lines_path(dwarf *d, dw_lines *l, uint64_t file)
{
    if (file >= l->nfiles)
        return NULL;
    dw_linefile *f = &l->files[file];
    if (f->path || !f->name)
        return f->path;
    /* As addr2line composes them: absolute names stand alone, a relative directory is taken
     * relative to the unit's compilation directory. */
    const char *name = f->name, *dir = f->dir, *comp = l->comp_dir;
    if (name[0] == '/')
        f->path = name;
    else if (dir && dir[0] == '/')
        f->path = dw_pool_str(d, dir, "/", name);
    else if (dir && dir[0] && comp && comp[0]) {
        const char *cd = dw_pool_str(d, comp, "/", dir);
        f->path = cd ? dw_pool_str(d, cd, "/", name) : NULL;
    } else if (dir && dir[0])
        f->path = dw_pool_str(d, dir, "/", name);
    else if (comp && comp[0])
        f->path = dw_pool_str(d, comp, "/", name);
    else
        f->path = name;
    return f->path;
}

void dw_lines_free(dw_lines *l)
{
    if (l) {
        free(l->rows);
        free(l->files);
        free(l);
    }
}
