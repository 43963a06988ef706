#!/bin/bash
# collect-locks.sh [BUILD] -- the mutex and block profiles end to end: lock-contention's
# contended call site dominates both, and their totals match the waiting time the program
# measures itself; rwlocks and condition variables are recorded; results that are not plain
# success (EOWNERDEAD, ETIMEDOUT, EDEADLK, EPERM) and errno pass through unchanged; both
# profiles are off by default; go tool pprof and nprof read debug=0 and debug=1 of both, and
# ?seconds=N deltas; the mutex profile counts one contention per wait, as many as the block
# profile's; fork while locks are contended and profiled. Ends "N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "${1:-}"
use_private_copies
example=$build/examples/lock-contention
lockcheck=$bins/lockcheck
[ -x "$example" ] || { echo "missing $example (make all)"; echo "0 passed, 1 failed"; exit 1; }
on=(NPROF_MUTEX_FRACTION=1 NPROF_BLOCK_RATE=1)

# raw_total FILE-OR-URL: contentions and delay summed over the samples, as go tool pprof reads them.
raw_total() {
  go tool pprof -raw "$1" 2>/dev/null |
    awk '/^Samples:/ {s = 1; getline; next} /^Locations/ {s = 0} s && $2 ~ /:$/ {c += $1; d += $2} END {printf "%.0f %.0f\n", c, d}'
}
# share FILE FUNC: the share (percent) of the delay whose stacks pass through FUNC (cum%), from
# a go tool pprof -top report.
share() { awk -v f="$2" '$6 == f {sub(/%/, "", $5); print $5 + 0; exit}' "$1"; }
within() {  # within ACTUAL WANT PERCENT
  awk -v a="$1" -v w="$2" -v p="$3" 'BEGIN { d = a - w; if (d < 0) d = -d; exit !(w > 0 && d <= w * p / 100) }'
}
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

section "results and errno pass through"
"$lockcheck" results >"$tmp/plain.txt" 2>&1
LD_PRELOAD=$lib "$lockcheck" results >"$tmp/off.txt" 2>&1
env "${on[@]}" LD_PRELOAD="$lib" "$lockcheck" results >"$tmp/on.txt" 2>&1
check "lockcheck results, profiles off: as without libnprof" cmp -s "$tmp/plain.txt" "$tmp/off.txt"
check "lockcheck results, profiles on: as without libnprof" cmp -s "$tmp/plain.txt" "$tmp/on.txt"
diff "$tmp/plain.txt" "$tmp/on.txt" | head -n 5 | sed 's/^/     | /'
for want in "robust owner died .*rc=$(python3 -c 'import errno; print(errno.EOWNERDEAD)')" \
  "mutex timedlock .*rc=$(python3 -c 'import errno; print(errno.ETIMEDOUT)')" \
  "rwlock timedwrlock .*rc=$(python3 -c 'import errno; print(errno.ETIMEDOUT)')" \
  "errorcheck relock .*rc=$(python3 -c 'import errno; print(errno.EDEADLK)')" \
  "cond timedwait .*rc=$(python3 -c 'import errno; print(errno.ETIMEDOUT)')"; do
  check "profiled: ${want%% .*} ${want##*rc=}" grep -q "^$want .*errno kept" "$tmp/on.txt"
done
check "errno kept by every call" bash -c "! grep -q CHANGED '$tmp/on.txt'"

section "lock-contention with both profiles on"
if serve_preloaded lc "${on[@]}" "$example" 4 1500 60 && wait_for 600 grep -q waited_ns "$tmp/lc.out"; then
  waited=$(awk '/waited_ns/ {print $2}' "$tmp/lc.out")
  base=http://$addr/debug/pprof
  for kind in mutex block; do
    curl -sf "$base/$kind" -o "$tmp/$kind.pb.gz"
    curl -sf "$base/$kind?debug=1" -o "$tmp/$kind.txt"
    read -r count delay < <(raw_total "$tmp/$kind.pb.gz")
    check "$kind: total delay $delay ns within 20% of the $waited ns the program waited" within "$delay" "$waited" 20
    go tool pprof -top "$tmp/$kind.pb.gz" >"$tmp/$kind.top" 2>&1
    s=$(share "$tmp/$kind.top" update_shared)
    check "$kind: the contended call site update_shared has ${s:-0}% of the delay (>= 80%)" at_least "${s:-0}" 80
    check "$kind: sample types contentions/count delay/nanoseconds" \
      bash -c "go tool pprof -raw '$tmp/$kind.pb.gz' 2>/dev/null | grep -q '^PeriodType: contentions count' &&
               go tool pprof -raw '$tmp/$kind.pb.gz' 2>/dev/null | grep -q 'contentions/count delay/nanoseconds'"
    go tool pprof -top "$tmp/$kind.txt" >"$tmp/$kind.txt.top" 2>&1
    read -r tcount tdelay < <(raw_total "$tmp/$kind.txt")
    check "$kind debug=1: go tool pprof reads it, same delay ($tdelay ns)" within "$tdelay" "$delay" 1
    check "$kind debug=1: update_shared on top in go tool pprof" grep -q 'update_shared' "$tmp/$kind.txt.top"
    "$nprof" -top "$tmp/$kind.pb.gz" >"$tmp/$kind.0.nprof" 2>&1
    check "$kind debug=0: nprof reads it, update_shared listed" grep -q update_shared "$tmp/$kind.0.nprof"
    "$nprof" -top "$tmp/$kind.txt" >"$tmp/$kind.1.nprof" 2>&1
    check "$kind debug=1: nprof reads it, the same total as go tool pprof" \
      bash -c "[ -n \"\$(grep '^Showing nodes' '$tmp/$kind.1.nprof')\" ] &&
               [ \"\$(grep '^Showing nodes' '$tmp/$kind.1.nprof')\" = \"\$(grep '^Showing nodes' '$tmp/$kind.txt.top')\" ]"
    eval "${kind}_count=\$count"
  done
  # Go counts one mutex event per waiter it wakes, as many as the block profile's waits: one
  # contention per wait, however often the waiter was woken and beaten to the lock again.
  check "mutex contentions ($mutex_count) one per wait: within 5% of the block profile's ($block_count)" \
    within "$mutex_count" "$block_count" 5
  check "mutex debug=1 header as Go's" bash -c "head -n 3 '$tmp/mutex.txt' | tr '\n' '|' | grep -qx -- '--- mutex:|cycles/second=1000000000|sampling period=1|'"
  check "block debug=1 header as Go's" bash -c "head -n 2 '$tmp/block.txt' | tr '\n' '|' | grep -qx -- '--- contention:|cycles/second=1000000000|'"
  check "index page lists and counts mutex and block" \
    bash -c "curl -sf '$base/' | grep -Eq \"<td>[1-9][0-9]*</td><td><a href='mutex\" &&
             curl -sf '$base/' | grep -Eq \"<td>[1-9][0-9]*</td><td><a href='block\""
  curl -sf "$base/mutex?seconds=1" -o "$tmp/mutex-delta.pb.gz"
  check "mutex?seconds=1: a delta profile go tool pprof reads" \
    bash -c "go tool pprof -raw '$tmp/mutex-delta.pb.gz' 2>/dev/null | grep -q 'contentions/count delay/nanoseconds'"
else
  bad "lock-contention served and finished" "$(show "$tmp/lc.err")"
fi

section "the mutex profile scaled by its fraction"
if serve_preloaded lc10 NPROF_MUTEX_FRACTION=10 "$example" 4 1500 60 && wait_for 600 grep -q waited_ns "$tmp/lc10.out"; then
  waited=$(awk '/waited_ns/ {print $2}' "$tmp/lc10.out")
  read -r count delay < <(raw_total "http://$addr/debug/pprof/mutex")
  check "fraction 10: total delay $delay ns within 35% of the $waited ns waited (1 in 10 kept)" within "$delay" "$waited" 35
  check "block profile off: no records" \
    bash -c "[ \"\$(curl -sf 'http://$addr/debug/pprof/block?debug=1' | grep -c ' @ ')\" -eq 0 ]"
else
  bad "lock-contention (fraction 10) served and finished" "$(show "$tmp/lc10.err")"
fi

section "rwlocks and condition variables"
if serve_preloaded rc "${on[@]}" "$lockcheck" rwcond 60 && wait_for 600 grep -q done "$tmp/rc.out"; then
  go tool pprof -top -nodefraction=0 -nodecount=100 "http://$addr/debug/pprof/block" >"$tmp/rc.block" 2>&1
  go tool pprof -top -nodefraction=0 -nodecount=100 "http://$addr/debug/pprof/mutex" >"$tmp/rc.mutex" 2>&1
  for f in cond_wait_site rw_reader_site rw_writer_site; do
    check "block: $f recorded" grep -q " $f\$" "$tmp/rc.block"
  done
  check "mutex: rwlock unlockers recorded" grep -Eq ' rw_(reader|writer)_site$' "$tmp/rc.mutex"
else
  bad "lockcheck rwcond served and finished" "$(show "$tmp/rc.err")"
fi

section "off by default"
if serve_preloaded off "$example" 4 300 60 && wait_for 600 grep -q waited_ns "$tmp/off.out"; then
  for kind in mutex block; do
    check "$kind: no records with the settings unset" \
      bash -c "[ \"\$(curl -sf 'http://$addr/debug/pprof/$kind?debug=1' | grep -c ' @ ')\" -eq 0 ]"
  done
else
  bad "lock-contention (profiles off) served and finished" "$(show "$tmp/off.err")"
fi

section "fork while locks are contended and profiled"
env "${on[@]}" LD_PRELOAD="$lib" timeout 60 "$lockcheck" fork >"$tmp/fork.out" 2>&1
check "50 forks complete, each child locks the mutex (no deadlock)" grep -qx 'forked 50' "$tmp/fork.out"

finish
