#!/bin/bash
# static.sh -- build/nprof-static (make static) alone in an empty root directory, run with chroot:
# text reports of profiles copied beside it and a profile fetched over http:// from a collector
# outside, each byte for byte build/nprof's for the same arguments; the one-line refusals of
# https and pictures; ldd, file and size; then every case of tests/diff-cases.txt against
# build/nprof. Without root, chroot runs in a user namespace (unshare -r); failing that, the
# chroot checks are skipped with a "skip" line.
#   usage: tests/static.sh [build/nprof]
source "$(dirname "${BASH_SOURCE[0]}")/collect-common.sh" "$(dirname "${1:-build/nprof}")"
static=$build/nprof-static
profiles=$build/profiles
skipped=0
skip() { skipped=$((skipped + 1)); echo "skip $1"; }

section "make static"
if ! make -s -C "$repo" BUILD="$build" static >"$tmp/make.log" 2>&1 || [ ! -x "$static" ]; then
  bad "make static builds $static" "$(tail -n 5 "$tmp/make.log" | tr '\n' ' ')"
  finish
  exit 1
fi
ok "make static builds $static"
check "file says statically linked" grep -q "statically linked" <<<"$(file -b "$static")"
check "ldd says not a dynamic executable" grep -q "not a dynamic executable" <<<"$(ldd "$static" 2>&1)"
size=$(stat -c %s "$static")
check "size $size bytes < 5 MB" test "$size" -lt 5000000

section "the root: nprof-static alone, profiles, sources"
root=$tmp/root
mkdir -p "$root/p" "$root/src" "$root/pp"
cp "$static" "$root/nprof-static"
for f in heap.pb.gz cpu.pb.gz leak-a.pb.gz leak-b.pb.gz heap.txt goroutine.txt; do
  cp "$profiles/$f" "$root/p/" || bad "copy $profiles/$f (run tests/go/make-profiles.sh)"
done
cp -r "$repo/tests/go/cpugen" "$repo/tests/go/leaky" "$root/src/"
export TZ=UTC
# in_root ARGS... -- nprof-static inside the root, with nothing of this machine's environment.
if [ "$(id -u)" = 0 ]; then
  chroot_cmd=("$(command -v chroot)")
else
  chroot_cmd=("$(command -v unshare)" -r "$(command -v chroot)")
fi
in_root() { env -i TZ=UTC HOME=/ PPROF_TMPDIR=/pp "${chroot_cmd[@]}" "$root" /nprof-static "$@" <"${stdin:-/dev/null}"; }
# dynamic ARGS... -- build/nprof on the same arguments, from the root's folder (paths relative
# to it name the same files inside and outside).
dynamic() { (cd "$root" && PPROF_TMPDIR=$tmp/pprof "$nprof" "$@" <"${stdin:-/dev/null}"); }
can_chroot=1
in_root -h >/dev/null 2>&1 || can_chroot=0
[ $can_chroot = 1 ] && ok "nprof-static runs in a root holding nothing else" ||
  skip "chroot: neither root nor a user namespace may chroot here"

# same_as_dynamic NAME ARGS... -- stdout and exit status of both byte for byte, and not empty.
same_as_dynamic() {
  local name=$1; shift
  in_root "$@" >"$tmp/s.out" 2>"$tmp/s.err"; local src=$?
  dynamic "$@" >"$tmp/d.out" 2>"$tmp/d.err"; local drc=$?
  if [ $src != $drc ]; then
    bad "$name" "exit $src, build/nprof's $drc: $(head -c 200 "$tmp/s.err")"
  elif [ ! -s "$tmp/d.out" ]; then
    bad "$name" "no output: $(head -c 200 "$tmp/d.err")"
  elif ! cmp -s "$tmp/s.out" "$tmp/d.out"; then
    bad "$name" "stdout differs: $(diff "$tmp/d.out" "$tmp/s.out" | head -n 6 | tr '\n' ' ')"
  else
    ok "$name ($(wc -l <"$tmp/s.out") lines, build/nprof's bytes)"
  fi
}

if [ $can_chroot = 1 ]; then
  section "reports of files, in the chroot"
  same_as_dynamic "-top" -top p/heap.pb.gz
  same_as_dynamic "-traces" -traces p/cpu.pb.gz
  same_as_dynamic "-diff_base" -top -diff_base=p/leak-a.pb.gz p/leak-b.pb.gz
  same_as_dynamic "-diff_base -traces" -traces -diff_base=p/leak-a.pb.gz p/leak-b.pb.gz
  same_as_dynamic "-list with -source_path" -list 'main\.buildReport' -trim_path="$repo/tests/go" \
    -source_path=src p/cpu.pb.gz
  check "-list shows the source lines" grep -q "func buildReport(n int)" "$tmp/s.out"
  same_as_dynamic "-peek" -peek 'main\.' p/heap.pb.gz
  same_as_dynamic "legacy heap text" -top p/heap.txt
  same_as_dynamic "goroutine text" -traces p/goroutine.txt
  printf 'top 3\npeek loadRecords\nsample_index=alloc_space\ntop 2\nquit\n' >"$tmp/shell.in"
  stdin=$tmp/shell.in same_as_dynamic "the shell, piped" p/heap.pb.gz

  section "what nprof-static cannot carry, in one line"
  in_root -svg p/heap.pb.gz >"$tmp/svg.out" 2>"$tmp/svg.err"; rc=$?
  check "-svg fails (exit $rc) with one line, no output" \
    test $rc != 0 -a ! -s "$tmp/svg.out" -a "$(wc -l <"$tmp/svg.err")" = 1
  check "-svg's line names Graphviz and the dynamic nprof" \
    grep -qx 'nprof: svg pictures need Graphviz, which nprof-static does not carry; use the dynamic nprof for pictures' "$tmp/svg.err"
  in_root -png p/heap.pb.gz >/dev/null 2>"$tmp/png.err"; rc=$?
  check "-png fails the same way" test $rc != 0 -a "$(grep -c '^nprof: png pictures need Graphviz' "$tmp/png.err")" = 1
fi

section "http:// from a collector outside the root"
serve_preloaded leaky "$build/examples/leaky-server" 0 || bad "leaky-server did not start" "$(show "$tmp/leaky.err")"
wait_for 100 grep -q listening "$tmp/leaky.out"
app=http://$(sed -n 's/.*listening on \(.*\)/\1/p' "$tmp/leaky.out")
for _ in 1 2 3; do curl -sf "$app/leaky-endpoint" >/dev/null || bad "GET $app/leaky-endpoint"; done
url=http://$addr/debug/pprof/heap
if [ $can_chroot = 1 ] && [ -n "$addr" ]; then
  in_root -top "$url" >"$tmp/fetch.out" 2>"$tmp/fetch.err"; rc=$?
  saved=$(ls "$root"/pp/pprof.*.pb.gz 2>/dev/null | head -n 1)
  if [ $rc != 0 ] || [ -z "$saved" ]; then
    bad "fetch $url in the chroot" "exit $rc: $(head -c 300 "$tmp/fetch.err")"
  else
    ok "fetch $url in the chroot, saved as ${saved#"$root"}"
    dynamic -top "$saved" >"$tmp/fetch.dyn" 2>/dev/null
    check "its -top is build/nprof's of the same profile" cmp -s "$tmp/fetch.out" "$tmp/fetch.dyn"
    check "its -top shows the leak" grep -q leaky_handler "$tmp/fetch.out"
    # The server's heap holds still between the two fetches: the same bytes, Time aside.
    dynamic -top "$url" >"$tmp/fetch.dyn2" 2>/dev/null
    check "build/nprof fetching the same URL prints the same bytes (Time: aside)" \
      cmp -s <(grep -v '^Time:' "$tmp/fetch.out") <(grep -v '^Time:' "$tmp/fetch.dyn2")
  fi
  same_as_dynamic "fetched -traces" -traces "$url"
  in_root -seconds 1 -top "http://$addr/debug/pprof/profile" >"$tmp/cpu.out" 2>"$tmp/cpu.err"
  check "-seconds 1 asks for a second (Please wait... (1s))" grep -q 'Please wait... (1s)' "$tmp/cpu.err"
  check "-seconds 1: Type: cpu" grep -q '^Type: cpu' "$tmp/cpu.out"
  # Errors are go tool pprof's, as the dynamic nprof words them.
  for bad_url in "http://$addr/debug/pprof/nothere" "http://127.0.0.1:1/debug/pprof/heap"; do
    in_root -top "$bad_url" >/dev/null 2>"$tmp/e.s"; src=$?
    dynamic -top "$bad_url" >/dev/null 2>"$tmp/e.d"; drc=$?
    check "$bad_url: the same error (exit $src)" test $src = $drc -a $src != 0 -a -s "$tmp/e.s"
    check "$bad_url: the same stderr" cmp -s "$tmp/e.s" "$tmp/e.d"
  done
  in_root -top "https://$addr/debug/pprof/heap" >"$tmp/https.out" 2>"$tmp/https.err"; rc=$?
  check "https:// fails (exit $rc)" test $rc != 0 -a ! -s "$tmp/https.out"
  check "https:// says so in one line" test "$(grep -c 'https needs the dynamic nprof (libcurl); nprof-static fetches http:// only' "$tmp/https.err")" = 1
fi

section "-http in the chroot: every view without Graphviz, the Graph drawn by nprof's own layout"
if [ $can_chroot = 1 ]; then
  timeout 60 env -i TZ=UTC HOME=/ "${chroot_cmd[@]}" "$root" /nprof-static -http=127.0.0.1:0 -no_browser \
    p/heap.pb.gz >"$tmp/http.log" 2>&1 &
  wait_for 100 grep -q 'Serving web UI on' "$tmp/http.log"
  ui=$(sed -n 's/.*Serving web UI on \(http:[^ ]*\).*/\1/p' "$tmp/http.log" | head -n 1)
  code() { curl -s -o /dev/null -w '%{http_code}' "$ui/$1"; }
  check "-http serves the Top view (200)" test "$(code ui/top)" = 200
  check "-http serves the flame graph (200)" test "$(code ui/flamegraph)" = 200
  check "-http's Graph view is drawn without Graphviz (200)" test "$(code ui/graph)" = 200
  check "-http's Graph view has the graph's nodes" grep -q 'class="node"' <(curl -s "$ui/ui/graph")
else
  skip "-http in the chroot"
fi

section "HTTP answers of every shape: nprof-static's client against libcurl's (outside the chroot)"
# A server of raw answers: chunked, redirected, cut short, not HTTP, closed at once, an error
# page. Each fetch must print what build/nprof prints, on both streams, with the same status.
cat >"$tmp/answers.py" <<'PY'
import socket, sys, threading
body = open(sys.argv[1], "rb").read()
def head(code, fields):
    return ("HTTP/1.1 %s\r\n" % code + "".join(f + "\r\n" for f in fields) + "\r\n").encode()
def chunked(data, size):
    out = b"".join(b"%x\r\n" % len(data[i:i + size]) + data[i:i + size] + b"\r\n"
                   for i in range(0, len(data), size))
    return out + b"0\r\n\r\n"
answers = {
    "/chunked": head("200 OK", ["Transfer-Encoding: chunked"]) + chunked(body, 777),
    "/length": head("200 OK", ["Content-Length: %d" % len(body)]) + body,
    "/redirect": head("302 Found", ["Location: /chunked", "Content-Length: 0"]),
    "/relative": head("301 Moved Permanently", ["Location: length", "Content-Length: 0"]),
    "/short": head("200 OK", ["Content-Length: %d" % (len(body) + 100)]) + body,
    "/garbage": b"HELLO THERE\r\n\r\n",
    "/closed": b"",
    "/error": head("404 Not Found", ["X-Go-Pprof: 1", "Content-Type: text/plain"]) + b"no such profile",
    "/interim": head("100 Continue", []) + head("200 OK", ["Content-Length: %d" % len(body)]) + body,
}
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
print(srv.getsockname()[1], flush=True)
def serve(c):
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            break
        req += d
    path = req.split(b" ")[1].decode() if req.count(b" ") >= 2 else "/"
    c.sendall(answers.get(path, head("404 Not Found", ["Content-Length: 0"])))
    c.close()
for _ in range(200):
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,)).start()
PY
timeout 120 python3 "$tmp/answers.py" "$profiles/heap.pb.gz" >"$tmp/answers.port" 2>"$tmp/answers.err" &
wait_for 50 test -s "$tmp/answers.port"
aport=$(head -n 1 "$tmp/answers.port")
for path in chunked length redirect relative short garbage closed error interim; do
  u=http://127.0.0.1:$aport/$path
  (cd "$tmp" && PPROF_TMPDIR=$tmp/pp-s "$static" -top "$u" >s.out 2>s.err); src=$?
  (cd "$tmp" && PPROF_TMPDIR=$tmp/pp-d "$nprof" -top "$u" >d.out 2>d.err); drc=$?
  sed -i 's|/pp-[sd]/|/pp-X/|' "$tmp/s.err" "$tmp/d.err"
  if [ $src = $drc ] && cmp -s "$tmp/s.out" "$tmp/d.out" && cmp -s "$tmp/s.err" "$tmp/d.err"; then
    ok "/$path: exit $src, stdout and stderr as build/nprof's ($(grep -v "^Saved\|^failed to fetch" "$tmp/s.err" | tail -n 1 | sed "s/.*: //" | head -c 60))"
  else
    bad "/$path" "exit $src vs $drc: $(diff "$tmp/d.err" "$tmp/s.err" | head -n 4 | tr '\n' ' ')"
  fi
done

section "the shell on a terminal, in the chroot"
# tty_session NAME KEYS... -- nprof-static's shell in tmux inside the root (TERM=xterm), each
# KEYS argument sent and answered in turn; the screen is left in $tmp/NAME.txt.
tty_session() {
  local name=$1 sock=$tmp/tmux.sock; shift
  tmux -S "$sock" new-session -d -x 120 -y 40 \
    "env -i TERM=xterm TZ=UTC HOME=/ ${chroot_cmd[*]} $root/ /nprof-static p/heap.pb.gz"
  wait_for 50 grep -q '(pprof)' <(tmux -S "$sock" capture-pane -p)
  for keys in "$@"; do
    local before; before=$(tmux -S "$sock" capture-pane -p | grep -c '(pprof)')
    tmux -S "$sock" send-keys $keys
    wait_for 50 test "$(tmux -S "$sock" capture-pane -p | grep -c '(pprof)')" -gt "$before"
  done
  tmux -S "$sock" capture-pane -p >"$tmp/$name.txt"
  tmux -S "$sock" send-keys "quit" Enter
  tmux -S "$sock" kill-server 2>/dev/null
}
if [ $can_chroot = 1 ] && command -v tmux >/dev/null; then
  # No terminfo in the root: the shell reads lines itself, and libedit says nothing.
  tty_session bare "top 2 Enter"
  check "top 2 typed at the prompt" grep -q 'Showing top 2 nodes' "$tmp/bare.txt"
  check "no termcap warning without terminfo" \
    test "$(grep -ci 'termcap\|dumb terminal' "$tmp/bare.txt")" = 0
  check "the prompt stands at the start of each line" test "$(grep -c '^(pprof)' "$tmp/bare.txt")" = 2
  # With xterm's description in the root, libedit edits the line: the up arrow recalls top 2.
  entry=$(find /etc/terminfo /lib/terminfo /usr/share/terminfo -path '*/x/xterm' 2>/dev/null | head -n 1)
  if [ -n "$entry" ]; then
    mkdir -p "$root/etc/terminfo/x"
    cp "$entry" "$root/etc/terminfo/x/xterm"
    tty_session edit "top 2 Enter" "Up Enter"
    rm -r "$root/etc"
    check "with terminfo, libedit's history: the up arrow runs top 2 again" \
      test "$(grep -c 'Showing top 2 nodes' "$tmp/edit.txt")" = 2
    check "with terminfo, no termcap warning either" \
      test "$(grep -ci 'termcap\|dumb terminal' "$tmp/edit.txt")" = 0
  else
    skip "libedit with terminfo (no xterm entry on this machine)"
  fi
else
  skip "the shell on a terminal (needs the chroot and tmux)"
fi

section "every case of tests/diff-cases.txt: nprof-static against build/nprof"
GO_PPROF=$nprof "$repo/tests/diff-pprof.sh" "$static" "$profiles" >"$tmp/cases.log" 2>&1
read -r cp cf <<<"$(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$tmp/cases.log" | tail -n 1)"
if [ "${cf:-1}" = 0 ] && [ "${cp:-0}" -gt 0 ]; then
  ok "$cp cases: nprof-static's stdout is build/nprof's"
else
  bad "diff cases against build/nprof" "$(grep FAIL "$tmp/cases.log" | head -n 5 | tr '\n' ' ')"
fi

[ $skipped -gt 0 ] && echo "($skipped skipped)"
finish
