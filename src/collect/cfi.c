/* The caching CFI unwinder: rules derived from .eh_frame (found by libgcc's _Unwind_Find_FDE),
 * packed into 64 bits and kept in an open-addressing table that readers probe without a lock. */
#include "collect/cfi.h"

#include <stdbool.h>
#include <stddef.h>

#include "collect/cmem.h"
#include "core/sym/cursor.h"

/* libgcc's FDE lookup (exported by libgcc_s since GCC 3.0; the same one its unwinder uses). */
struct np_eh_bases {
    void *tbase, *dbase, *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct np_eh_bases *bases);

enum { REG_RBP = 6, REG_RSP = 7 };

/* ---- rules ---- */

enum { RULE_WALK = 1, RULE_END = 2, RULE_GIVE_UP = 3 };

/* A rule for one return address: CFA = (rsp or rbp) + cfa_off; the return address is at
 * CFA + ra_off; rbp was saved at CFA + bp_off (bp_off 0: rbp is unchanged). */
typedef struct rule {
    int kind;
    bool cfa_rbp;
    int32_t cfa_off;
    int32_t ra_off, bp_off;
} rule;

/* Bits 0-31 cfa_off, 32-39 ra_off/8, 40-47 bp_off/8, 48 cfa_rbp, 49-50 kind. */
static uint64_t pack(rule r)
{
    return (uint64_t)(uint32_t)r.cfa_off | (uint64_t)(uint8_t)(int8_t)(r.ra_off / 8) << 32 |
           (uint64_t)(uint8_t)(int8_t)(r.bp_off / 8) << 40 | (uint64_t)r.cfa_rbp << 48 |
           (uint64_t)r.kind << 49;
}

static rule unpack(uint64_t v)
{
    return (rule){.kind = (int)(v >> 49 & 3),
                  .cfa_rbp = v >> 48 & 1,
                  .cfa_off = (int32_t)(uint32_t)v,
                  .ra_off = (int8_t)(uint8_t)(v >> 32) * 8,
                  .bp_off = (int8_t)(uint8_t)(v >> 40) * 8};
}

/* ---- reading .eh_frame (with the DWARF dw_cur's bounds-checked cursor) ---- */

/* Size of a pointer in DW_EH_PE encoding enc (only its format bits matter for skipping). */
static int enc_size(dw_cur *r, uint8_t enc)
{
    switch (enc & 0x0f) {
    case 0x00: return 8; /* absptr */
    case 0x02: case 0x0a: return 2;
    case 0x03: case 0x0b: return 4;
    case 0x04: case 0x0c: return 8;
    case 0x01: case 0x09: return 0; /* leb128: skipped by the caller */
    default: r->bad = true; return 0;
    }
}

static void skip_encoded(dw_cur *r, uint8_t enc)
{
    if (enc == 0xff) /* DW_EH_PE_omit */
        return;
    int n = enc_size(r, enc);
    if (n)
        dw_uint(r, n);
    else
        dw_uleb(r);
}

/* Rule of one register column while the CFA program runs. */
enum { COL_SAME, COL_OFFSET, COL_UNDEF, COL_OTHER };
typedef struct col {
    int how;
    int64_t off;
} col;

typedef struct cfa_state {
    uint64_t cfa_reg;
    int64_t cfa_off;
    bool cfa_expr;
    col bp, ra;
} cfa_state;

typedef struct cie_info {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_col;
    uint8_t fde_enc;
    bool has_aug_data;
    dw_cur insns;
} cie_info;

static bool parse_cie(const uint8_t *cie, cie_info *ci)
{
    dw_cur r = {cie, cie + 8, false};
    uint64_t len = dw_uint(&r, 4);
    if (r.bad || len == 0 || len == 0xffffffff)
        return false;
    r.end = cie + 4 + len;
    if (dw_uint(&r, 4) != 0) /* CIE id */
        return false;
    uint8_t version = (uint8_t)dw_uint(&r, 1);
    const char *aug = dw_cstr(&r);
    if (!aug || (version != 1 && version != 3))
        return false;
    ci->code_align = dw_uleb(&r);
    ci->data_align = dw_sleb(&r);
    ci->ra_col = version == 1 ? dw_uint(&r, 1) : dw_uleb(&r);
    ci->fde_enc = 0;
    ci->has_aug_data = aug[0] == 'z';
    if (ci->has_aug_data) {
        uint64_t n = dw_uleb(&r);
        dw_cur a = {r.p, r.p, false};
        if (!dw_skip(&r, n))
            return false;
        a.end = r.p;
        for (const char *c = aug + 1; *c; c++) {
            if (*c == 'R') {
                ci->fde_enc = (uint8_t)dw_uint(&a, 1);
            } else if (*c == 'P') {
                uint8_t penc = (uint8_t)dw_uint(&a, 1);
                skip_encoded(&a, penc & 0x7f);
            } else if (*c == 'L') {
                dw_uint(&a, 1);
            } else {
                return false; /* 'S' (signal frame) and anything unknown */
            }
        }
        if (a.bad)
            return false;
    } else if (aug[0]) {
        return false;
    }
    ci->insns = r;
    return !r.bad && ci->code_align > 0;
}

static void set_col(cfa_state *st, const cie_info *ci, uint64_t reg, int how, int64_t off)
{
    col c = {how, off};
    if (reg == REG_RBP)
        st->bp = c;
    else if (reg == ci->ra_col)
        st->ra = c;
}

static void restore_col(cfa_state *st, const cfa_state *init, const cie_info *ci, uint64_t reg)
{
    if (reg == REG_RBP)
        st->bp = init->bp;
    else if (reg == ci->ra_col)
        st->ra = init->ra;
}

enum { STATE_STACK = 8 };

/* Runs a CFA program from location loc until it would move past target. init is the state
 * after the CIE's initial instructions (NULL while running those). Returns false on anything
 * malformed or not modelled. */
typedef struct row_sink {
    void (*put)(struct row_sink *sink, uintptr_t start, const cfa_state *st);
} row_sink;

static bool run_cfa_body(dw_cur r, const cie_info *ci, uintptr_t loc, uintptr_t target,
                         cfa_state *st, const cfa_state *init, row_sink *rows, uintptr_t *at)
{
    cfa_state saved[STATE_STACK];
    int n_saved = 0;
    while (r.p < r.end && !r.bad) {
        uint8_t op = *r.p++;
        uint64_t reg, delta = 0;
        switch (op >> 6) {
        case 1:
            delta = op & 0x3f;
            goto advance;
        case 2:
            set_col(st, ci, op & 0x3f, COL_OFFSET, (int64_t)dw_uleb(&r) * ci->data_align);
            continue;
        case 3:
            if (!init)
                return false;
            restore_col(st, init, ci, op & 0x3f);
            continue;
        }
        switch (op) {
        case 0x00: /* nop */
            continue;
        case 0x02: delta = dw_uint(&r, 1); goto advance;
        case 0x03: delta = dw_uint(&r, 2); goto advance;
        case 0x04: delta = dw_uint(&r, 4); goto advance;
        case 0x05: /* offset_extended */
            reg = dw_uleb(&r);
            set_col(st, ci, reg, COL_OFFSET, (int64_t)dw_uleb(&r) * ci->data_align);
            continue;
        case 0x06: /* restore_extended */
            reg = dw_uleb(&r);
            if (!init)
                return false;
            restore_col(st, init, ci, reg);
            continue;
        case 0x07: /* undefined */
            set_col(st, ci, dw_uleb(&r), COL_UNDEF, 0);
            continue;
        case 0x08: /* same_value */
            set_col(st, ci, dw_uleb(&r), COL_SAME, 0);
            continue;
        case 0x09: case 0x14: case 0x15: /* register, val_offset, val_offset_sf */
            reg = dw_uleb(&r);
            dw_uleb(&r); /* skips a signed LEB128 just as well */
            set_col(st, ci, reg, COL_OTHER, 0);
            continue;
        case 0x0a: /* remember_state */
            if (n_saved == STATE_STACK)
                return false;
            saved[n_saved++] = *st;
            continue;
        case 0x0b: /* restore_state */
            if (n_saved == 0)
                return false;
            *st = saved[--n_saved];
            continue;
        case 0x0c: /* def_cfa */
            st->cfa_reg = dw_uleb(&r);
            st->cfa_off = (int64_t)dw_uleb(&r);
            st->cfa_expr = false;
            continue;
        case 0x0d: /* def_cfa_register */
            st->cfa_reg = dw_uleb(&r);
            st->cfa_expr = false;
            continue;
        case 0x0e: /* def_cfa_offset */
            st->cfa_off = (int64_t)dw_uleb(&r);
            continue;
        case 0x0f: /* def_cfa_expression */
            if (!dw_skip(&r, dw_uleb(&r)))
                return false;
            st->cfa_expr = true;
            continue;
        case 0x10: case 0x16: /* expression, val_expression */
            reg = dw_uleb(&r);
            if (!dw_skip(&r, dw_uleb(&r)))
                return false;
            set_col(st, ci, reg, COL_OTHER, 0);
            continue;
        case 0x11: /* offset_extended_sf */
            reg = dw_uleb(&r);
            set_col(st, ci, reg, COL_OFFSET, dw_sleb(&r) * ci->data_align);
            continue;
        case 0x12: /* def_cfa_sf */
            st->cfa_reg = dw_uleb(&r);
            st->cfa_off = dw_sleb(&r) * ci->data_align;
            st->cfa_expr = false;
            continue;
        case 0x13: /* def_cfa_offset_sf */
            st->cfa_off = dw_sleb(&r) * ci->data_align;
            continue;
        case 0x2e: /* GNU_args_size */
            dw_uleb(&r);
            continue;
        case 0x2f: /* GNU_negative_offset_extended */
            reg = dw_uleb(&r);
            set_col(st, ci, reg, COL_OFFSET, -(int64_t)dw_uleb(&r) * ci->data_align);
            continue;
        default: /* set_loc and anything unknown */
            return false;
        }
    advance:
        if (rows && delta)
            rows->put(rows, loc, st);
        loc += delta * ci->code_align;
        *at = loc;
        if (loc > target)
            return !r.bad;
    }
    return !r.bad;
}

/* The same; with rows, also the row of every stretch of code up to target, the last one
 * saying "give up" from where a program that could not be followed stopped. */
static bool run_cfa(dw_cur r, const cie_info *ci, uintptr_t loc, uintptr_t target,
                    cfa_state *st, const cfa_state *init, row_sink *rows)
{
    uintptr_t at = loc;
    bool ok = run_cfa_body(r, ci, loc, target, st, init, rows, &at);
    if (rows && at <= target) {
        cfa_state last = *st;
        last.cfa_expr |= !ok;
        rows->put(rows, at, &last);
    }
    return ok;
}

static bool fits8(int64_t off)
{
    return off % 8 == 0 && off >= -1024 && off <= 1016;
}

/* The rule a finished CFA program state gives. */
static rule to_rule(const cfa_state *st)
{
    rule give_up = {.kind = RULE_GIVE_UP};
    if (st->ra.how == COL_UNDEF)
        return (rule){.kind = RULE_END}; /* the outermost frame (_start, clone) */
    if (st->cfa_expr || (st->cfa_reg != REG_RSP && st->cfa_reg != REG_RBP) || st->ra.how != COL_OFFSET ||
        !fits8(st->ra.off) || st->cfa_off < 8 || st->cfa_off > INT32_MAX)
        return give_up;
    rule out = {.kind = RULE_WALK, .cfa_rbp = st->cfa_reg == REG_RBP, .cfa_off = (int32_t)st->cfa_off,
                .ra_off = (int32_t)st->ra.off};
    if (st->bp.how == COL_OFFSET) {
        if (!fits8(st->bp.off) || st->bp.off == 0)
            return give_up;
        out.bp_off = (int32_t)st->bp.off;
    } else if (st->bp.how == COL_OTHER) {
        return give_up;
    }
    return out;
}

/* Reads the FDE at fde up to its instructions: its CIE into ci, its code length into *range,
 * the instructions into *insns; init gets the state the CIE's program leaves at func. */
static bool open_fde(const uint8_t *fde, uintptr_t func, cie_info *ci, uint64_t *range, dw_cur *insns,
                     cfa_state *init)
{
    dw_cur r = {fde, fde + 8, false};
    uint64_t len = dw_uint(&r, 4);
    if (r.bad || len == 0xffffffff || len < 8)
        return false;
    r.end = fde + 4 + len;
    const uint8_t *cie_field = r.p;
    uint64_t cie_off = dw_uint(&r, 4);
    if (r.bad || cie_off == 0 || !parse_cie(cie_field - cie_off, ci))
        return false;
    skip_encoded(&r, ci->fde_enc); /* pc_begin: the caller has it decoded */
    int size = enc_size(&r, ci->fde_enc);
    *range = size ? dw_uint(&r, size) : dw_uleb(&r);
    if ((ci->has_aug_data && !dw_skip(&r, dw_uleb(&r))) || r.bad)
        return false;
    *insns = r;
    *init = (cfa_state){.bp = {COL_SAME, 0}, .ra = {COL_SAME, 0}};
    return run_cfa(ci->insns, ci, func, func, init, NULL, NULL);
}

/* The rule for the frame executing at pc (a return address minus one). */
static rule derive(uintptr_t pc)
{
    rule give_up = {.kind = RULE_GIVE_UP};
    struct np_eh_bases bases;
    const uint8_t *fde = _Unwind_Find_FDE((void *)pc, &bases);
    if (!fde)
        return (rule){.kind = RULE_END}; /* no unwind info: libgcc stops here too */
    cie_info ci;
    uint64_t range;
    dw_cur insns;
    cfa_state init, st;
    uintptr_t func = (uintptr_t)bases.func;
    if (!open_fde(fde, func, &ci, &range, &insns, &init))
        return give_up;
    st = init;
    if (!run_cfa(insns, &ci, func, pc, &st, &init, NULL))
        return give_up;
    return to_rule(&st);
}

/* ---- every row of one FDE, for tables prepared ahead (ehtab.c) ---- */

typedef struct emit_sink {
    row_sink sink;
    np_cfi_emit emit;
    void *ctx;
} emit_sink;

static void emit_row(row_sink *sink, uintptr_t start, const cfa_state *st)
{
    emit_sink *e = (emit_sink *)sink;
    e->emit(e->ctx, start, pack(to_rule(st)));
}

bool np_cfi_fde_rows(const uint8_t *fde, uintptr_t func, uintptr_t *end, np_cfi_emit emit, void *ctx)
{
    cie_info ci;
    uint64_t range;
    dw_cur insns;
    cfa_state init, st;
    if (!open_fde(fde, func, &ci, &range, &insns, &init) || range == 0 || range > (1u << 30))
        return false;
    *end = func + range;
    emit_sink e = {{emit_row}, emit, ctx};
    st = init;
    /* A program that fails part way keeps the rows it gave: they are right up to there. */
    (void)run_cfa(insns, &ci, func, *end - 1, &st, &init, &e.sink);
    return true;
}

/* ---- the cache ---- */

enum { CACHE_BITS = 14, PROBES = 8 };
#define CLAIMED UINT64_MAX

typedef struct entry {
    uint64_t key; /* pc; 0 empty; CLAIMED while its value is written */
    uint64_t val;
} entry;

static entry *cache;

static entry *cache_table(void)
{
    entry *t = __atomic_load_n(&cache, __ATOMIC_ACQUIRE);
    if (t)
        return t;
    size_t bytes = sizeof(entry) << CACHE_BITS;
    entry *fresh = np_cmem_map(bytes);
    if (!fresh)
        return NULL;
    if (!__atomic_compare_exchange_n(&cache, &t, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        np_cmem_unmap(fresh, bytes);
        return t;
    }
    return fresh;
}

static size_t home(uintptr_t pc)
{
    return (size_t)((pc * 0x9e3779b97f4a7c15ULL) >> (64 - CACHE_BITS));
}

static rule lookup(uintptr_t pc)
{
    entry *t = cache_table();
    if (!t)
        return derive(pc);
    size_t mask = ((size_t)1 << CACHE_BITS) - 1, i = home(pc);
    for (int probe = 0; probe < PROBES; probe++, i = (i + 1) & mask) {
        uint64_t k = __atomic_load_n(&t[i].key, __ATOMIC_ACQUIRE);
        if (k == pc) {
            uint64_t v = __atomic_load_n(&t[i].val, __ATOMIC_ACQUIRE);
            if (__atomic_load_n(&t[i].key, __ATOMIC_RELAXED) == pc)
                return unpack(v);
            break; /* the slot was just reused: derive afresh */
        }
        if (k == 0)
            break;
    }
    rule r = derive(pc);
    i = home(pc);
    for (int probe = 0; probe < PROBES; probe++, i = (i + 1) & mask) {
        uint64_t k = 0;
        if (__atomic_compare_exchange_n(&t[i].key, &k, CLAIMED, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            __atomic_store_n(&t[i].val, pack(r), __ATOMIC_RELAXED);
            __atomic_store_n(&t[i].key, (uint64_t)pc, __ATOMIC_RELEASE);
            break;
        }
        if (k == pc)
            break;
    }
    return r;
}

void np_cfi_flush(void)
{
    entry *t = __atomic_load_n(&cache, __ATOMIC_ACQUIRE);
    if (!t)
        return;
    for (size_t i = 0; i < (size_t)1 << CACHE_BITS; i++) {
        uint64_t k = __atomic_load_n(&t[i].key, __ATOMIC_RELAXED);
        /* A slot being written keeps its claim: it describes code that is running. */
        if (k != 0 && k != CLAIMED)
            __atomic_compare_exchange_n(&t[i].key, &k, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
    }
}

/* ---- the walk ---- */

static bool readable(uintptr_t addr, uintptr_t sp, uintptr_t hi)
{
    return addr >= sp && addr <= hi - 8 && (addr & 7) == 0;
}

int np_cfi_locate(np_cfi_rule packed, uintptr_t sp, uintptr_t bp, np_cfi_frame *f)
{
    rule r = unpack(packed);
    if (r.kind == RULE_END)
        return 0;
    if (r.kind != RULE_WALK)
        return -1;
    f->cfa = (r.cfa_rbp ? bp : sp) + (intptr_t)r.cfa_off;
    f->ra_at = f->cfa + (intptr_t)r.ra_off;
    f->bp_at = r.bp_off ? f->cfa + (intptr_t)r.bp_off : 0;
    return f->cfa > sp ? 1 : -1;
}

int np_cfi_unwind(uintptr_t pc, uintptr_t sp, uintptr_t bp, uintptr_t lo, uintptr_t hi,
                  uintptr_t *pcs, int max)
{
    if (sp < lo || sp >= hi)
        return -1;
    int n = 0;
    while (n < max) {
        pcs[n++] = pc;
        if (n == max)
            break;
        np_cfi_frame f;
        int k = np_cfi_locate(pack(lookup(pc - 1)), sp, bp, &f);
        if (k == 0)
            break;
        if (k < 0 || !readable(f.ra_at, sp, hi) || (f.bp_at && !readable(f.bp_at, sp, hi)))
            return -1;
        if (f.bp_at)
            bp = *(const uintptr_t *)f.bp_at;
        pc = *(const uintptr_t *)f.ra_at;
        sp = f.cfa;
        if (pc == 0)
            break;
    }
    return n;
}

int np_cfi_step_at(uintptr_t pc, np_cfi_step *out)
{
    rule r = lookup(pc);
    if (r.kind == RULE_END)
        return 0;
    if (r.kind != RULE_WALK)
        return -1;
    *out = (np_cfi_step){r.cfa_rbp, r.cfa_off, r.ra_off, r.bp_off};
    return 1;
}
