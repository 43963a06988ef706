#!/bin/bash
# install-deps.sh [bench] -- install what building, testing and the demo need on Debian 12
# (with "bench": also what bench/overhead.sh compares against).
#
# Idempotent: every package is checked with dpkg first, so a second run on a
# ready machine touches no network and takes well under a second. apt-get
# update runs only when something is missing. Run as root (CI does); run as
# another user it prints the apt-get line to run and fails if anything is
# missing.
set -euo pipefail

pkgs=(
  build-essential                # cc, make, ar
  clang llvm libclang-rt-14-dev  # sanitizer builds and libFuzzer (-fsanitize=fuzzer)
  pkg-config
  zlib1g-dev                     # gzip for profile.proto
  libcurl4-openssl-dev           # fetching profiles over HTTP
  libedit-dev                    # interactive shell
  golang-go                      # go tool pprof (the reference) and the test profile generators
  golang-github-google-pprof-dev # google/pprof sources, read as a reference
  graphviz                       # dot, for -svg/-png/-web
  binutils                       # objdump, for -disasm
  hyperfine                      # benchmarks
  time                           # GNU /usr/bin/time for peak RSS
  curl
  python3
  sqlite3                        # real programs under the collector (tests/collect-programs.sh)
  redis-server redis-tools       # redis-server + redis-benchmark under the collector (same)
  libjemalloc2                   # the collector in front of another allocator (same)
  libjemalloc-dev                # jeprof, the judge of nprof's reading of jemalloc heap dumps
  libgoogle-perftools4           # tcmalloc: the collector in front of it too (same)
  google-perftools               # google-pprof, the judge of tests/gperf.sh
  linux-perf                     # perf record/script/report for tests/gperf.sh
  nginx postgresql               # forking servers under the collector (tests/collect-tree.sh)
  autoconf                       # a ./configure run under the collector (tests/collect-programs.sh)
  git
  groff-base man-db              # render and check the man pages (tests/manpages.sh)
  chromium nodejs                # headless Chromium for the browser tests (tests/pictures.sh)
  libbsd-dev libmd-dev libncurses-dev file  # make static: libedit's static needs; tests/static.sh
)

# `install-deps.sh bench` adds what the overhead benchmark compares against.
if [ "${1:-}" = bench ]; then
  pkgs+=(
    # libgoogle-perftools4 (above) also brings gperftools' heap profiler (HEAPPROFILE)
    heaptrack               # heaptrack
    valgrind                # callgrind instruction counts
  )
fi

# The browser tests drive Debian's Chromium with playwright-core from npm, installed into the
# repository's own tests/browser/node_modules (ignored by git) at the version its lock file names.
browser_modules() {
  local dir
  dir="$(dirname "$0")/../tests/browser"
  [ -f "$dir/node_modules/playwright-core/package.json" ] && return 0
  # Debian's nodejs comes without npm; a nodejs that bundles its own conflicts with Debian's npm.
  if ! command -v npm >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm </dev/null
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${pkgs[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  browser_modules
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The servers installed for the tests (nginx, postgresql, redis) are not started: the tests run
# their own, on ports of their own.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
fi
trap '[ $own_policy = 1 ] && rm -f "$policy"' EXIT
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
# check again: a package that apt could not provide must fail here, not later
still=()
for p in "${missing[@]}"; do
  installed "$p" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "install-deps: still missing after apt-get: ${still[*]}" >&2
  exit 1
fi
browser_modules
