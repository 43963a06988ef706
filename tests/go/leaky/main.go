// leaky imitates a server with a memory leak: every request stores a session
// buffer in a global map that is never cleaned up, next to garbage that is
// freed. It takes a heap snapshot after a first batch of requests
// (leak-a.pb.gz), serves more, and takes another (leak-b.pb.gz), the way a
// user would with curl .../debug/pprof/heap. Heap sampling stays at Go's
// default of 512 KiB. It also saves the /debug/pprof/ index page as
// index.html, a file that is not a profile.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"nproftest/internal/dump"
)

type session struct {
	user  string
	state []byte
}

var (
	mu       sync.Mutex
	sessions = map[int]*session{}
	served   int
)

// storeSession keeps per-request state forever: the leak.
func storeSession(id int, user string) {
	s := &session{user: user, state: make([]byte, 64<<10)}
	mu.Lock()
	sessions[id] = s
	mu.Unlock()
}

// renderResponse allocates a response that is garbage once sent.
func renderResponse(id int) string {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "row %d of request %d\n", i, id)
	}
	return b.String()
}

// handleRequest is what the "server" runs for each request.
func handleRequest(id int) int {
	storeSession(id, fmt.Sprintf("user-%d", id%97))
	body := renderResponse(id)
	return len(body)
}

func serve(n int) {
	for i := 0; i < n; i++ {
		served++
		handleRequest(served)
	}
}

func snapshot(dir, file string) {
	runtime.GC()
	dump.Profile(dir, file, "heap", 0)
}

func saveIndex(dir string) {
	rec := httptest.NewRecorder()
	pprof.Index(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	if err := os.WriteFile(filepath.Join(dir, "index.html"), rec.Body.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func main() {
	outDir := flag.String("o", ".", "output directory")
	first := flag.Int("first", 300, "requests before the first snapshot")
	more := flag.Int("more", 500, "requests before the second snapshot")
	flag.Parse()

	serve(*first)
	snapshot(*outDir, "leak-a.pb.gz")
	serve(*more)
	snapshot(*outDir, "leak-b.pb.gz")
	saveIndex(*outDir)
}
