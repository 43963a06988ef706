#!/usr/bin/env python3
"""interleave.py -- wall times of several commands measured in alternation.

On a shared machine the speed drifts over minutes; timing all runs of one configuration and
then all of the next (as hyperfine does) lets that drift pass for a difference between them.
Here every round runs each command once, in an order that rotates from round to round, and
each configuration is summarized by its median over the rounds. Each run's CPU time (user +
system, from wait4) is kept too: when other work shares the machine, wall time also counts
the waits for a CPU, and CPU time is the steadier measure of what a profiler adds.

usage: interleave.py [--rounds N] [--slow-rounds M] [--base NAME] [--json FILE] NAME=COMMAND ...
       interleave.py --target KIND:LABEL=FILE ...
A NAME starting with "slow:" is run only in the first M rounds (for profilers that take
minutes). COMMAND is split like a shell line (no shell features). Prints a Markdown table:
median and fastest wall time and the median's ratio to --base (default: the first NAME),
the median CPU time and its ratio,
then, when present, each profiler's cost over the allocator it runs on. --json also writes
every time, in round order, to FILE: {"base": NAME, "times": {NAME: [seconds, ...]},
"cpu": {NAME: [seconds, ...]}}.

--target reads such files (anything that writes that form will do; lower is better) and
prints how they stand against the collector's overhead target (docs/PERFORMANCE.md):
  server:LABEL=FILE  server-like work: "nprof" over the base must be at most +1%;
  churn:LABEL=FILE   pure allocator churn: nprof's cost over "glibc" must be at most a third
                     of "jemalloc-prof"'s cost over "jemalloc", measured in the same run.
It prints figures and a verdict for each, with how many rounds agree with it (a round's own
ratios meet the limit as the medians do, or miss it as they do): with fewer than three rounds
in four, the verdict is marked "not settled by this run". It does not fail on any of them."""
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def main(argv):
    rounds, slow_rounds, base, json_out = 15, 3, None, None
    cmds = []
    args = list(argv)
    if args and args[0] == "--target":
        return target(args[1:])
    while args:
        a = args.pop(0)
        if a == "--rounds":
            rounds = int(args.pop(0))
        elif a == "--slow-rounds":
            slow_rounds = int(args.pop(0))
        elif a == "--base":
            base = args.pop(0)
        elif a == "--json":
            json_out = args.pop(0)
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
    cpu = {name: [] for name, _, _ in cmds}
    for r in range(rounds):
        order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
        for name, cmd, slow in order:
            if slow and r >= slow_rounds:
                continue
            t = time.perf_counter()
            child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            dt = time.perf_counter() - t
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0:
                sys.exit(f"interleave: {name} exited {child.returncode}: {' '.join(cmd)}")
            times[name].append(dt)
            cpu[name].append(usage.ru_utime + usage.ru_stime)
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"base": base, "times": times, "cpu": cpu}, f, indent=1)
            f.write("\n")
    med = {n: statistics.median(v) for n, v in times.items()}
    mcpu = {n: statistics.median(v) for n, v in cpu.items()}
    print("| allocator / profiler | runs | median wall time | fastest | vs %s | median CPU time | CPU vs %s |"
          % (base, base))
    print("|---|---|---|---|---|---|---|")
    for name, _, _ in cmds:
        v = times[name]
        print(f"| {name} | {len(v)} | {med[name]:.3f} s | {min(v):.3f} s | {med[name] / med[base]:.3f}x "
              f"| {mcpu[name]:.3f} s | {mcpu[name] / mcpu[base]:.3f}x |")
    costs = []
    for prof, alloc in (("interpose-only", "glibc"), ("nprof", "glibc"), ("nprof-rate0", "glibc"), ("jemalloc-prof", "jemalloc"),
                        ("gperftools-heapprof", "tcmalloc")):
        if prof in med and alloc in med:
            costs.append(f"{prof} {100 * (med[prof] / med[alloc] - 1):+.1f}% (over {alloc})")
    if costs:
        print("\nCost of each profiler over the allocator it runs on (medians): " + ", ".join(costs) + ".")


SERVER_LIMIT = 0.01     # server-like work: nprof at most +1% over the same program without it
CHURN_LIMIT = 1 / 3     # churn: nprof's cost at most a third of jemalloc's profiler's cost


def spread(num, den):
    """The quartiles of the per-round ratios num[i]/den[i] (the commands of one round ran
    side by side): how far a single round strays, to set beside the ratio of the medians."""
    r = sorted(a / b for a, b in zip(num, den))
    if len(r) < 4:
        return f"{len(r)} round{'s' * (len(r) != 1)}, too few for quartiles"
    q = statistics.quantiles(r, n=4)
    return f"middle half of the {len(r)} rounds' ratios {q[0]:.3f}-{q[2]:.3f}"


def verdict(ok, agree):
    """The words for a verdict (ok: the medians meet the limit) that agree[i] of the rounds
    share: with fewer than three rounds in four behind it, one run does not settle it."""
    n, k = len(agree), sum(1 for a in agree if a == ok)
    words = "within target" if ok else "over target"
    if 4 * k < 3 * n:
        words += ", not settled by this run"
    return f"{words} | {k} of {n}"


def target(specs):
    """Prints the overhead target's summary for the files named by KIND:LABEL=FILE."""
    server, churn = [], []
    for spec in specs:
        kind, sep, rest = spec.partition(":")
        label, sep2, path = rest.partition("=")
        if not (sep and sep2 and kind in ("server", "churn")):
            sys.exit(__doc__)
        with open(path) as f:
            d = json.load(f)
        (server if kind == "server" else churn).append((label, d["base"], d["times"]))
    print("## Target")
    print()
    if server:
        print(f"Server-like work: nprof at the default rate at most +{100 * SERVER_LIMIT:.0f}% "
              "over the same program without it (ratio of medians; lower is better).")
        print()
        print("| workload | base | base median | nprof median | nprof / base | verdict | rounds that agree "
              "| noise |")
        print("|---|---|---|---|---|---|---|---|")
        for label, base, t in server:
            b, n = statistics.median(t[base]), statistics.median(t["nprof"])
            ok = n / b <= 1 + SERVER_LIMIT
            agree = [x / y <= 1 + SERVER_LIMIT for x, y in zip(t["nprof"], t[base])]
            print(f"| {label} | {base} | {b:.3f} s | {n:.3f} s | {n / b:.3f} ({100 * (n / b - 1):+.1f}%) | "
                  f"{verdict(ok, agree)} | {spread(t['nprof'], t[base])} |")
        print()
    if churn:
        print("Pure allocator churn: nprof's cost over glibc at most one third of jemalloc's "
              "profiler's cost over plain jemalloc (prof:true,lg_prof_sample:19), the same run.")
        print()
        print("| workload | nprof / glibc | nprof cost | jemalloc-prof / jemalloc | jemalloc-prof cost "
              "| quotient of costs | verdict | rounds that agree |")
        print("|---|---|---|---|---|---|---|---|")
        for label, _, t in churn:
            m = {k: statistics.median(t[k]) for k in ("glibc", "nprof", "jemalloc", "jemalloc-prof")}
            rn, rj = m["nprof"] / m["glibc"], m["jemalloc-prof"] / m["jemalloc"]
            cn, cj = rn - 1, rj - 1
            # Per round: nprof's cost against a third of jemalloc-prof's in the same round.
            agree = [n / g - 1 <= (jp / j - 1) * CHURN_LIMIT
                     for g, n, j, jp in zip(t["glibc"], t["nprof"], t["jemalloc"], t["jemalloc-prof"])]
            if cj <= 0:
                q, words = "-", "undecided: jemalloc-prof measured no cost | -"
            else:
                q = f"{cn / cj:.2f}"
                words = verdict(cn <= cj * CHURN_LIMIT, agree)
            print(f"| {label} | {rn:.3f} | {100 * cn:+.1f}% | {rj:.3f} | {100 * cj:+.1f}% | {q} "
                  f"(limit {CHURN_LIMIT:.2f}) | {words} |")
        print()
        for label, _, t in churn:
            print(f"Noise ({label}): nprof / glibc {spread(t['nprof'], t['glibc'])}; jemalloc-prof / "
                  f"jemalloc {spread(t['jemalloc-prof'], t['jemalloc'])}.")
        print()
    print("Rounds that agree: the rounds whose own ratios (the commands of a round run side by side) "
          "meet the limit as the medians do, or miss it as they do; with fewer than three in four, "
          "the run does not settle the verdict. Medians of interleaved rounds on a shared machine "
          "move by a point or two between runs.")


if __name__ == "__main__":
    main(sys.argv[1:])
