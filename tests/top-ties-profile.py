#!/usr/bin/env python3
"""top-ties-profile.py FILE -- writes FILE, a small heap-like profile (alloc_space/bytes) whose
functions have flat and cum values that -top prints alike once rounded (1.91MB) yet differ by
a byte or two, and prints each function's exact flat and cum as JSON. For tests/leftovers.sh:
a table that sorts by the printed figures gets their order wrong."""
import gzip
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbwrite import field, message, varint  # noqa: E402


# Stacks, leaf first, and their values: each leaf's caller has the leaf's value as cum, and the
# leaves' values differ in the last digits only. "big" keeps the shares apart from 100%.
STACKS = [
    (['tieA', 'callerX'], 2000003),
    (['tieB', 'callerY'], 2000001),
    (['tieC', 'callerZ'], 2000002),
    (['tieD', 'callerW'], 2000000),
    (['big'], 9000000),
]


def main():
    funcs = sorted({f for stack, _ in STACKS for f in stack})
    strings = ['', 'alloc_space', 'bytes', 'space', '/bin/ties', 'ties.c'] + funcs
    idx = {s: i for i, s in enumerate(strings)}
    fid = {f: i + 1 for i, f in enumerate(funcs)}
    p = field(1, message((1, idx['alloc_space']), (2, idx['bytes'])))
    for stack, v in STACKS:
        locs = b''.join(varint(fid[f]) for f in stack)
        p += field(2, message((1, locs), (2, varint(v))))
    p += field(3, message((1, 1), (2, 0x1000), (3, 0x2000), (5, idx['/bin/ties']), (7, 1), (8, 1), (9, 1)))
    for f in funcs:  # one location per function, with the function's id
        p += field(4, message((1, fid[f]), (2, 1), (3, 0x1000 + 16 * fid[f]), (4, message((1, fid[f]), (2, 10)))))
        p += field(5, message((1, fid[f]), (2, idx[f]), (3, idx[f]), (4, idx['ties.c']), (5, 1)))
    for s in strings:
        p += field(6, s.encode())
    p += field(11, message((1, idx['space']), (2, idx['bytes'])))
    p += field(12, 1)
    with gzip.open(sys.argv[1], 'wb') as f:
        f.write(p)
    exact = {f: {'flat': 0, 'cum': 0} for f in funcs}
    for stack, v in STACKS:
        exact[stack[0]]['flat'] += v
        for f in stack:
            exact[f]['cum'] += v
    print(json.dumps(exact, sort_keys=True))


main()
