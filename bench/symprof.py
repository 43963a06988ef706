#!/usr/bin/env python3
"""symprof.py KIND OUT BINARY [PICKS] [BUILDID] < SYMBOLS -- an address-only profile of the
functions SYMBOLS lists (lines "ADDR SIZE TYPE NAME" in hex, as `nm -S` prints them;
text symbols only), for bench/symbolize.sh. PICKS addresses are taken inside each function
(3 unless given), spread over its body; every address appears on some stack, and the stacks
(depth 2-12) are drawn from them with a fixed seed, so the same input writes the same profile.
KIND "proto": a gzipped profile.proto with one mapping (a non-PIE executable's code where the
loader puts it, file BINARY, build ID BUILDID when given) and locations without functions or lines.
KIND "goheap": Go's legacy heap profile text (?debug=1), which carries return addresses only.
Prints the number of distinct addresses."""
import gzip
import os
import random
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from pbwrite import field, message, varint  # noqa: E402


def addresses(lines, picks):
    out = set()
    for line in lines:
        parts = line.split()
        if len(parts) < 4 or parts[2] not in ('T', 't'):
            continue
        start, size = int(parts[0], 16), int(parts[1], 16)
        if size < 2 * picks:
            continue
        for k in range(picks):
            out.add(start + 1 + k * (size - 1) // picks)
    return sorted(out)


def stacks(addrs, rng):
    """(stack, value) pairs: every address once as a leaf, callers drawn at random with a
    strong bias towards a few addresses and values from a long-tailed law, so that some
    functions stand out in -top as in a real profile."""
    order = addrs[:]
    rng.shuffle(order)
    for leaf in order:
        callers = [order[int(len(order) * rng.random() ** 8)] for _ in range(rng.randint(1, 11))]
        yield [leaf] + callers, int(rng.paretovariate(0.8)) + 1


def text_segment(binary):
    """(vaddr, file offset, end) of the ELF file's executable PT_LOAD: where the loader maps its
    code, and so the mapping a process's /proc/PID/maps would show for it."""
    with open(binary, 'rb') as f:
        elf = f.read(64)
        phoff, = struct.unpack_from('<Q', elf, 32)
        phentsize, phnum = struct.unpack_from('<HH', elf, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    for i in range(phnum):
        kind, flags, offset, vaddr, _, _, memsz = struct.unpack_from('<IIQQQQQ', ph, i * phentsize)
        if kind == 1 and flags & 1:
            return vaddr, offset, vaddr + memsz
    sys.exit('symprof.py: %s has no executable segment' % binary)


def write_proto(out, binary, build_id, addrs, rng):
    strings = ['', 'samples', 'count', binary, build_id]
    start, offset, end = text_segment(binary)
    p = field(1, message((1, 1), (2, 2)))
    loc = {a: i + 1 for i, a in enumerate(addrs)}
    for st, v in stacks(addrs, rng):
        ids = b''.join(varint(loc[a]) for a in st)
        p += field(2, message((1, ids), (2, varint(v))))
    mapping = [(1, 1), (2, start), (3, end), (4, offset), (5, 3)]
    if build_id:
        mapping.append((6, 4))
    p += field(3, message(*mapping))
    for a in addrs:
        p += field(4, message((1, loc[a]), (2, 1), (3, a)))
    for s in strings:
        p += field(6, s.encode())
    p += field(11, message((1, 1), (2, 2)))
    p += field(12, 1)
    with gzip.open(out, 'wb', compresslevel=1) as f:
        f.write(p)


def write_goheap(out, addrs, rng):
    recs = []
    for st, n in stacks(addrs, rng):
        recs.append('%d: %d [%d: %d] @ %s\n' % (n, n * 64, n, n * 64, ' '.join('%#x' % a for a in st)))
    with open(out, 'w') as f:
        f.write('heap profile: %d: %d [%d: %d] @ heap/524288\n' % (len(recs), 64 * len(recs), len(recs), 64 * len(recs)))
        f.writelines(recs)


def main():
    kind, out, binary = sys.argv[1:4]
    picks = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    build_id = sys.argv[5] if len(sys.argv) > 5 else ''
    addrs = addresses(sys.stdin, picks)
    rng = random.Random(12)
    if kind == 'proto':
        write_proto(out, binary, build_id, addrs, rng)
    else:
        write_goheap(out, addrs, rng)
    print(len(addrs))


main()
