#!/bin/bash
# manpages.sh NPROF -- the man pages against the code: every flag, shell command, environment
# variable, endpoint, query parameter and API function that the code defines has an entry in
# man/nprof.1 or man/libnprof.3, no entry names one that is gone, `nprof -h` lists every flag,
# and both pages render without a warning. The names come from the code's own tables
# (tests/manpages.py); a self-check adds a flag and a setting to copies of the sources and
# shows that the check names them.
set -uo pipefail
export LC_ALL=C # comm and sort agree with the sorted lists of manpages.py
nprof=${1:?usage: manpages.sh NPROF}
cd "$(dirname "$0")/.."
py=tests/manpages.py
page1=man/nprof.1
page3=man/libnprof.3

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# missing WANT HAVE: the lines of file WANT that file HAVE lacks, on one line.
missing() { comm -23 <(sort -u "$1") <(sort -u "$2") | tr '\n' ' ' | sed 's/ $//'; }

# check WHAT WANT HAVE: one check that every name of WANT is in HAVE.
check() {
  local gone
  gone=$(missing "$2" "$3")
  if [ -z "$gone" ] && [ -s "$2" ]; then
    ok "$1 ($(sort -u "$2" | wc -l) names)"
  else
    fail "$1: missing ${gone:-(no names found)}"
  fi
}

# --- rendering ---
sections1=(NAME SYNOPSIS DESCRIPTION REPORTS OPTIONS "INTERACTIVE SHELL" "INPUT FORMATS" ENVIRONMENT
  "EXIT STATUS" EXAMPLES "SEE ALSO")
sections3=(NAME SYNOPSIS DESCRIPTION FUNCTIONS ENVIRONMENT ENDPOINTS "RETURN VALUE" EXAMPLES "SEE ALSO")
render() { # PAGE SECTIONS...: groff -ww says nothing, man -l shows every section
  local page=$1 warn absent=""
  shift
  warn=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
  if [ -z "$warn" ]; then ok "$page: groff -ww renders it without a warning"; else fail "$page: groff -ww: $warn"; fi
  MANWIDTH=80 man -l "$page" 2>"$tmp/man.err" | col -b >"$tmp/man.txt"
  for s in "$@"; do grep -qx "$s" "$tmp/man.txt" || absent+="'$s' "; done
  if [ -z "$absent" ] && ! [ -s "$tmp/man.err" ] && [ "$(wc -l <"$tmp/man.txt")" -gt 50 ]; then
    ok "$page: man -l shows every section (${#@})"
  else
    fail "$page: man -l: sections missing: ${absent:-none}; stderr: $(head -c 300 "$tmp/man.err")"
  fi
}
render "$page1" "${sections1[@]}"
render "$page3" "${sections3[@]}"

# --- nprof(1) ---
python3 $py flags src >"$tmp/flags"
{ python3 $py heads "$page1" REPORTS flags; python3 $py heads "$page1" OPTIONS flags; } | sort -u >"$tmp/flags.man"
check "nprof.1 documents every flag of cli.c, config.c and driver.c's tables" "$tmp/flags" "$tmp/flags.man"
check "every flag nprof.1 documents exists in the code" "$tmp/flags.man" "$tmp/flags"

# nprof -h: each flag as -name, or an option group's name on a line of its own.
"$nprof" -h >"$tmp/help" 2>&1
sed -n 's/^ *-\{1,2\}\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p; s/^ *\([a-z_]*\) *$/\1/p' "$tmp/help" | sort -u >"$tmp/flags.help"
check "nprof -h lists every flag" "$tmp/flags" "$tmp/flags.help"

python3 $py shell src >"$tmp/shell"
python3 $py heads "$page1" "INTERACTIVE SHELL" >"$tmp/shell.man"
check "nprof.1 documents every interactive shell command" "$tmp/shell" "$tmp/shell.man"

python3 $py env src/analyze src/core >"$tmp/env1"
python3 $py heads "$page1" ENVIRONMENT >"$tmp/env1.man"
check "nprof.1 documents every environment variable the analyzer reads" "$tmp/env1" "$tmp/env1.man"
grep -E '^(NPROF|PPROF)_' "$tmp/env1.man" >"$tmp/env1.ours"
check "every NPROF_/PPROF_ variable nprof.1 documents is read by the analyzer" "$tmp/env1.ours" "$tmp/env1"

# --- libnprof(3) ---
python3 $py env src/collect src/core >"$tmp/env3"
python3 $py heads "$page3" ENVIRONMENT >"$tmp/env3.man"
check "libnprof.3 documents every environment variable the collector reads" "$tmp/env3" "$tmp/env3.man"
grep '^NPROF_' "$tmp/env3.man" >"$tmp/env3.ours"
check "every NPROF_ setting libnprof.3 documents is read by the collector" "$tmp/env3.ours" "$tmp/env3"

python3 $py heads "$page3" ENDPOINTS >"$tmp/ep.man"
python3 $py endpoints src >"$tmp/ep"
grep '^/' "$tmp/ep.man" >"$tmp/ep.man.paths"
check "libnprof.3 documents every endpoint" "$tmp/ep" "$tmp/ep.man.paths"
check "every endpoint libnprof.3 documents is served" "$tmp/ep.man.paths" "$tmp/ep"
python3 $py params src >"$tmp/params"
sed -n 's/^\([a-z_]*\)=.*/\1/p' "$tmp/ep.man" | sort -u >"$tmp/params.man"
check "libnprof.3 documents every query parameter the endpoints read" "$tmp/params" "$tmp/params.man"

python3 $py api include/nprof.h >"$tmp/api"
python3 $py heads "$page3" FUNCTIONS >"$tmp/api.man"
check "libnprof.3 documents every function of include/nprof.h" "$tmp/api" "$tmp/api.man"
check "every function libnprof.3 documents is in include/nprof.h" "$tmp/api.man" "$tmp/api"

# --- the other documentation says the same ---
# README's list of reports and options names flags that exist and are in the man page.
sed -n '/^Reports:/,/^`-output`/p' README.md | grep -o '`-[a-z_]*`' | tr -d '`-' | sort -u >"$tmp/readme"
check "README's report and option flags exist" "$tmp/readme" "$tmp/flags"
check "README's report and option flags are in nprof.1" "$tmp/readme" "$tmp/flags.man"
grep -ho 'NPROF_[A-Z_]*' docs/COLLECTOR.md | sort -u >"$tmp/collector.md"
grep '^NPROF_' "$tmp/env3" >"$tmp/env3.nprof"
check "docs/COLLECTOR.md describes every NPROF_ setting of the collector" "$tmp/env3.nprof" "$tmp/collector.md"
cat README.md docs/*.md | grep -o 'NPROF_[A-Z_]*' | sort -u >"$tmp/docs"
grep '^NPROF_' "$tmp/env1" | grep -vx NPROF_GRAPHVIZ_WORKER >"$tmp/env1.nprof"
check "README or docs/ describe every NPROF_ variable of the analyzer" "$tmp/env1.nprof" "$tmp/docs"

# --- self-check: a flag and a setting added to copies of the sources are reported ---
mkdir -p "$tmp/src"
cp -r src/analyze src/collect "$tmp/src/"
sed -i 's/{"width", F_INT},/{"width", F_INT}, {"zz_selfcheck", F_BOOL},/' "$tmp/src/analyze/cli.c"
sed -i 's/copy_env(np_cfg.http, sizeof np_cfg.http, "NPROF_HTTP");/&\n    copy_env(np_cfg.http, 1, "NPROF_ZZ_SELFCHECK");/' \
  "$tmp/src/collect/cconfig.c"
python3 $py flags "$tmp/src" >"$tmp/flags.fake"
python3 $py env "$tmp/src/collect" >"$tmp/env3.fake"
# What the copies lack beyond what the real sources lack: exactly the two fakes.
got=$(comm -23 <({ comm -23 "$tmp/flags.fake" "$tmp/flags.man"; comm -23 "$tmp/env3.fake" "$tmp/env3.man"; } | sort) \
  <({ comm -23 "$tmp/flags" "$tmp/flags.man"; comm -23 "$tmp/env3" "$tmp/env3.man"; } | sort) | tr '\n' ' ')
if [ "$got" = "NPROF_ZZ_SELFCHECK zz_selfcheck " ]; then
  ok "self-check: a flag added to cli.c's table and a setting read in cconfig.c are reported missing"
else
  fail "self-check: the fake flag and setting gave '$got'"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
