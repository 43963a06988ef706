#!/usr/bin/env python3
"""symgen.py DIR [FILES] [FUNCS] -- writes a large generated C program into DIR for
bench/symbolize.sh: FILES source files (40 unless given) of FUNCS functions each (500), every
function with its own always-inlined helper and calls into a shared header's inline helpers,
so that an -O2 -g build has tens of thousands of functions, inlined frames from two files
apiece, and tens of MB of DWARF. Deterministic: the same arguments write the same program."""
import os
import sys

HEADER = r'''/* shared inline helpers: inlined into every generated function */
#ifndef SG_COMMON_H
#define SG_COMMON_H
struct sg_state { unsigned long acc; unsigned long seen[8]; const char *tag; };
static inline __attribute__((always_inline)) unsigned long sg_mix(unsigned long x, unsigned long k)
{
    x ^= x >> 13;
    x *= k | 1;
    return x ^ (x >> 7);
}
static inline __attribute__((always_inline)) void sg_note(struct sg_state *s, unsigned long v)
{
    s->seen[v & 7] += v;
    s->acc = sg_mix(s->acc + v, 0x9e3779b97f4a7c15ul);
}
#endif
'''


def function(f, n, funcs):
    name = 'sg_%03d_%04d' % (f, n)
    callee = 'sg_%03d_%04d' % (f, n + 1) if n + 1 < funcs else None
    out = []
    out.append('static inline __attribute__((always_inline)) unsigned long %s_step(struct sg_state *s, unsigned long x)\n{\n' % name)
    out.append('    for (int i = 0; i < %d; i++) {\n' % (2 + n % 5))
    out.append('        x = sg_mix(x + %du, %du);\n' % (n * 7 + f, 2654435761 % (n + 3 + f)))
    out.append('        sg_note(s, x);\n    }\n    return x;\n}\n\n')
    out.append('__attribute__((noinline)) unsigned long %s(struct sg_state *s, unsigned long x)\n{\n' % name)
    out.append('    x = %s_step(s, x);\n' % name)
    if callee:
        out.append('    if (x %% %d == 0)\n        x += %s(s, x >> 3);\n' % (3 + n % 4, callee))
    out.append('    sg_note(s, x ^ %du);\n' % (f * 1000 + n))
    out.append('    return x;\n}\n\n')
    return ''.join(out)


def main():
    out = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    funcs = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'sg_common.h'), 'w') as h:
        h.write(HEADER)
    for f in range(files):
        with open(os.path.join(out, 'sg_%03d.c' % f), 'w') as c:
            c.write('#include "sg_common.h"\n\n')
            for n in reversed(range(funcs)):  # callee defined first: no prototypes needed
                c.write(function(f, n, funcs))
    with open(os.path.join(out, 'main.c'), 'w') as m:
        m.write('#include <stdio.h>\n#include "sg_common.h"\n\n')
        for f in range(files):
            m.write('unsigned long sg_%03d_0000(struct sg_state *s, unsigned long x);\n' % f)
        m.write('\nint main(int argc, char **argv)\n{\n    struct sg_state s = {0, {0}, argv[0]};\n')
        m.write('    unsigned long x = (unsigned long)argc;\n')
        for f in range(files):
            m.write('    x = sg_%03d_0000(&s, x);\n' % f)
        m.write('    printf("%lu %lu\\n", x, s.acc);\n    return 0;\n}\n')


main()
