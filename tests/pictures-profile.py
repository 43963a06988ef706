#!/usr/bin/env python3
"""pictures-profile.py DIR -- writes DIR/names.pb.gz, a small heap-like profile whose function
names hold what HTML must escape (<, >, &, both quotes), and DIR/src/names.cc, the source file
its functions point to, whose lines hold the same characters. For tests/pictures.sh."""
import gzip
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbwrite import field, message, varint  # noqa: E402


SOURCE = [
    '// names.cc: source lines a page must escape',
    'template <typename T> struct Box {',
    '  void put(const char *s) { if (n < 4 && s[0] != \'"\') grow(); }',
    '  int n = 0;',
    '};',
    'std::ostream &operator<<(std::ostream &o, const Foo &f) {',
    '  return o << "<b>" << f.x << \'&\';',
    '}',
    'int main() {',
    '  Box<int&> b; b.put("q\'s");',
    '  std::cout << Foo{} << "&amp; <script>";',
    '}',
]

FUNCS = [  # name, start line
    ('ns::Box<int&, "q\'">::put(char const*)', 2),
    ('operator<<(std::ostream&, Foo const&)', 6),
    ('main', 9),
    ('odd "name" & \'quote\' <', 2),
]


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, 'src'), exist_ok=True)
    src = os.path.abspath(os.path.join(out, 'src', 'names.cc'))
    with open(src, 'w') as f:
        f.write('\n'.join(SOURCE) + '\n')
    strings = ['', 'alloc_space', 'bytes', 'space', src, '/bin/names']
    for name, _ in FUNCS:
        strings.append(name)
    idx = {s: i for i, s in enumerate(strings)}
    p = b''
    p += field(1, message((1, idx['alloc_space']), (2, idx['bytes'])))
    # location id -> (address, function id, line)
    locs = {1: (0x1010, 1, 3), 2: (0x1020, 2, 7), 3: (0x1030, 3, 10), 4: (0x1040, 3, 11), 5: (0x1050, 4, 4)}
    samples = [([1, 3], 4096), ([2, 4], 1024), ([2, 3], 512), ([5, 1, 3], 256)]
    for stack, v in samples:
        p += field(2, message((1, b''.join(varint(x) for x in stack)), (2, varint(v))))
    p += field(3, message((1, 1), (2, 0x1000), (3, 0x2000), (5, idx['/bin/names']), (7, 1), (8, 1), (9, 1)))
    for lid, (addr, fid, line) in locs.items():
        p += field(4, message((1, lid), (2, 1), (3, addr), (4, message((1, fid), (2, line)))))
    for fid, (name, start) in enumerate(FUNCS, 1):
        p += field(5, message((1, fid), (2, idx[name]), (3, idx[name]), (4, idx[src]), (5, start)))
    for s in strings:
        p += field(6, s.encode())
    p += field(11, message((1, idx['space']), (2, idx['bytes'])))
    p += field(12, 1)
    with gzip.open(os.path.join(out, 'names.pb.gz'), 'wb') as f:
        f.write(p)


main()
