#!/bin/sh
# Entry point of `make bench`: every benchmark in bench/, each printing a Markdown section for
# docs/PERFORMANCE.md. A copy of the output is kept in bench/out/results.md.
# BENCH=analyzer or BENCH=overhead runs one of them.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
{
    if [ "${BENCH:-all}" != overhead ]; then
        echo "## Analyzer: nprof vs go tool pprof"
        echo
        bench/analyzer.sh
        echo
    fi
    if [ "${BENCH:-all}" != analyzer ]; then
        echo "## Collector overhead"
        echo
        bench/overhead.sh
    fi
} >bench/out/results.md.tmp
mv bench/out/results.md.tmp bench/out/results.md
cat bench/out/results.md
