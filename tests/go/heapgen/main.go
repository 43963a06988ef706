// heapgen allocates memory in several named functions, keeps some of it and
// drops the rest, then writes the heap and allocs profiles, each as gzipped
// profile.proto and as the debug=1 text form:
//
//	heap.pb.gz heap.txt allocs.pb.gz allocs.txt
//
// The sampling rate is lowered from Go's 512 KiB (flag -rate) so that even
// small allocation sites show up.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"nproftest/internal/dump"
)

// Record is what the "cache" keeps alive.
type Record struct {
	ID      int
	Name    string
	Payload []byte
	Tags    map[string]string
}

var (
	cache   = map[string]*Record{}
	index   = map[string][]int{}
	history [][]byte
	sink    int
)

// newBuffer is small enough to be inlined: its allocation is attributed to an
// inlined frame inside each caller.
func newBuffer(n int) []byte { return make([]byte, n) }

// loadRecords fills the cache; everything it allocates stays in use.
func loadRecords(n, size int) {
	for i := 0; i < n; i++ {
		r := &Record{ID: i, Name: "record-" + strconv.Itoa(i)}
		r.Payload = newBuffer(size)
		r.Tags = map[string]string{"kind": "user", "shard": strconv.Itoa(i % 8)}
		cache[r.Name] = r
	}
}

// buildIndex grows a map of slices, which stays in use.
func buildIndex(n int) {
	for i := 0; i < n; i++ {
		k := "term" + strconv.Itoa(i%500)
		index[k] = append(index[k], i)
	}
}

// parseConfig decodes JSON documents and drops them: allocated, not in use.
func parseConfig(n int) {
	doc := []byte(`{"name":"svc","port":8080,"tags":["a","b","c"],"limits":{"cpu":2,"mem":1024}}`)
	for i := 0; i < n; i++ {
		var m map[string]interface{}
		if err := json.Unmarshal(doc, &m); err != nil {
			panic(err)
		}
		sink += len(m)
	}
}

// renderPage formats text and drops it.
func renderPage(n int) {
	for i := 0; i < n; i++ {
		var b strings.Builder
		for j := 0; j < 20; j++ {
			fmt.Fprintf(&b, "<li>item %d of page %d</li>\n", j, i)
		}
		sink += len(b.String())
	}
}

// appendHistory keeps large buffers: a slow leak.
func appendHistory(n, size int) {
	for i := 0; i < n; i++ {
		buf := newBuffer(size)
		buf[0] = byte(i)
		history = append(history, buf)
	}
}

// scratch allocates temporary buffers of mixed sizes and drops them.
func scratch(n int) {
	for i := 0; i < n; i++ {
		b := newBuffer(1024 << uint(i%6))
		sink += len(b)
	}
}

func main() {
	outDir := flag.String("o", ".", "output directory")
	rate := flag.Int("rate", 16*1024, "runtime.MemProfileRate")
	flag.Parse()
	runtime.MemProfileRate = *rate

	loadRecords(2000, 2048)
	buildIndex(50000)
	parseConfig(3000)
	renderPage(500)
	appendHistory(40, 256*1024)
	scratch(4000)

	runtime.GC()
	runtime.GC()
	dump.Profile(*outDir, "heap.pb.gz", "heap", 0)
	dump.Profile(*outDir, "heap.txt", "heap", 1)
	dump.Profile(*outDir, "allocs.pb.gz", "allocs", 0)
	dump.Profile(*outDir, "allocs.txt", "allocs", 1)
	runtime.KeepAlive(cache)
	runtime.KeepAlive(index)
	runtime.KeepAlive(history)
}
