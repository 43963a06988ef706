// Package dump writes runtime/pprof profiles into files, the same bytes
// net/http/pprof would serve for /debug/pprof/NAME?debug=N.
package dump

import (
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// Profile writes the named profile (heap, allocs, goroutine, mutex, block,
// threadcreate) to dir/file with the given debug level: 0 is gzipped
// profile.proto, 1 the legacy text form, 2 (goroutine only) the full dump.
// Any failure ends the program: a generator that cannot write is useless.
func Profile(dir, file, name string, debug int) {
	p := pprof.Lookup(name)
	if p == nil {
		log.Fatalf("no profile %q", name)
	}
	f, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		log.Fatal(err)
	}
	if err := p.WriteTo(f, debug); err != nil {
		log.Fatalf("%s: %v", file, err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
