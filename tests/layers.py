#!/usr/bin/env python3
"""layers.py -- the include rules of src/, checked on the files as they are.

For every file in src/: each #include "..." names its folder from src/ ("core/sym/symbolize.h")
or is the public "nprof.h" (collector only), resolves to an existing file, and goes to the
file's own layer or a lower one of tests/layers.txt, never to the other wing. Then, over the
whole tree: no include circle between modules. In src/core, src/collect and src/analyze a module
is the first '_'-separated part of a file name (filter_tag.c and filter.h are the module
analyze/filter, split into files); a family folder below them (core/sym, analyze/report ...) is
one module behind its face. One check per file, one for the circles.
Usage: tests/layers.py [REPO]    Prints "N passed, M failed"; exit status 1 on failure.
"""
import fnmatch
import os
import re
import sys

REPO = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..'))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PUBLIC = 'nprof.h'


def read_table():
    rows = []
    with open(os.path.join(REPO, 'tests/layers.txt')) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if line:
                rows.append((int(line[0]), line[1], line[2:]))
    return rows


def glob_match(path, glob):
    """fnmatch where '*' stays within one folder, as in the shell."""
    a, b = path.split('/'), glob.split('/')
    return len(a) == len(b) and all(fnmatch.fnmatchcase(x, y) for x, y in zip(a, b))


def place(rows, path):
    for rank, wing, globs in rows:
        if any(glob_match(path, g) for g in globs):
            return rank, wing
    return None


def module(path):
    folder, name = os.path.split(path)
    if folder.count('/') > 1:
        return folder
    return folder + '/' + re.split(r'[._]', name, 1)[0]


def sources():
    out = []
    for root, _, files in os.walk(os.path.join(REPO, 'src')):
        for name in files:
            if name.endswith(('.c', '.h')):
                out.append(os.path.relpath(os.path.join(root, name), REPO))
    return sorted(out)


def check_file(rows, path, edges):
    """Problems of one file's includes; records its module edges."""
    here = place(rows, path)
    if here is None:
        return ['not placed in tests/layers.txt']
    rank, wing = here
    problems = []
    with open(os.path.join(REPO, path), errors='replace') as f:
        text = f.read()
    for inc in INCLUDE.findall(text):
        if inc == PUBLIC:
            if wing != 'collect':
                problems.append('includes the public "%s" (only the collector may)' % inc)
            continue
        target = 'src/' + inc
        if '/' not in inc or not os.path.isfile(os.path.join(REPO, target)):
            problems.append('"%s" does not name a header by its folder from src/' % inc)
            continue
        there = place(rows, target)
        if there is None:
            problems.append('"%s" is not placed in tests/layers.txt' % inc)
            continue
        if there[1] != '-' and there[1] != wing:
            problems.append('"%s" belongs to the other wing (%s)' % (inc, there[1]))
        elif there[0] > rank:
            problems.append('"%s" is of a higher layer (%d > %d)' % (inc, there[0], rank))
        if module(path) != module(target):
            edges.setdefault(module(path), set()).add(module(target))
    return problems


def find_circle(edges):
    """One module circle as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def main():
    rows = read_table()
    edges = {}
    passed = failed = 0
    for path in sources():
        problems = check_file(rows, path, edges)
        if problems:
            failed += 1
            for p in problems:
                print('FAIL %s: %s' % (path, p))
        else:
            passed += 1
    circle = find_circle(edges)
    if circle:
        failed += 1
        print('FAIL include circle between modules: ' + ' -> '.join(circle))
    else:
        passed += 1
        print('ok   no include circle between the %d modules' % len(
            set(edges) | {m for s in edges.values() for m in s}))
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
