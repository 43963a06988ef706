#!/usr/bin/env python3
"""compare.py LABEL NPROF_TOP JEPROF_TEXT FUNC... -- the functions' flat and cum values in
`nprof -top -unit=B` output against `jeprof --text --show_bytes` output for the same dump: one
"ok"/"FAIL" line per value, ok within 2% (a value jeprof shows as 0 must be 0)."""
import re
import sys


def nprof_rows(text):
    rows, seen = {}, False
    for line in text.splitlines():
        if line.strip().startswith("flat"):
            seen = True
            continue
        f = line.split(None, 5)
        if seen and len(f) == 6:
            rows[f[5].strip()] = (num(f[0]), num(f[3]))
    return rows


def num(s):
    m = re.fullmatch(r"(-?[0-9.]+)(B)?", s)
    if not m:
        raise ValueError("not a value: " + s)
    return float(m.group(1))


def jeprof_rows(text):
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\s*(-?[0-9.]+)\s+\S+%\s+\S+%\s+(-?[0-9.]+)\s+\S+%\s+(.*)$", line)
        if m:
            rows[m.group(3).strip()] = (float(m.group(1)), float(m.group(2)))
    return rows


def close(a, b):
    if b == 0:
        return a == 0
    return abs(a - b) <= 0.02 * abs(b)


def main():
    label, nfile, jfile, funcs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    n = nprof_rows(open(nfile).read())
    j = jeprof_rows(open(jfile).read())
    if not j or not n:
        print(f"FAIL {label}: no rows (nprof {len(n)}, jeprof {len(j)})")
        return
    for fn in funcs:
        for k, what in ((0, "flat"), (1, "cum")):
            a, b = n.get(fn, (0, 0))[k], j.get(fn, (0, 0))[k]
            word = "ok  " if close(a, b) else "FAIL"
            print(f"{word} {label}: {fn} {what} nprof {a:.0f} jeprof {b:.0f}")


main()
