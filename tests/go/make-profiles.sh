#!/bin/bash
# make-profiles.sh OUTDIR -- build the Go generators in tests/go and run them
# to make real profiles of every kind in OUTDIR, plus a few bad inputs.
#
# Output (see each generator's header comment for its workload):
#   heapgen     heap.pb.gz heap.txt allocs.pb.gz allocs.txt
#   cpugen      cpu.pb.gz (about 3 s of labelled work)
#   goroutines  goroutine.pb.gz goroutine.txt goroutine-debug2.txt
#               threadcreate.pb.gz threadcreate.txt
#   contention  mutex.pb.gz mutex.txt block.pb.gz block.txt
#   leaky       leak-a.pb.gz leak-b.pb.gz (heap before/after a leak) index.html
#   (here)      heap.pb (heap.pb.gz uncompressed), empty.pb.gz, garbage.bin,
#               garbage.gz (gzipped text), truncated.pb.gz (half of heap.pb.gz)
#
# Nothing outside the repository is needed besides the go command: the build
# cache and GOPATH live under build/go/, modules are off the network
# (GOPROXY=off; the generators use the standard library only).
#
# Regeneration is skipped when OUTDIR already holds every file and was made
# from the same sources, script and Go version (OUTDIR/.stamp). FORCE=1
# regenerates anyway.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

gobuild=$repo/build/go
export GO111MODULE=on GOFLAGS=-buildvcs=false GOPROXY=off GOSUMDB=off
export GOCACHE=$gobuild/cache GOPATH=$gobuild/path GOENV=off GOTOOLCHAIN=local

files=(heap.pb.gz heap.txt allocs.pb.gz allocs.txt cpu.pb.gz
  goroutine.pb.gz goroutine.txt goroutine-debug2.txt threadcreate.pb.gz threadcreate.txt
  mutex.pb.gz mutex.txt block.pb.gz block.txt leak-a.pb.gz leak-b.pb.gz index.html
  heap.pb empty.pb.gz garbage.bin garbage.gz truncated.pb.gz)

stamp=$( (cd "$here" && find . -name '*.go' -o -name go.mod | LC_ALL=C sort | xargs sha256sum
          sha256sum "$here/make-profiles.sh" | cut -d' ' -f1
          go version) | sha256sum | cut -d' ' -f1)

if [ -z "${FORCE:-}" ] && [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  ok=1
  for f in "${files[@]}"; do [ -e "$out/$f" ] || ok=0; done
  if [ $ok = 1 ]; then
    echo "profiles in $out are up to date"
    exit 0
  fi
fi

start=$(date +%s%N)
rm -f "$out/.stamp"
(cd "$here" && go build -o "$gobuild/bin/" ./...)

gen=$(mktemp -d "$out/.gen.XXXXXX")
trap 'rm -rf "$gen"' EXIT
bin=$gobuild/bin
"$bin/heapgen" -o "$gen"
"$bin/goroutines" -o "$gen"
"$bin/contention" -o "$gen"
"$bin/leaky" -o "$gen"
"$bin/cpugen" -o "$gen" -seconds 3

# Inputs that are not (or not quite) profiles, for the error cases.
gzip -dc "$gen/heap.pb.gz" >"$gen/heap.pb"
: >"$gen/empty.pb.gz"
printf 'this is not a profile\n\001\002\003\377\376 binary junk \000\000\n' >"$gen/garbage.bin"
printf 'plain text, gzipped, still not a profile\n' | gzip -9n >"$gen/garbage.gz"
size=$(stat -c %s "$gen/heap.pb.gz")
head -c $((size / 2)) "$gen/heap.pb.gz" >"$gen/truncated.pb.gz"

for f in "${files[@]}"; do
  [ -s "$gen/$f" ] || [ "$f" = empty.pb.gz ] || { echo "make-profiles: $f was not made" >&2; exit 1; }
  mv -f "$gen/$f" "$out/$f"
done
echo "$stamp" >"$out/.stamp"
ms=$((($(date +%s%N) - start) / 1000000))
printf 'made %d profiles in %s (%d.%03d s)\n' "${#files[@]}" "$out" $((ms / 1000)) $((ms % 1000))
