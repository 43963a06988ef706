#!/bin/bash
# check.sh -- everything `make check` runs once the dependencies are in.
#
# Stages, in order; each one's "N passed, M failed" line is added up:
#   layers    tests/layers.py (every #include in src/ against tests/layers.txt, no circles)
#   build     make -j2 all                       (1 check: builds or not)
#   unit      make unit                          (unit tests)
#   asan      make asan                          (unit tests under ASan+UBSan)
#   profiles  tests/go/make-profiles.sh build/profiles, then tests/make-c-profiles.sh build
#             build/profiles (libnprof's own: c-cpu, c-heap) (1 check)
#   diff      tests/diff-pprof.sh build/nprof build/profiles
#   roundtrip tests/proto-roundtrip.sh build/nprof (-proto read back by both tools)
#   diff-asan the diff cases again with the ASan/UBSan build of nprof
#   shell     tests/shell-cases.sh build/nprof (interactive sessions and -list)
#   manpages  tests/manpages.sh build/nprof (man/nprof.1 and man/libnprof.3 against the code's
#             flags, shell commands, settings, endpoints and API; groff -ww, man -l, nprof -h)
#   pictures  tests/pictures.sh build/nprof (-svg pan/zoom in headless Chromium, -web, -weblist)
#   webui     tests/webui.sh build/nprof (-http: views, URL parameters, access, headless Chromium)
#   flame     tests/flame.sh build/nprof (the flame tree: -folded, -icicle, -tui)
#   flamegraph tests/flamegraph.sh build/nprof (-flamegraph pages: data, diffs, headless Chromium)
#   leftovers tests/leftovers.sh build/nprof (-tui's cut mark, -divide_by in the flame views, the
#             shell's flamegraph, the web UI's Top sorted by exact values)
#   graphviz  tests/graphviz.sh build/nprof (the web server's Graph drawn by libgvc kept loaded:
#             byte for byte dot's on every profile, 501 without dot, memory, concurrency)
#   re2search tests/re2search.sh build/nprof (the flame page's search reads RE2 as -focus does:
#             Matched: N% = -focus's share in headless Chromium, RE2's errors as -focus's)
#   jemalloc  tests/jemalloc.sh build/nprof (jemalloc heap dumps of a C program under libjemalloc2:
#             -top against jeprof's, file:line, damaged dumps, also with build-asan/nprof)
#   gobin     tests/gobin.sh build/nprof (`nprof BINARY FILE` on Go's debug=1 text profiles: -top,
#             -traces, -list, -peek byte for byte go tool pprof's, from .gopclntab or DWARF)
#   static    tests/static.sh build/nprof (make static: nprof-static alone in a chroot, reports and
#             an http:// fetch byte for byte build/nprof's, https and -svg refused in one line)
#   gperf     tests/gperf.sh build/nprof (a C program under gperftools' HEAPPROFILE and
#             CPUPROFILE against google-pprof, and under perf record against perf report)
#   disasm    tests/disasm.sh build/nprof (-disasm: a C program's CPU and
#             heap profiles by libnprof and a Go program's, against go tool pprof -disasm;
#             -weblist's pages: sums, addresses, fallbacks, against go tool pprof -weblist)
#   install   tests/install.sh build/nprof (make install into a stage: exactly the files, a
#             program built with pkg-config against them serves a heap, one version, uninstall)
#   symspeed  tests/symspeed.sh build/nprof (bench/symbolize.sh's generated C program and
#             profiles at a small scale: reports byte for byte go tool pprof's, every inlined
#             frame addr2line -i's; a Go binary's legacy heap text as go tool pprof reads it)
#   symthreads tests/symthreads.sh build/nprof (a Go profile of 14,000 addresses, whose line
#             table lookups nprof shares with a thread: every report as with one CPU)
#   oracle    ../shared/testdata/go/run-oracle.sh build/nprof, when that
#             folder exists beside the repository (skipped otherwise)
#   fuzz      tools/run-fuzz.sh FUZZ_RUNS: builds every fuzz target (as make
#             fuzz does) and runs each for FUZZ_RUNS inputs, one check each
#   collect-e2e  tests/collect-e2e.sh build (libnprof on the leaky-server example)
#   collect   tests/collect-programs.sh build (libnprof in real programs, fork,
#             dlopen, threads, signals, dumps; about 2 minutes)
#   truth     tests/collect-truth.sh build (libnprof's figures against what programs
#             observe and count themselves: usable sizes, realloc rules, redis)
#   cpu       tests/collect-cpu.sh build (the CPU profile: shares and totals against the
#             program's own CPU time, 1000 Hz, /debug/pprof/profile, fork, EINTR)
#   tree      tests/collect-tree.sh build (forking servers: a prefork test program,
#             Debian's nginx and postgres, reached through one address)
#   threads   tests/collect-threads.sh build (thread dumps and threadcreate: thread-leak-server,
#             1,000 threads, no EINTR during a loop of dumps, then 1,000 dumps in a row of a
#             busy 16-thread program: about 9 minutes here, NPROF_DUMP_BURST=100 for ~1 minute)
#   locks     tests/collect-locks.sh build (the mutex and block profiles: lock-contention
#             against its own waiting time, rwlocks, condvars, results passed through)
#   fleet     tests/collect-fleet.sh build (every kind over a forked tree with ?pid=N and
#             ?pid=all; busy-service scraped as Parca and Alloy do; about 30 seconds)
#   legsym    tests/collect-legsym.sh build (nprof names the legacy text profiles' functions as
#             go tool pprof does: saved debug=1 files and live URLs, the symbol protocol)
#   symoff    tests/symoff.sh build (profiles taken with NPROF_SYMBOLIZE=0 named later from the
#             binaries, by build ID, search path and debug files, as the symbolized ones)
#   cpurobust tests/collect-cpurobust.sh build (CPU profiling at 1000 Hz during thread churn,
#             C++ exceptions, fork/posix_spawn from 1 GiB, python3 threads, redis; ~20 s)
#   allprof   tests/collect-allprof.sh build (redis-server and python3 under every profile at once
#             while every kind is scraped; stacks through signal frames, -O0 frames, the
#             dump's signal taken by the program; about a minute)
# A stage that cannot run, or that fails without printing its count, counts
# as one failure. The last line is exactly "P passed, F failed", the sums;
# the exit status is non-zero if anything failed.
#
# Environment: SKIP='asan fuzz' skips the named stages (for quick local runs;
# CI skips nothing); FUZZ_RUNS (default 20000).
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
logs=$repo/build/check
mkdir -p "$logs"
export FUZZ_RUNS=${FUZZ_RUNS:-20000}

total_pass=0 total_fail=0
summary=()

# count LOG -- the numbers from the last "N passed, M failed" line in LOG.
count() {
  grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 |
    sed -E 's/^([A-Za-z_-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2 \3/'
}

# note STAGE PASS FAIL WHAT -- add to the totals and the summary.
note() {
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + $3))
  summary+=("$(printf '%-9s %4d ok %4d bad  %s' "$1" "$2" "$3" "$4")")
}

skipped() { [[ " ${SKIP:-} " == *" $1 "* ]]; }

# stage NAME KIND CMD... -- run CMD with its output shown and logged.
# KIND "single": the stage is one check, passed iff CMD exits 0.
# KIND "counted": CMD prints "N passed, M failed"; without that line a
# failing CMD counts as one failure, and a CMD that exits non-zero with
# "0 failed" gets one failure added (something broke outside the tests).
stage() {
  local name=$1 kind=$2; shift 2
  local log=$logs/$name.log start rc secs p f
  if skipped "$name"; then
    summary+=("$(printf '%-9s skipped (SKIP)' "$name")")
    return 0
  fi
  echo "==== $name: $*"
  start=$(date +%s)
  "$@" </dev/null 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  secs=$(($(date +%s) - start))
  if [ "$kind" = single ]; then
    if [ "$rc" = 0 ]; then note "$name" 1 0 "${secs}s"; else note "$name" 0 1 "exit $rc, ${secs}s"; fi
    return "$rc"
  fi
  read -r p f <<<"$(count "$log")"
  if [ -z "${p:-}" ]; then
    note "$name" 0 1 "exit $rc and no result line, ${secs}s"
    return 1
  fi
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    note "$name" "$p" 1 "exit $rc, ${secs}s"
    return 1
  fi
  note "$name" "$p" "$f" "${secs}s"
  return "$rc"
}

# cannot NAME WHY -- a stage that could not be run counts as one failure.
cannot() {
  if skipped "$1"; then
    summary+=("$(printf '%-9s skipped (SKIP)' "$1")")
    return
  fi
  echo "==== $1: not run: $2"
  note "$1" 0 1 "not run: $2"
}

stage layers counted python3 tests/layers.py
built=0
stage build single make -j2 all && built=1
stage unit counted make unit
stage asan counted make asan

profiles=0
stage profiles single bash -c 'tests/go/make-profiles.sh build/profiles && tests/make-c-profiles.sh build build/profiles' && profiles=1
if [ $built = 1 ] && [ $profiles = 1 ]; then
  stage diff counted tests/diff-pprof.sh build/nprof build/profiles
  stage roundtrip counted tests/proto-roundtrip.sh build/nprof
  # The same differential cases once more with the sanitizer build of nprof: any memory
  # error or undefined behaviour aborts it, which fails the case.
  if [ -x build-asan/nprof ]; then
    stage diff-asan counted env ASAN_OPTIONS=detect_leaks=1 tests/diff-pprof.sh build-asan/nprof build/profiles
  else
    cannot diff-asan "needs build-asan/nprof (make asan)"
  fi
  if [ -x tests/shell-cases.sh ]; then
    stage shell counted tests/shell-cases.sh build/nprof
  fi
  stage manpages counted tests/manpages.sh build/nprof
  stage pictures counted tests/pictures.sh build/nprof
  stage webui    counted tests/webui.sh build/nprof
  stage flame counted tests/flame.sh build/nprof
  stage flamegraph counted tests/flamegraph.sh build/nprof
  stage leftovers counted tests/leftovers.sh build/nprof
  stage graphviz counted tests/graphviz.sh build/nprof
  stage re2search counted tests/re2search.sh build/nprof
  stage jemalloc counted tests/jemalloc.sh build/nprof
  stage gobin counted tests/gobin.sh build/nprof
  stage gperf counted tests/gperf.sh build/nprof
  stage static counted tests/static.sh build/nprof
  stage disasm counted tests/disasm.sh build/nprof
  stage install counted tests/install.sh build/nprof
  stage symspeed counted tests/symspeed.sh build/nprof
  stage symthreads counted tests/symthreads.sh build/nprof
else
  cannot diff "needs build/nprof and build/profiles"
fi

oracle=$(dirname "$repo")/shared/testdata/go
if [ -f "$oracle/run-oracle.sh" ]; then
  if [ $built = 1 ]; then
    stage oracle counted bash "$oracle/run-oracle.sh" "$repo/build/nprof"
  else
    cannot oracle "needs build/nprof"
  fi
else
  summary+=("$(printf '%-9s skipped (no %s)' oracle "$oracle")")
fi

if [ -x tools/run-fuzz.sh ]; then
  # run-fuzz.sh builds the targets itself (tools/build-fuzz.sh) and counts a
  # target that did not build as a failure.
  stage fuzz counted tools/run-fuzz.sh "$FUZZ_RUNS"
else
  summary+=("$(printf '%-9s skipped (no tools/run-fuzz.sh yet)' fuzz)")
fi

if [ $built = 1 ]; then
  stage collect-e2e counted tests/collect-e2e.sh build
  stage collect counted tests/collect-programs.sh build
  stage truth counted tests/collect-truth.sh build
  stage tree counted tests/collect-tree.sh build
  stage threads counted tests/collect-threads.sh build
  stage cpu counted tests/collect-cpu.sh build
  stage locks counted tests/collect-locks.sh build
  stage fleet counted tests/collect-fleet.sh build
  stage legsym counted tests/collect-legsym.sh build
  stage cpurobust counted tests/collect-cpurobust.sh build
  stage allprof counted tests/collect-allprof.sh build
  stage symoff counted tests/symoff.sh build
else
  cannot collect-e2e "needs make all"
  cannot collect "needs make all"
  cannot truth "needs make all"
  cannot tree "needs make all"
  cannot threads "needs make all"
  cannot cpu "needs make all"
  cannot locks "needs make all"
  cannot fleet "needs make all"
  cannot legsym "needs make all"
  cannot cpurobust "needs make all"
  cannot allprof "needs make all"
  cannot symoff "needs make all"
fi

echo "==== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
