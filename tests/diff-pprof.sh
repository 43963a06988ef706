#!/bin/bash
# diff-pprof.sh NPROF PROFDIR -- differential test of NPROF against go tool pprof.
#
# Every case in tests/diff-cases.txt is run twice, once with `go tool pprof`
# (the reference) and once with NPROF, both in PROFDIR with the same
# arguments, TZ=UTC and PPROF_BINARY_PATH=/nonexistent. Standard output must
# be identical once the profile timestamps ("Time: ...") are masked.
# PROFDIR is what tests/go/make-profiles.sh makes.
#
# Case file: one case a line, blank lines and lines starting with # ignored:
#     NAME [@MODE] ARGS...
# ARGS are the words after the program name, written as shell words
# (single-quote regexps). Placeholders, replaced inside each word after
# splitting:
#     {SRC}  the absolute path of tests/go (the generators' sources), for
#            -source_path and -trim_path
#     {OUT}  a file path private to each tool's run, for -output
# Kinds of case:
#     err_*    the reference must fail: NPROF must fail too (any non-zero
#              status) with the same stdout and stderr.
#     others   the reference must succeed: NPROF must exit 0 with the same
#              stdout; stderr is not compared (pprof prints warnings there).
#     @output  also compare the files the two tools wrote to {OUT}.
#     @proto   {OUT} is a profile: both tools' -raw of NPROF's file must equal
#              go tool pprof -raw of the reference's file (so NPROF's encoder
#              is read back by Go, and by NPROF's own decoder, to the same
#              profile the reference wrote).
# A case whose reference run does not behave as its name says (an err_ case
# that succeeds, or the reverse) fails with "reference ...": the case or the
# profiles are broken, not NPROF.
#
# Prints "FAIL NAME: reason" for each failing case and ends with the line
# "N passed, M failed". Exit status 0 iff nothing failed.
#
# Environment:
#   CASES='glob'     run only the cases whose name matches the bash glob
#   CASES_FILE=path  another case file (default tests/diff-cases.txt)
#   VERBOSE=1        show a short diff for each failure
#   KEEP=DIR         keep every output as DIR/NAME.{go,np}.{out,err,rc}
#   GO_PPROF='cmd'   the reference command (default "go tool pprof")
#   REPEAT=N         run the reference N extra times per case and report
#                    "NONDET NAME" if its output changes (for vetting cases)
#   CASE_TIMEOUT=S   seconds allowed per tool run (default 120)
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 NPROF PROFDIR" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/go
cases_file=${CASES_FILE:-$here/diff-cases.txt}
case $cases_file in /*) ;; *) cases_file=$PWD/$cases_file ;; esac

# The tool under test may be a command with arguments ("go tool pprof").
read -r -a NP <<<"$1"
case ${NP[0]} in
  /*) ;;
  */*) NP[0]="$(cd "$(dirname "${NP[0]}")" && pwd)/$(basename "${NP[0]}")" ;;
esac
read -r -a GO <<<"${GO_PPROF:-go tool pprof}"

if [ ! -d "$2" ]; then
  echo "$0: no profile directory $2" >&2
  exit 2
fi
profdir=$(cd "$2" && pwd)
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && KEEP=$(cd "$KEEP" && pwd); fi

export TZ=UTC PPROF_BINARY_PATH=/nonexistent LC_ALL=C
tmp=$(mktemp -d "${TMPDIR:-/tmp}/diff-pprof.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
cd "$profdir" || exit 2

# norm FILE -- mask the profile timestamp, as pprof prints it in headers and
# the -dot legend ("Time: Nov 22, 2026 at 9:55pm (UTC)") and in -raw
# ("Time: 2026-11-22 21:55:26.649739643 +0000 UTC").
norm() {
  sed -E \
    -e 's/Time: [A-Z][a-z]{2} [0-9]{1,2}, [0-9]{4} at [0-9]{1,2}:[0-9]{2}[ap]m \([^)]*\)/Time: <TIME>/g' \
    -e 's/^Time: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? [-+][0-9]{4} [^ ]+$/Time: <TIME>/' \
    "$1"
}

# run TAG CMD... -- run one tool with the case's words, {OUT} -> $tmp/TAG.file;
# leaves $tmp/TAG.out, $tmp/TAG.err and $tmp/TAG.rc.
run() {
  local tag=$1; shift
  local words=() w
  for w in "${args[@]}"; do
    w=${w//\{SRC\}/$src}
    w=${w//\{OUT\}/$tmp/$tag.file}
    words+=("$w")
  done
  rm -f "$tmp/$tag.file"
  timeout "${CASE_TIMEOUT:-120}" "$@" "${words[@]}" >"$tmp/$tag.out" 2>"$tmp/$tag.err" </dev/null
  echo $? >"$tmp/$tag.rc"
}

# same A B -- compare two files after normalisation; on a difference, record
# a diff for VERBOSE.
same() {
  norm "$1" >"$tmp/a.n"
  norm "$2" >"$tmp/b.n"
  if cmp -s "$tmp/a.n" "$tmp/b.n"; then return 0; fi
  { echo "--- $3"; diff -u "$tmp/a.n" "$tmp/b.n" | tail -n +3 | head -30; } >>"$tmp/diffs"
  return 1
}

pass=0 fail=0 lineno=0
args=()
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  case $line in '' | '#'*) continue ;; esac
  read -r name rest <<<"$line"
  mode=
  case $rest in @*) read -r mode rest <<<"$rest" ;; esac
  # shellcheck disable=SC2053 # CASES is a glob on purpose
  if [ -n "${CASES:-}" ]; then [[ $name == $CASES ]] || continue; fi
  if ! eval "args=($rest)" 2>/dev/null; then
    echo "FAIL $name: cannot parse line $lineno of $cases_file"
    fail=$((fail + 1))
    continue
  fi
  : >"$tmp/diffs"
  why=()

  run go "${GO[@]}"
  run np "${NP[@]}"
  go_rc=$(<"$tmp/go.rc") np_rc=$(<"$tmp/np.rc")

  if [ "$np_rc" -ge 124 ]; then
    # timeout(1) gives 124, a signal 128+N: never acceptable, error case or not
    why+=("crashed, timed out or did not start (status $np_rc)")
  elif [[ $name == err_* ]]; then
    if [ "$go_rc" = 0 ]; then
      why+=("reference exited 0 on an error case")
    else
      [ "$np_rc" = 0 ] && why+=("exit status 0, expected failure")
      same "$tmp/go.err" "$tmp/np.err" stderr || why+=("stderr differs")
    fi
  else
    if [ "$go_rc" != 0 ]; then
      why+=("reference failed (status $go_rc: $(head -c 200 "$tmp/go.err" | tr '\n' ' '))")
    elif [ "$np_rc" != 0 ]; then
      why+=("exit status $np_rc: $(head -c 200 "$tmp/np.err" | tr '\n' ' ')")
    fi
  fi
  same "$tmp/go.out" "$tmp/np.out" stdout || why+=("stdout differs")

  case $mode in
    '') ;;
    @output)
      if [ ! -f "$tmp/go.file" ]; then
        why+=("reference wrote no output file")
      elif [ ! -f "$tmp/np.file" ]; then
        why+=("no output file written")
      else
        same "$tmp/go.file" "$tmp/np.file" "output file" || why+=("output file differs")
      fi
      ;;
    @proto)
      if [ ! -s "$tmp/go.file" ]; then
        why+=("reference wrote no profile")
      elif [ ! -s "$tmp/np.file" ]; then
        why+=("no profile written")
      else
        "${GO[@]}" -raw "$tmp/go.file" >"$tmp/go.raw" 2>/dev/null </dev/null
        if ! "${GO[@]}" -raw "$tmp/np.file" >"$tmp/gonp.raw" 2>"$tmp/gonp.err" </dev/null; then
          why+=("go tool pprof cannot read the profile written: $(head -c 200 "$tmp/gonp.err" | tr '\n' ' ')")
        else
          same "$tmp/go.raw" "$tmp/gonp.raw" "go -raw of written profile" ||
            why+=("written profile differs (go -raw)")
        fi
        "${NP[@]}" -raw "$tmp/np.file" >"$tmp/npnp.raw" 2>/dev/null </dev/null
        same "$tmp/go.raw" "$tmp/npnp.raw" "nprof -raw of written profile" ||
          why+=("written profile differs (nprof -raw)")
      fi
      ;;
    *) why+=("unknown mode $mode on line $lineno") ;;
  esac

  if [ "${REPEAT:-0}" -gt 0 ]; then
    cp "$tmp/go.out" "$tmp/go.first"
    for ((i = 0; i < REPEAT; i++)); do
      run go "${GO[@]}"
      if ! cmp -s "$tmp/go.first" "$tmp/go.out"; then
        echo "NONDET $name"
        break
      fi
    done
    cp "$tmp/go.first" "$tmp/go.out"
  fi

  if [ -n "${KEEP:-}" ]; then
    for t in go np; do
      for x in out err rc; do cp "$tmp/$t.$x" "$KEEP/$name.$t.$x"; done
      [ -f "$tmp/$t.file" ] && cp "$tmp/$t.file" "$KEEP/$name.$t.file"
    done
  fi

  if [ ${#why[@]} -eq 0 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    msg=${why[0]}
    for w in "${why[@]:1}"; do msg+="; $w"; done
    echo "FAIL $name: $msg"
    [ "${VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$tmp/diffs"
  fi
done <"$cases_file"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
