#!/usr/bin/env python3
"""scrape-check.py KIND FILE... -- reads gzipped profile.proto files in scrape order, as a fleet
scraper computing deltas does, and prints one line per finding: "types T1,T2" of the first file,
then "decrease ..." for each (stack, labels) whose cumulative value fell from one file to the
next (the counters of allocs, mutex and block must only grow), and "ok N files". Exit 1 on a
decrease or a file that does not parse."""
import gzip
import sys


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field number, wire type, value) of one message: ints for varints, bytes otherwise."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = int.from_bytes(b[i:i + 8], "little"), i + 8
        elif wt == 5:
            v, i = int.from_bytes(b[i:i + 4], "little"), i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def ints(wt, v):
    """A repeated integer field, packed or not."""
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def signed(x):
    return x - (1 << 64) if x >= 1 << 63 else x


def read(path):
    """Sample types as "type/unit" and {(addresses, labels): values}."""
    raw = gzip.open(path).read()
    strings, types, samples, addr = [], [], [], {}
    for num, wt, v in fields(raw):
        if num == 6:
            strings.append(v.decode())
        elif num == 1:
            types.append(dict((n, x) for n, _, x in fields(v)))
        elif num == 2:
            samples.append(v)
        elif num == 4:
            loc = dict((n, x) for n, _, x in fields(v))
            addr[loc.get(1, 0)] = loc.get(3, 0)
    names = ["%s/%s" % (strings[t.get(1, 0)], strings[t.get(2, 0)]) for t in types]
    out = {}
    for s in samples:
        locs, vals, labels = [], [], []
        for num, wt, v in fields(s):
            if num == 1:
                locs += ints(wt, v)
            elif num == 2:
                vals += [signed(x) for x in ints(wt, v)]
            elif num == 3:
                lab = dict((n, x) for n, _, x in fields(v))
                labels.append((strings[lab.get(1, 0)], strings[lab.get(2, 0)], lab.get(3, 0)))
        key = (tuple(addr.get(l, l) for l in locs), tuple(sorted(labels)))
        prev = out.get(key, [0] * len(vals))
        out[key] = [a + b for a, b in zip(prev, vals)]
    return names, out


def main():
    kind, paths = sys.argv[1], sys.argv[2:]
    # What only grows: Go's allocs profile's alloc_* values; every value of mutex and block.
    growing = {"allocs": ("alloc_objects/count", "alloc_space/bytes")}
    bad = 0
    prev = None
    for path in paths:
        try:
            names, samples = read(path)
        except Exception as e:  # a scrape that does not parse is a finding, not a crash
            print("unreadable %s: %s" % (path, e))
            return 1
        if prev is None:
            print("types " + ",".join(names))
        watch = [i for i, n in enumerate(names) if n in growing.get(kind, names)]
        for key, vals in (prev or {}).items():
            now = samples.get(key, [0] * len(vals))
            for i in watch:
                if now[i] < vals[i]:
                    bad += 1
                    print("decrease %s %s: %d -> %d at %s" % (path, names[i], vals[i], now[i], key[0][:3]))
        prev = samples
    print("ok %d files" % len(paths))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
