#!/bin/bash
# collect-e2e.sh [BUILD] -- end-to-end checks of libnprof on build/examples/leaky-server: the
# server answering scrapes through a flood of idle and oversized clients, with the host's memory
# bounded; the heap endpoint read by go tool pprof and by nprof, leak sizes, /clear, alloc_space
# history, -diff_base growth, -list, the debug=1 text, cmdline, symbol, errors; the symbols
# libnprof exports. Ends "N passed, M failed".
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
export TZ=UTC PPROF_BINARY_PATH=/nonexistent PPROF_TMPDIR=$(mktemp -d)
tmp=$(mktemp -d)
pass=0 fail=0
server_pid= flood_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$flood_pid" ] && kill "$flood_pid" 2>/dev/null
  rm -rf "$tmp" "$PPROF_TMPDIR"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1${2:+: $2}"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# start the server preloaded, serving /debug/pprof on an ephemeral port
LD_PRELOAD=$build/libnprof.so NPROF_HTTP=127.0.0.1:0 NPROF_HTTP_PORT_FILE=$tmp/port \
  "$build/examples/leaky-server" 0 >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
for _ in $(seq 100); do
  [ -s "$tmp/port" ] && grep -q listening "$tmp/server.out" && break
  sleep 0.1
done
if ! [ -s "$tmp/port" ]; then
  echo "server did not start:"; cat "$tmp/server.err"
  echo "0 passed, 1 failed"; exit 1
fi
pprof_addr=$(head -n1 "$tmp/port")
app_port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.out" | head -n1)
base=http://$pprof_addr/debug/pprof
app=http://127.0.0.1:$app_port

hit() { for _ in $(seq "$1"); do curl -sf "$app/leaky-endpoint" >/dev/null || return 1; done; }

# The flood: N clients that send half a request and wait, a garbage line, a 100 kB request line
# and a 2 MB header, all held open until the script is killed; prints how many it holds.
cat >"$tmp/flood.py" <<'PY'
import resource, socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = n + 64
if soft != resource.RLIM_INFINITY and soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
held = []
def send(data, wait=True):
    s = socket.create_connection((host, port), timeout=5)
    held.append(s)
    try:
        if wait:
            s.sendall(data)
        else:
            s.setblocking(False)
            while data:  # push what the socket takes, never wait for the server
                data = data[s.send(data):]
    except OSError:
        pass
for _ in range(n):
    send(b"GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n")
send(b"\x16\x03\x01 not http at all\r\n\r\n")
send(b"GET /" + b"a" * 100000, wait=False)
send(b"GET / HTTP/1.1\r\nX-Big: " + b"b" * (2 << 20), wait=False)
print(len(held), flush=True)
time.sleep(600)
PY
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

curl -sf "$base/heap" -o /dev/null  # the first scrape symbolizes: its memory is not the flood's
rss_before=$(status_kb "$server_pid" VmRSS)
python3 "$tmp/flood.py" 127.0.0.1 "${pprof_addr##*:}" 500 >"$tmp/flood.out" 2>"$tmp/flood.err" &
flood_pid=$!
for _ in $(seq 300); do [ -s "$tmp/flood.out" ] && break; sleep 0.1; done
held=$(head -n1 "$tmp/flood.out")
check "the flood holds ${held:-no} connections open (500 idle, garbage, 100 kB line, 2 MB header)" \
  test "${held:-0}" -eq 503
scraped=0 slowest=0
for _ in $(seq 20); do
  out=$(curl -s --max-time 1 -o "$tmp/scrape.pb.gz" -w '%{http_code} %{time_total}' "$base/heap")
  [ "${out%% *}" = 200 ] && gzip -t "$tmp/scrape.pb.gz" 2>/dev/null && scraped=$((scraped + 1))
  slowest=$(awk -v a="$slowest" -v b="${out##* }" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
done
rss_during=$(status_kb "$server_pid" VmRSS)
hwm_during=$(status_kb "$server_pid" VmHWM)
fds_during=$(ls "/proc/$server_pid/fd" 2>/dev/null | wc -l)
check "20 scrapes in a row through the flood: $scraped answered with a profile within 1 s (slowest ${slowest}s)" \
  test "$scraped" -eq 20
check "the host is alive through the flood" kill -0 "$server_pid"
# The server's bound: 8 MiB of request buffers, 256 pending connections of a few hundred bytes.
check "host memory bounded: VmRSS ${rss_before} kB before, ${rss_during:-?} kB during (+$((${rss_during:-0} - rss_before)) kB, VmHWM ${hwm_during:-?} kB), $fds_during fds" \
  test $((${rss_during:-999999999} - rss_before)) -lt 16384
kill "$flood_pid" 2>/dev/null; wait "$flood_pid" 2>/dev/null; flood_pid=

# inuse_space of the top entry and its name from a -top report (flat column, first row)
top_row() { awk '/^ *flat  flat%/ {getline; print; exit}' "$1"; }
to_bytes() {  # 95.37MB -> bytes
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[-0-9.]+/, "", u);
    m = (u == "B") ? 1 : (u == "kB") ? 1024 : (u == "MB") ? 1048576 : (u == "GB") ? 1073741824 : 1;
    printf "%.0f\n", n * m }'
}
within() {  # within ACTUAL WANT PERCENT
  awk -v a="$1" -v w="$2" -v p="$3" 'BEGIN { d = a - w; if (d < 0) d = -d; exit !(d <= w * p / 100) }'
}

total=0
for n in 10 50 200 500; do
  hit $((n - total)) || bad "requests to leaky-endpoint"
  total=$n
  want=$((n * 1000000))
  for tool in go nprof; do
    if [ $tool = go ]; then go tool pprof -top "$base/heap" >"$tmp/top" 2>"$tmp/top.err"
    else "$build/nprof" -top "$base/heap" >"$tmp/top" 2>"$tmp/top.err"; fi
    row=$(top_row "$tmp/top")
    name=$(awk '{print $6}' <<<"$row")
    flat=$(to_bytes "$(awk '{print $1}' <<<"$row")")
    check "$tool: N=$n top entry is leaky_handler ($name)" test "$name" = leaky_handler
    check "$tool: N=$n inuse $flat within 10% of $want" within "$flat" "$want" 10
  done
done

curl -sf "$base/heap" -o "$tmp/before-clear.pb.gz"
curl -sf "$app/clear" >/dev/null
curl -sf "$base/heap" -o "$tmp/after-clear.pb.gz"
inuse=$("$build/nprof" -top -unit=B "$tmp/after-clear.pb.gz" | sed -n 's/.* of \([0-9.]*\)B\{0,1\} total/\1/p')
check "after /clear inuse drops near zero (${inuse:-?}B)" test "${inuse:-999999999}" -lt 5000000
allocd=$("$build/nprof" -top -sample_index=alloc_space "$tmp/after-clear.pb.gz" | awk '/^ *flat  flat%/ {getline; print $1, $6; exit}')
check "alloc_space keeps the history ($allocd)" bash -c "[[ '$allocd' == *leaky_handler ]]"

hit 100
curl -sf "$base/heap" -o "$tmp/a.pb.gz"
hit 50
curl -sf "$base/heap" -o "$tmp/b.pb.gz"
row=$(top_row <("$build/nprof" -top -diff_base="$tmp/a.pb.gz" "$tmp/b.pb.gz"))
growth=$(to_bytes "$(awk '{print $1}' <<<"$row")")
check "-diff_base shows the growth of 50 buffers ($growth)" within "$growth" 50000000 10
row=$(top_row <(go tool pprof -top -diff_base="$tmp/a.pb.gz" "$tmp/b.pb.gz" 2>/dev/null))
check "go tool pprof -diff_base agrees ($(awk '{print $1, $6}' <<<"$row"))" \
  within "$(to_bytes "$(awk '{print $1}' <<<"$row")")" 50000000 10

"$build/nprof" -list leaky_handler "$tmp/b.pb.gz" >"$tmp/list" 2>&1
check "-list points at the malloc line" grep -qE '^ +[0-9.]+MB +[0-9.]+MB +[0-9]+: +u\.data = malloc\(LEAK_SIZE\);' "$tmp/list"

curl -sf "$base/heap?debug=1" -o "$tmp/heap.txt"
check "debug=1 is Go's heap text" grep -q '^heap profile: [0-9]*: [0-9]* \[[0-9]*: [0-9]*\] @ heap/1048576$' "$tmp/heap.txt"
go tool pprof -top "$tmp/heap.txt" >"$tmp/top.txt" 2>/dev/null
go tool pprof -top "$tmp/b.pb.gz" >"$tmp/top.pb" 2>/dev/null
check "go tool pprof reads debug=1 with the same top entry" \
  test "$(top_row "$tmp/top.txt" | awk '{print $6}')" = "$(top_row "$tmp/top.pb" | awk '{print $6}')"
# Go's frame lines, "#\t0xPC\tfunc+0xOFF\tfile:line": OFF is PC's distance from the start of the
# function it lies in, never 0 for the call instruction before a return address.
check "debug=1 frames give the offset in their function" awk -F'\t' '
  $1 == "#" && NF >= 4 { n++; if ($3 !~ /\+0x[0-9a-f]+$/ || $3 ~ /\+0x0+$/) bad++ }
  END { exit !(n > 0 && bad == 0) }' "$tmp/heap.txt"
# and the leaf's is the distance from leaky_handler's symbol, loaded where the map says
read -r pc off < <(awk -F'\t' '$1 == "#" && $3 ~ /^leaky_handler\+/ {print $2, substr($3, index($3, "+") + 1); exit}' "$tmp/heap.txt")
load=$(awk '/^MAPPED_LIBRARIES:/ {m = 1; next} m && $NF ~ /\/leaky-server$/ && $3 == "00000000" {print $1; exit}' "$tmp/heap.txt")
load=0x${load%%-*}
readelf -h "$build/examples/leaky-server" | grep -q 'Type: *EXEC' && load=0
sym=0x$(nm "$build/examples/leaky-server" | awk '$3 == "leaky_handler" {print $1; exit}')
check "debug=1 leaky_handler+${off:-?} is its PC minus the symbol's start" \
  bash -c "[ -n '${pc:-}' ] && [ -n '${off:-}' ] && [ \$(($pc - $off)) -eq \$(($load + $sym)) ]"

code=$(curl -s -o "$tmp/nf" -w '%{http_code}' "$base/nosuchprofile")
check "unknown profile: 404 Unknown profile" bash -c "[ $code = 404 ] && grep -qx 'Unknown profile' '$tmp/nf'"
code=$(curl -s -o "$tmp/bad" -w '%{http_code}' "$base/heap?seconds=x")
check "bad seconds: 400" test "$code" = 400
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/heap?seconds=1&debug=1")
check "seconds with debug: 400" test "$code" = 400
curl -sf "$base/heap?seconds=1" -o "$tmp/delta.pb.gz" &
delta_pid=$!
sleep 0.3; hit 5; wait "$delta_pid"
drow=$(top_row <("$build/nprof" -top -sample_index=alloc_space "$tmp/delta.pb.gz"))
check "?seconds=1 delta holds the 5 new buffers ($drow)" within "$(to_bytes "$(awk '{print $1}' <<<"$drow")")" 5000000 40
curl -sD "$tmp/hdr" -o /dev/null "$base/heap"
check "heap content type and disposition" bash -c "grep -qi '^Content-Type: application/octet-stream' '$tmp/hdr' && grep -qi 'filename=\"heap\"' '$tmp/hdr'"
check "cmdline" bash -c "curl -sf '$base/cmdline' | tr '\\0' ' ' | grep -q 'leaky-server 0'"
check "symbol GET" bash -c "curl -sf '$base/symbol' | grep -qx 'num_symbols: 1'"
check "index page lists heap" bash -c "curl -sf '$base/' | grep -q \"href='heap?debug=1'\""

# The library exports exactly its documented surface (tests/libnprof-exports.txt): anything else
# would interpose on the program's own symbols or be taken for an API.
nm -D --defined-only "$build/libnprof.so" | awk '{print $3}' | sort >"$tmp/exports"
check "libnprof exports exactly the documented symbols ($(wc -l <"$tmp/exports") defined)" \
  cmp -s "$tmp/exports" "$repo/tests/libnprof-exports.txt"
diff "$repo/tests/libnprof-exports.txt" "$tmp/exports" | grep '^[<>]' | head -n 5 | sed 's/^/     | /'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
