#!/bin/bash
# symcost.sh -- what symbolization costs inside the profiled process: python3 (libpython is a
# large binary) runs a mixed workload with libnprof preloaded at NPROF_HEAP_RATE=4096; the heap
# endpoint is scraped twice. Each scrape maps and indexes every binary on the stacks and lets
# them go afterwards (the host keeps no symbol tables between scrapes). Reported: time per
# scrape, locations in the profile, and the process's RSS before and after. Markdown output.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$repo/build}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
LD_PRELOAD=$build/libnprof.so NPROF_HEAP_RATE=4096 NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE=$tmp/port \
  python3 -c '
import json, re, collections, time, sqlite3
data = [{"id": i, "name": "x" * (i % 50), "tags": list(range(i % 20))} for i in range(20000)]
s = json.dumps(data); json.loads(s)
c = collections.Counter(re.findall(r"\w+", s))
db = sqlite3.connect(":memory:"); db.execute("create table t(a, b)")
db.executemany("insert into t values (?, ?)", ((i, str(i)) for i in range(20000)))
print("ready", flush=True)
time.sleep(60)
' >"$tmp/out" 2>/dev/null &
pid=$!
for _ in $(seq 300); do grep -q ready "$tmp/out" 2>/dev/null && [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://$(head -n1 "$tmp/port")/debug/pprof/heap
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
r0=$(rss)
t1=$(curl -s -o "$tmp/1.pb.gz" -w '%{time_total}' "$url")
r1=$(rss)
t2=$(curl -s -o "$tmp/2.pb.gz" -w '%{time_total}' "$url")
r2=$(rss)
locs=$("$build/nprof" -raw "$tmp/2.pb.gz" 2>/dev/null | awk '/^Locations/ {f = 1; next} /^Mappings/ {f = 0} f && /^ *[0-9]+: /' | wc -l)
maps=$("$build/nprof" -raw "$tmp/2.pb.gz" 2>/dev/null | awk '/^Mappings/ {f = 1; next} f' | wc -l)
echo "| scrape | time | process RSS after |"
echo "|---|---|---|"
echo "| before any scrape | | $r0 kB |"
echo "| first | ${t1} s | $r1 kB |"
echo "| second | ${t2} s | $r2 kB |"
echo
echo "Profile: $locs locations in $maps mappings. Memory the process keeps after scraping: $((r2 - r0)) kB."
