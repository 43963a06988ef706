#!/bin/bash
# shell-cases.sh [NPROF] -- the interactive shell and the -list report, compared with go tool pprof.
#
# Each case runs `go tool pprof` and NPROF (default build/nprof) with the same arguments and the
# same commands piped on stdin, each in a fresh working directory that links the oracle's
# profiles/ and programs/ (../shared/testdata/go beside the repository, or $TESTDATA; without
# it, the project's own profiles from build/profiles or $PROFILES and its tests/go programs)
# plus a few generated source files. Standard output, standard error, the exit status and the names of
# the files the run created must all be the same; files with a .txt name must have the same
# content too (report redirection). A case whose input is "-" gets an empty stdin.
#
# Synthetic cases (a profile whose functions point at source files with CRLF line ends, a line
# longer than Go's scanner accepts, a directory, a file shorter than the sampled lines, no file
# at all) need the google/pprof Go package to write the profile; they are skipped without it.
#
# Prints "FAIL NAME: reason" per failure and ends with "N passed, M failed"; exit status 0 iff
# nothing failed. VERBOSE=1 shows diffs; CASES='glob' selects cases by name.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
np=${1:-$repo/build/nprof}
case $np in /*) ;; *) np=$PWD/$np ;; esac
data=${TESTDATA:-$repo/../shared/testdata/go}
own=${PROFILES:-$repo/build/profiles}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell-cases.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
# Without the oracle's folder (a fresh clone), the same layout is made from the profiles the
# project makes itself (tests/go/make-profiles.sh) and the Go programs that wrote them: both
# tools read the same files, so each case compares them as well.
if [ ! -d "$data/profiles" ] && [ -f "$own/leak-b.pb.gz" ]; then
  data=$tmp/data
  mkdir -p "$data/profiles/leaky" "$data/profiles/cpuwork" "$data/profiles/contention" \
    "$data/profiles/goleak" "$data/profiles/allocs"
  cp "$own/leak-b.pb.gz" "$data/profiles/leaky/heap.pb.gz"
  cp "$own/leak-a.pb.gz" "$data/profiles/leaky/heap-base.pb.gz"
  cp "$own/leak-b.pb.gz" "$data/profiles/leaky/heap-current.pb.gz"
  cp "$own/cpu.pb.gz" "$data/profiles/cpuwork/cpu.pb.gz"
  cp "$own/mutex.pb.gz" "$own/block.pb.gz" "$data/profiles/contention/"
  cp "$own/goroutine.pb.gz" "$data/profiles/goleak/goroutine.pb.gz"
  cp "$own/allocs.pb.gz" "$data/profiles/allocs/allocs.pb.gz"
  cp -r "$repo/tests/go" "$data/programs"
fi
if ! command -v go >/dev/null || [ ! -d "$data/profiles" ] || [ ! -x "$np" ]; then
  echo "shell-cases: needs go, and $data/profiles or $own (tests/go/make-profiles.sh), and $np" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
data=$(cd "$data" && pwd)
export TZ=UTC PPROF_BINARY_PATH=/nonexistent-pprof-binaries LC_ALL=C
unset DISPLAY BROWSER

# ---- generated sources and the synthetic profile ----
gen=$tmp/gen
mkdir -p "$gen/adir"
printf 'l1\r\nfunc crlf() {\r\n\tx := 1\r\n\ty := 2\r\n\tz := 3\r\n\tw := 4\r\n' >"$gen/crlf.go"
{ echo line1; head -c 70000 /dev/zero | tr '\0' x; printf '\nline3\n'; } >"$gen/long.go"
printf 'a\nb\nc' >"$gen/short.go"
for i in $(seq 1 39); do echo "ns$i"; done >"$gen/nostart.go"
synth=no
gopath=${PPROF_GOPATH:-/usr/share/gocode}
if [ -d "$gopath/src/github.com/google/pprof/profile" ]; then
  mkdir -p "$tmp/writer"
  cat >"$tmp/writer/main.go" <<'EOF'
package main

import (
	"os"

	"github.com/google/pprof/profile"
)

func main() {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     1000,
	}
	m := &profile.Mapping{ID: 1, Start: 0x1000, Limit: 0x100000, File: "/bin/fake", HasFunctions: true}
	p.Mapping = []*profile.Mapping{m}
	fns := []struct {
		name, file string
		start      int64
		lines      []int64
	}{
		{"pkg.crlf", "crlf.go", 2, []int64{4, 6}},
		{"pkg.dir", "adir", 1, []int64{3}},
		{"pkg.long", "long.go", 1, []int64{2, 5}},
		{"pkg.short", "short.go", 0, []int64{50}},
		{"pkg.nostart", "nostart.go", 0, []int64{3, 20, 9}},
		{"pkg.nofile", "", 0, []int64{7}},
		{"pkg.cwd", "/proc/self/cwd/./nostart.go", 0, []int64{12}},
		{"pkg.two", "nostart.go", 0, []int64{30}},
		{"pkg.two", "short.go", 0, []int64{2}},
		{"pkg.two", "/build/gen/crlf.go", 0, []int64{1}},
	}
	var id uint64
	for i, f := range fns {
		fn := &profile.Function{ID: uint64(i + 1), Name: f.name, SystemName: f.name, Filename: f.file, StartLine: f.start}
		p.Function = append(p.Function, fn)
		for j, ln := range f.lines {
			id++
			loc := &profile.Location{ID: id, Mapping: m, Address: 0x1000 + id*16, Line: []profile.Line{{Function: fn, Line: ln}}}
			p.Location = append(p.Location, loc)
			v := int64(i + j + 1)
			p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{loc}, Value: []int64{v, v * 1000000}})
		}
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := p.Write(f); err != nil {
		panic(err)
	}
	f.Close()
}
EOF
  if (cd "$tmp/writer" && GOPATH=$gopath GO111MODULE=off GOFLAGS= go run main.go "$gen/synth.pb.gz") >/dev/null 2>&1; then
    synth=yes
  fi
fi

# ---- cases: NAME<TAB>STDIN (printf format, "-" for none)<TAB>ARGS (shell words) ----
cases=$(cat <<'EOF'
brief_session	top5\nsample_index=alloc_space\ntop -cum\nlist main.leakyHandler\no\nhelp\nquit\n	-source_path=programs profiles/leaky/heap.pb.gz
settings_errors	cum\nlines\nlines=true\nnodecount 5\nmean\nfoo\nlist\nsample_index=9\nsample_index=bogus\nsample_index=1\nnodecount=abc\nnodecount\ntrim=maybe\nfocus=main //: comment\no\n:\nnodefraction=x\ndivide_by=\nsort=x\ngranularity=x\nsort cum\nlines 5\nnodecount5\n	profiles/leaky/heap.pb.gz
help_topics	help top\nhelp lines\nhelp compact_labels\nhelp sample_index\nhelp sort\nhelp list\nhelp foo\nhelp web\nhelp weblist\nhelp disasm\nhelp peek\nhelp tags\nhelp proto\nhelp granularity\nhelp cum\nhelp files\nhelp output\nhelp o\nhelp top extra\nhelp nodefraction\nhelp trim_path\nhelp\n	profiles/cpuwork/cpu.pb.gz
block_shortcuts	top3 -cum\ntotal_delay\nmean_delay\ntop3\ncontentions\ntop3 >x.txt\nproto\ntopproto\ntags\ntags phase -foo\n	profiles/contention/block.pb.gz
cpu_reports	peek main\ntraces\ntree 3\ntags\nraw\ncomments\ndot\ntop 5 http -runtime\ntop -cum 3\n>\ntop >\ntop > out.txt\n	profiles/cpuwork/cpu.pb.gz
option_changes	granularity=lines\ntop3\nlines=true\nfiles=1\ntop3\nsort=cum\nunit=kb\ntop3\noutput=o.txt\ntop2\noutput=\ncall_tree\ncall_tree=no\nhide=runtime\nshow_from=main\ntop4\n   \n\n  top2  \nq\ntop\n	profiles/cpuwork/cpu.pb.gz
no_final_newline	top2	profiles/goleak/goroutine.pb.gz
zero_total	o\ntop\n	-base=profiles/leaky/heap.pb.gz profiles/leaky/heap.pb.gz
index_parsing	sample_index=3000000000\nsample_index=+1\ntop2\nsample_index=a\\tb\nsample_index=in\\x01use\nsample_index=-0\ntop2\n	profiles/leaky/heap.pb.gz
flags_in_options	o\ntop\nmean_alloc_space\ntop\ntotal_alloc_objects\no\n:\no\n	-nodecount=7 -lines -focus=main -hide=x -tagfocus=bytes=1kb: -trim_path=/x -source_path=programs -divide_by=2.5 -nodefraction=1e-7 profiles/leaky/heap.pb.gz
failed_source_dev_null	-	-base=profiles/leaky/heap-base.pb.gz profiles/leaky/heap-current.pb.gz -top
list_paths_session	list leaky\nsource_path=programs\nlist leaky\ntrim_path=/src/programs\nlist leaky\nsource_path=\nlist leaky\nlist nomatch\nlist Unlock\n	profiles/leaky/heap.pb.gz
list_runtime_session	source_path=/usr/lib/go-1.19/src\ntrim_path=/usr/lib/go-1.19/src\nlist mallocgc\nlist Mutex\n	profiles/contention/mutex.pb.gz
list_main_allocs	-	-list 'main\.' -source_path=programs profiles/allocs/allocs.pb.gz
list_main_cpu_nosrc	-	-list 'main\.' profiles/cpuwork/cpu.pb.gz
list_trim_src	-	-list 'main\.' -trim_path=/src -source_path=. profiles/goleak/goroutine.pb.gz
list_multi_search	-	-list . -source_path=gen:programs:/usr/lib/go-1.19 profiles/contention/block.pb.gz
list_goroot_trim	-	-list sync -trim_path=/usr/lib/go-1.19/src -source_path=/usr/lib/go-1.19/src profiles/contention/mutex.pb.gz
list_mean_divide	-	-list json -mean -divide_by=3 -unit=ms profiles/cpuwork/cpu.pb.gz
list_noinlines	-	-list Unlock -noinlines -source_path=/ profiles/contention/mutex.pb.gz
list_diff_base	-	-list . -diff_base=profiles/leaky/heap-base.pb.gz -source_path=programs profiles/leaky/heap.pb.gz
synth_list_all	-	-list . gen/synth.pb.gz
synth_list_src	-	-list . -source_path=gen -trim_path=/build gen/synth.pb.gz
synth_list_two	-	-list two -source_path=gen gen/synth.pb.gz
synth_list_lines	-	-list . -lines -trim_path=/proc/self -source_path=gen gen/synth.pb.gz
EOF
)

run() { # DIR TOOL... (stdin from $tmp/in)
  local dir=$1; shift
  (cd "$dir" && eval "args=($argline)" && "$@" "${args[@]}" <"$tmp/in" >"$dir.out" 2>"$dir.err"; echo $? >"$dir.rc")
}

pass=0 fail=0
while IFS=$'\t' read -r name input argline; do
  [ -z "$name" ] && continue
  if [ -n "${CASES:-}" ]; then [[ $name == $CASES ]] || continue; fi
  if [[ $name == synth_* ]] && [ $synth != yes ]; then
    continue
  fi
  if [ "$input" = "-" ]; then : >"$tmp/in"; else printf "$input" >"$tmp/in"; fi
  # Both tools run in the same directory (its path shows in "could not find file" errors).
  for side in go np; do
    rm -rf "$tmp/work" "$tmp/$side" "$tmp/$side".*
    mkdir -p "$tmp/work"
    ln -s "$data/profiles" "$tmp/work/profiles"
    ln -s "$data/programs" "$tmp/work/programs"
    ln -s "$gen" "$tmp/work/gen"
    if [ $side = go ]; then run "$tmp/work" go tool pprof; else run "$tmp/work" "$np"; fi
    for x in out err rc; do mv "$tmp/work.$x" "$tmp/$side.$x"; done
    mv "$tmp/work" "$tmp/$side"
  done
  why=()
  cmp -s "$tmp/go.out" "$tmp/np.out" || why+=("stdout differs")
  cmp -s "$tmp/go.err" "$tmp/np.err" || why+=("stderr differs")
  cmp -s "$tmp/go.rc" "$tmp/np.rc" || why+=("exit status $(<"$tmp/np.rc"), expected $(<"$tmp/go.rc")")
  gofiles=$(cd "$tmp/go" && ls | sort)
  npfiles=$(cd "$tmp/np" && ls | sort)
  [ "$gofiles" = "$npfiles" ] || why+=("created files differ")
  for f in "$tmp"/go/*.txt; do
    [ -f "$f" ] || continue
    cmp -s "$f" "$tmp/np/${f##*/}" || why+=("${f##*/} differs")
  done
  if [ ${#why[@]} -eq 0 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    msg="${why[0]}"; for w in "${why[@]:1}"; do msg+="; $w"; done
    echo "FAIL $name: $msg"
    if [ "${VERBOSE:-0}" = 1 ]; then
      diff -u "$tmp/go.out" "$tmp/np.out" | head -30
      diff -u "$tmp/go.err" "$tmp/np.err" | head -20
      [ "$gofiles" = "$npfiles" ] || diff <(echo "$gofiles") <(echo "$npfiles")
    fi
  fi
done <<<"$cases"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
