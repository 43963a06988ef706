#!/usr/bin/env python3
"""interleave.py -- wall times of several commands measured in alternation.

On a shared machine the speed drifts over minutes; timing all runs of one configuration and
then all of the next (as hyperfine does) lets that drift pass for a difference between them.
Here every round runs each command once, in an order that rotates from round to round, and
each configuration is summarized by its median over the rounds.

usage: interleave.py [--rounds N] [--slow-rounds M] [--base NAME] NAME=COMMAND ...
A NAME starting with "slow:" is run only in the first M rounds (for profilers that take
minutes). COMMAND is split like a shell line (no shell features). Prints a Markdown table:
median and fastest wall time and the median's ratio to --base (default: the first NAME),
then, when present, each profiler's cost over the allocator it runs on."""
import shlex
import statistics
import subprocess
import sys
import time


def main(argv):
    rounds, slow_rounds, base = 15, 3, None
    cmds = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--rounds":
            rounds = int(args.pop(0))
        elif a == "--slow-rounds":
            slow_rounds = int(args.pop(0))
        elif a == "--base":
            base = args.pop(0)
        elif "=" in a:
            name, cmd = a.split("=", 1)
            slow = name.startswith("slow:")
            cmds.append((name[5:] if slow else name, shlex.split(cmd), slow))
        else:
            sys.exit(__doc__)
    if not cmds:
        sys.exit(__doc__)
    base = base or cmds[0][0]
    times = {name: [] for name, _, _ in cmds}
    for r in range(rounds):
        order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
        for name, cmd, slow in order:
            if slow and r >= slow_rounds:
                continue
            t = time.perf_counter()
            res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = time.perf_counter() - t
            if res.returncode != 0:
                sys.exit(f"interleave: {name} exited {res.returncode}: {' '.join(cmd)}")
            times[name].append(dt)
    med = {n: statistics.median(v) for n, v in times.items()}
    print("| allocator / profiler | runs | median wall time | fastest | vs %s |" % base)
    print("|---|---|---|---|---|")
    for name, _, _ in cmds:
        v = times[name]
        print(f"| {name} | {len(v)} | {med[name]:.3f} s | {min(v):.3f} s | {med[name] / med[base]:.3f}x |")
    costs = []
    for prof, alloc in (("interpose-only", "glibc"), ("nprof", "glibc"), ("nprof-rate0", "glibc"), ("jemalloc-prof", "jemalloc"),
                        ("gperftools-heapprof", "tcmalloc")):
        if prof in med and alloc in med:
            costs.append(f"{prof} {100 * (med[prof] / med[alloc] - 1):+.1f}% (over {alloc})")
    if costs:
        print("\nCost of each profiler over the allocator it runs on (medians): " + ", ".join(costs) + ".")


if __name__ == "__main__":
    main(sys.argv[1:])
