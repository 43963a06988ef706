// Command gen writes a synthetic but realistically shaped profile.proto (gzip-compressed) for
// the analyzer benchmarks: a server-like call graph of a few thousand functions spread over
// packages and files, a few mappings (the binary and shared libraries), inlined frames, tens of
// thousands of distinct stacks of depth 10-40 with shared prefixes, and labels on some samples.
//
// It has no dependencies beyond the Go standard library: the protobuf wire encoding is written
// by hand below. Output is deterministic for given flags.
//
// Usage: gen -stacks N [-type heap|cpu] [-seed S] -out FILE
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strings"
)

// ---- protobuf wire writer ----

type pbuf struct{ b []byte }

func (p *pbuf) varint(v uint64) {
	for v >= 0x80 {
		p.b = append(p.b, byte(v)|0x80)
		v >>= 7
	}
	p.b = append(p.b, byte(v))
}

func (p *pbuf) tag(num, wire int) { p.varint(uint64(num)<<3 | uint64(wire)) }

// uint writes a varint field, omitted when zero as proto3 does.
func (p *pbuf) uint(num int, v uint64) {
	if v != 0 {
		p.tag(num, 0)
		p.varint(v)
	}
}

func (p *pbuf) int(num int, v int64) { p.uint(num, uint64(v)) }

func (p *pbuf) bool(num int, v bool) {
	if v {
		p.uint(num, 1)
	}
}

func (p *pbuf) bytes(num int, b []byte) {
	p.tag(num, 2)
	p.varint(uint64(len(b)))
	p.b = append(p.b, b...)
}

func (p *pbuf) packed(num int, vs []uint64) {
	if len(vs) == 0 {
		return
	}
	var inner pbuf
	for _, v := range vs {
		inner.varint(v)
	}
	p.bytes(num, inner.b)
}

// msg writes a length-delimited submessage built by fill.
func (p *pbuf) msg(num int, fill func(*pbuf)) {
	var inner pbuf
	fill(&inner)
	p.bytes(num, inner.b)
}

// ---- string table ----

type strtab struct {
	list []string
	idx  map[string]uint64
}

func newStrtab() *strtab {
	t := &strtab{idx: map[string]uint64{}}
	t.id("")
	return t
}

func (t *strtab) id(s string) uint64 {
	if i, ok := t.idx[s]; ok {
		return i
	}
	i := uint64(len(t.list))
	t.list = append(t.list, s)
	t.idx[s] = i
	return i
}

// ---- synthetic program model ----

type function struct {
	id       uint64
	name     string
	file     string
	start    int64
	mapping  int   // index into mappings
	callees  []int // functions this one calls (call graph edges)
	inlinees []int // small helpers inlined into this function
}

type mapping struct {
	id            uint64
	start, limit  uint64
	file, buildID string
}

// A location is one call site (or leaf PC) in a function, possibly with an inlined frame.
type location struct {
	id      uint64
	mapping int
	address uint64
	fn      int
	line    int64
	inlined int // function index of an inlined callee at this site, or -1
	inLine  int64
}

var (
	nouns   = []string{"conn", "frame", "buffer", "request", "response", "session", "cache", "index", "shard", "table", "record", "batch", "queue", "stream", "codec", "header", "token", "route", "tenant", "snapshot", "segment", "block", "page", "cursor", "txn", "lease", "peer", "metric"}
	verbs   = []string{"read", "write", "parse", "encode", "decode", "flush", "lookup", "insert", "merge", "split", "compact", "serve", "handle", "dispatch", "apply", "validate", "resolve", "commit", "scan", "fetch", "grow", "copy", "hash", "sort"}
	pkgs    = []string{"net", "http", "rpc", "storage", "wal", "index", "query", "planner", "exec", "cache", "auth", "metrics", "codec", "raft", "sched", "pool", "compress", "tls", "log", "config"}
	routes  = []string{"/api/v1/users", "/api/v1/orders", "/api/v1/search", "/api/v2/batch", "/internal/replicate", "/healthz", "/api/v1/upload", "/api/v1/export"}
	tenants = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
)

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func main() {
	stacks := flag.Int("stacks", 50000, "number of distinct stacks (samples)")
	kind := flag.String("type", "heap", "profile type: heap or cpu")
	seed := flag.Int64("seed", 1, "random seed")
	out := flag.String("out", "", "output file (.pb.gz)")
	flag.Parse()
	if *out == "" || *stacks <= 0 || (*kind != "heap" && *kind != "cpu") {
		flag.Usage()
		os.Exit(2)
	}
	rng := rand.New(rand.NewSource(*seed))

	maps := []mapping{
		{id: 1, start: 0x400000, limit: 0x400000 + 64<<20, file: "/usr/local/bin/acme-server", buildID: "6f1c2b9e0d4a8e3f5b7c9d1e2f3a4b5c6d7e8f90"},
		{id: 2, start: 0x7f3a10000000, limit: 0x7f3a10000000 + 2<<20, file: "/usr/lib/x86_64-linux-gnu/libc.so.6", buildID: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"},
		{id: 3, start: 0x7f3a12000000, limit: 0x7f3a12000000 + 4<<20, file: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", buildID: "0f1e2d3c4b5a69788796a5b4c3d2e1f001234567"},
		{id: 4, start: 0x7f3a14000000, limit: 0x7f3a14000000 + 1<<20, file: "/usr/lib/x86_64-linux-gnu/libz.so.1", buildID: "1234567890abcdef1234567890abcdef12345678"},
	}

	// Functions: scale with the number of stacks so bigger profiles also have more symbols.
	nfunc := 2000 + *stacks/20
	funcs := make([]function, 0, nfunc+64)
	seen := map[string]bool{}
	addFunc := func(name, file string, m int) int {
		funcs = append(funcs, function{id: uint64(len(funcs) + 1), name: name, file: file, start: int64(10 + rng.Intn(900)), mapping: m})
		seen[name] = true
		return len(funcs) - 1
	}
	// Roots and leaves that every server profile has.
	root := addFunc("main.main", "/src/acme/cmd/acme-server/main.go", 0)
	workerRoots := []int{
		addFunc("acme/sched.(*Pool).worker", "/src/acme/sched/pool.go", 0),
		addFunc("acme/net.(*Server).serveConn", "/src/acme/net/server.go", 0),
		addFunc("acme/raft.(*Node).run", "/src/acme/raft/node.go", 0),
		addFunc("acme/wal.(*Log).syncLoop", "/src/acme/wal/log.go", 0),
	}
	// Library leaves: allocators (heap stacks end in one of these) and others (CPU stacks).
	var allocLeaves, cpuLeaves []int
	for _, n := range []string{"malloc", "calloc", "realloc"} {
		allocLeaves = append(allocLeaves, addFunc(n, "", 1))
	}
	for _, n := range []string{"operator new(unsigned long)", "std::vector<char, std::allocator<char> >::_M_realloc_insert", "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_mutate", "std::_Hashtable<unsigned long, std::pair<unsigned long const, void*> >::_M_rehash"} {
		allocLeaves = append(allocLeaves, addFunc(n, "", 2))
	}
	for _, n := range []string{"memcpy", "__memmove_avx_unaligned_erms", "pthread_mutex_lock", "read", "write", "epoll_wait"} {
		cpuLeaves = append(cpuLeaves, addFunc(n, "", 1))
	}
	for _, n := range []string{"deflate", "inflate", "crc32_z"} {
		cpuLeaves = append(cpuLeaves, addFunc(n, "", 3))
	}
	for len(funcs) < nfunc {
		pkg := pkgs[rng.Intn(len(pkgs))]
		sub := fmt.Sprintf("%s%d", pkg, rng.Intn(12))
		typ := title(nouns[rng.Intn(len(nouns))]) + title(nouns[rng.Intn(len(nouns))])
		meth := title(verbs[rng.Intn(len(verbs))]) + title(nouns[rng.Intn(len(nouns))])
		var name string
		switch rng.Intn(3) {
		case 0:
			name = fmt.Sprintf("acme/%s/%s.(*%s).%s", pkg, sub, typ, meth)
		case 1:
			name = fmt.Sprintf("acme/%s/%s.%s%s", pkg, sub, strings.ToLower(meth[:1]), meth[1:])
		default:
			name = fmt.Sprintf("acme/%s/%s.%s.%s.func%d", pkg, sub, typ, meth, 1+rng.Intn(3))
		}
		if seen[name] {
			continue
		}
		file := fmt.Sprintf("/src/acme/%s/%s/%s.go", pkg, sub, strings.ToLower(typ))
		addFunc(name, file, 0)
	}
	// Call graph: each program function calls a handful of others (biased towards "later"
	// functions so walks go deeper rather than loop), and a few have inlined helpers.
	first := len(workerRoots) + 1 + len(allocLeaves) + len(cpuLeaves)
	for i := range funcs {
		if funcs[i].mapping != 0 {
			continue
		}
		n := 2 + rng.Intn(6)
		for j := 0; j < n; j++ {
			c := first + rng.Intn(len(funcs)-first)
			funcs[i].callees = append(funcs[i].callees, c)
		}
		if rng.Intn(4) == 0 {
			funcs[i].inlinees = append(funcs[i].inlinees, first+rng.Intn(len(funcs)-first))
		}
	}

	// Locations are created on demand, one per (function, call-site slot).
	var locs []location
	type siteKey struct{ fn, slot int }
	sites := map[siteKey]int{}
	nextAddr := make([]uint64, len(maps))
	for i, m := range maps {
		nextAddr[i] = m.start + 0x1000
	}
	site := func(fn, slot int) int {
		k := siteKey{fn, slot}
		if i, ok := sites[k]; ok {
			return i
		}
		f := &funcs[fn]
		l := location{id: uint64(len(locs) + 1), mapping: f.mapping, fn: fn, inlined: -1}
		l.address = nextAddr[f.mapping]
		nextAddr[f.mapping] += uint64(4 + rng.Intn(60))
		if f.mapping == 0 {
			l.line = f.start + int64(1+slot*3+rng.Intn(3))
			if len(f.inlinees) > 0 && slot%2 == 0 {
				l.inlined = f.inlinees[0]
				l.inLine = funcs[l.inlined].start + int64(1+rng.Intn(8))
			}
		}
		locs = append(locs, l)
		sites[k] = len(locs) - 1
		return len(locs) - 1
	}

	// Stacks: random walks down the call graph from a root, ending in a library leaf for
	// most heap stacks (malloc and friends) or in program code. Only distinct stacks are kept.
	type sample struct {
		locs   []uint64
		values []int64
		labels [][3]string // key, string value, or "" with numeric in [2] as "num:unit"
	}
	samples := make([]sample, 0, *stacks)
	var cpuTotal int64 // CPU profiles: the duration is set so that about 4 cores were busy
	distinct := map[string]bool{}
	var key strings.Builder
	for len(samples) < *stacks {
		depth := 10 + rng.Intn(31)
		frames := make([]int, 0, depth) // root first
		frames = append(frames, site(root, 0))
		cur := workerRoots[rng.Intn(len(workerRoots))]
		frames = append(frames, site(cur, rng.Intn(3)))
		for len(frames) < depth-1 {
			cs := funcs[cur].callees
			if len(cs) == 0 {
				break
			}
			// Skewed towards the first callee, so hot paths are shared by many stacks.
			slot := 0
			if rng.Intn(3) != 0 {
				slot = rng.Intn(len(cs))
			}
			cur = cs[slot]
			frames = append(frames, site(cur, slot%4))
		}
		if *kind == "heap" {
			frames = append(frames, site(allocLeaves[rng.Intn(len(allocLeaves))], 0))
		} else if rng.Intn(3) == 0 {
			frames = append(frames, site(cpuLeaves[rng.Intn(len(cpuLeaves))], 0))
		}
		key.Reset()
		ids := make([]uint64, len(frames))
		for i := range frames { // leaf first in the proto
			ids[i] = locs[frames[len(frames)-1-i]].id
			fmt.Fprintf(&key, "%d,", ids[i])
		}
		if distinct[key.String()] {
			continue
		}
		distinct[key.String()] = true
		s := sample{locs: ids}
		if *kind == "heap" {
			// Mostly small objects, a few large buffers; counts are sampled (scaled) values.
			size := int64(16 << uint(rng.Intn(7)))
			if rng.Intn(20) == 0 {
				size = int64(4096 << uint(rng.Intn(6)))
			}
			allocObj := int64(1 + rng.Intn(1+rng.Intn(400)))
			inuseObj := allocObj * int64(rng.Intn(101)) / 100
			s.values = []int64{allocObj, allocObj * size, inuseObj, inuseObj * size}
		} else {
			n := int64(1 + rng.Intn(1+rng.Intn(20)))
			s.values = []int64{n, n * 10000000}
			cpuTotal += n * 10000000
		}
		if rng.Intn(5) == 0 {
			s.labels = append(s.labels, [3]string{"handler", routes[rng.Intn(len(routes))], ""})
			if rng.Intn(2) == 0 {
				s.labels = append(s.labels, [3]string{"tenant", tenants[rng.Intn(len(tenants))], ""})
			}
			if *kind == "heap" {
				s.labels = append(s.labels, [3]string{"bytes", "", fmt.Sprint(s.values[1] / s.values[0])})
			}
		}
		samples = append(samples, s)
	}

	// Encode. String table indices are assigned as fields are written, so the table goes last
	// (any field order is valid in proto3).
	st := newStrtab()
	var p pbuf
	vt := func(num int, typ, unit string) {
		p.msg(num, func(q *pbuf) { q.uint(1, st.id(typ)); q.uint(2, st.id(unit)) })
	}
	if *kind == "heap" {
		vt(1, "alloc_objects", "count")
		vt(1, "alloc_space", "bytes")
		vt(1, "inuse_objects", "count")
		vt(1, "inuse_space", "bytes")
	} else {
		vt(1, "samples", "count")
		vt(1, "cpu", "nanoseconds")
	}
	vals := make([]uint64, 4)
	for _, s := range samples {
		p.msg(2, func(q *pbuf) {
			q.packed(1, s.locs)
			vals = vals[:0]
			for _, v := range s.values {
				vals = append(vals, uint64(v))
			}
			q.packed(2, vals)
			for _, l := range s.labels {
				q.msg(3, func(r *pbuf) {
					r.uint(1, st.id(l[0]))
					if l[1] != "" {
						r.uint(2, st.id(l[1]))
					} else {
						var n int64
						fmt.Sscan(l[2], &n)
						r.int(3, n)
						r.uint(4, st.id("bytes"))
					}
				})
			}
		})
	}
	for _, m := range maps {
		p.msg(3, func(q *pbuf) {
			q.uint(1, m.id)
			q.uint(2, m.start)
			q.uint(3, m.limit)
			q.uint(5, st.id(m.file))
			q.uint(6, st.id(m.buildID))
			q.bool(7, true)
			q.bool(8, true)
			q.bool(9, true)
			q.bool(10, true)
		})
	}
	for _, l := range locs {
		p.msg(4, func(q *pbuf) {
			q.uint(1, l.id)
			q.uint(2, maps[l.mapping].id)
			q.uint(3, l.address)
			if l.inlined >= 0 { // innermost (inlined callee) first
				q.msg(4, func(r *pbuf) { r.uint(1, funcs[l.inlined].id); r.int(2, l.inLine) })
			}
			q.msg(4, func(r *pbuf) { r.uint(1, funcs[l.fn].id); r.int(2, l.line) })
		})
	}
	for _, f := range funcs {
		p.msg(5, func(q *pbuf) {
			q.uint(1, f.id)
			q.uint(2, st.id(f.name))
			q.uint(3, st.id(f.name))
			q.uint(4, st.id(f.file))
			q.int(5, f.start)
		})
	}
	// Top-level scalars, then the string table.
	p.int(9, 1700000000000000000) // time_nanos
	if *kind == "heap" {
		p.int(10, 30*1000000000) // duration_nanos
	} else {
		p.int(10, cpuTotal/4)
	}
	if *kind == "heap" {
		vt(11, "space", "bytes")
		p.int(12, 512*1024)
	} else {
		vt(11, "cpu", "nanoseconds")
		p.int(12, 10000000)
	}
	p.packed(13, []uint64{st.id("synthetic profile from bench/gen")})
	for _, s := range st.list {
		p.bytes(6, []byte(s))
	}

	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	z := gzip.NewWriter(w)
	if _, err := z.Write(p.b); err == nil {
		err = z.Close()
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d samples, %d locations, %d functions, %d bytes uncompressed\n",
		*out, len(samples), len(locs), len(funcs), len(p.b))
}
