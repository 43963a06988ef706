#!/bin/sh
# Entry point of `make bench`: every benchmark in bench/, each printing a Markdown section for
# docs/PERFORMANCE.md. A copy of the output is kept in bench/out/results.md.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
{
    echo "## Analyzer: nprof vs go tool pprof"
    echo
    bench/analyzer.sh
} >bench/out/results.md.tmp
mv bench/out/results.md.tmp bench/out/results.md
cat bench/out/results.md
