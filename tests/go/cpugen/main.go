// cpugen burns CPU in several named phases, each labelled with pprof.Do, on
// two worker goroutines, and writes a CPU profile (cpu.pb.gz) to -o.
//
// The phases are chosen so the profile has deep stacks (recursion), inlined
// helpers (mix, rotl, isVowel), library code (sha256, sort, json, flate,
// regexp) and several source lines per function.
package main

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

var sink uint64

// rotl and mix are small enough to be inlined into their callers.
func rotl(x uint64, k uint) uint64 { return x<<k | x>>(64-k) }

func mix(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return rotl(h, 31)
}

// hashBlocks hashes a buffer with a hand-written mixer and with SHA-256.
func hashBlocks(buf []byte, rounds int) {
	var h uint64
	for r := 0; r < rounds; r++ {
		for i := 0; i+8 <= len(buf); i += 8 {
			v := uint64(buf[i]) | uint64(buf[i+1])<<8 | uint64(buf[i+2])<<16 |
				uint64(buf[i+3])<<24 | uint64(buf[i+4])<<32 | uint64(buf[i+5])<<40 |
				uint64(buf[i+6])<<48 | uint64(buf[i+7])<<56
			for k := uint64(0); k < 4; k++ { // most of the loop's time in the inlined mixer
				h = mix(h, v+k)
			}
		}
		// A prefix only: hashing the whole buffer left the inlined mixer so few CPU samples
		// that some profiles had none.
		sum := sha256.Sum256(buf[:len(buf)/8])
		h = mix(h, uint64(sum[0]))
	}
	sink += h
}

// sortRecords sorts with the library and with a hand-written insertion sort.
func sortRecords(n int, seed uint64) {
	xs := make([]int, n)
	for i := range xs {
		seed = mix(seed, uint64(i))
		xs[i] = int(seed % 100000)
	}
	sort.Ints(xs)
	insertionSort(xs[:n/8])
	sink += uint64(xs[n/2])
}

func insertionSort(xs []int) {
	for i := len(xs) - 1; i >= 0; i-- { // reverse first so the sort has work
		j := len(xs) - 1 - i
		if j > i {
			xs[i], xs[j] = xs[j], xs[i]
		}
	}
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j-1] > xs[j]; j-- {
			xs[j-1], xs[j] = xs[j], xs[j-1]
		}
	}
}

type order struct {
	ID       int               `json:"id"`
	Customer string            `json:"customer"`
	Items    []string          `json:"items"`
	Total    float64           `json:"total"`
	Meta     map[string]string `json:"meta"`
}

// encodeOrders round-trips a batch of orders through encoding/json.
func encodeOrders(n int) {
	orders := make([]order, n)
	for i := range orders {
		orders[i] = order{ID: i, Customer: "customer-" + strconv.Itoa(i),
			Items: []string{"apple", "pear", "plum"}, Total: float64(i) * 1.25,
			Meta: map[string]string{"region": "eu", "tier": strconv.Itoa(i % 3)}}
	}
	data, err := json.Marshal(orders)
	if err != nil {
		log.Fatal(err)
	}
	var back []order
	if err := json.Unmarshal(data, &back); err != nil {
		log.Fatal(err)
	}
	sink += uint64(len(back))
}

// compressText deflates generated text.
func compressText(text []byte) {
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	w.Write(text)
	w.Close()
	sink += uint64(out.Len())
}

var logLine = regexp.MustCompile(`^(\d+)-(\w+) level=(info|warn|error) msg="([^"]*)"$`)

// matchLines runs a regular expression over log lines.
func matchLines(lines []string) {
	for _, l := range lines {
		if m := logLine.FindStringSubmatch(l); m != nil {
			sink += uint64(len(m[4]))
		}
	}
}

// fib is deliberately recursive, for deep stacks.
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

// buildReport builds strings and counts vowels with an inlined predicate.
func buildReport(n int) {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(i))
		b.WriteString(" of the quarterly report\n")
	}
	s := b.String()
	vowels := 0
	for i := 0; i < len(s); i++ {
		if isVowel(s[i]) {
			vowels++
		}
	}
	sink += uint64(vowels)
}

type phase struct {
	name string
	run  func()
}

func phases() []phase {
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog 0123456789\n", 400))
	var lines []string
	for i := 0; i < 400; i++ {
		lines = append(lines, strconv.Itoa(i)+"-worker level=warn msg=\"disk "+strconv.Itoa(i)+" slow\"")
	}
	return []phase{
		{"hash", func() { hashBlocks(text, 20) }},
		{"sort", func() { sortRecords(20000, 7) }},
		{"json", func() { encodeOrders(300) }},
		{"compress", func() { compressText(text) }},
		{"regexp", func() { matchLines(lines) }},
		{"fib", func() { sink += uint64(fib(22)) }},
		{"report", func() { buildReport(3000) }},
	}
}

// worker runs every phase in turn, each under its own labels, until deadline.
func worker(id int, deadline time.Time, wg *sync.WaitGroup) {
	defer wg.Done()
	ps := phases()
	ctx := context.Background()
	for time.Now().Before(deadline) {
		for _, p := range ps {
			labels := pprof.Labels("phase", p.name, "worker", strconv.Itoa(id))
			pprof.Do(ctx, labels, func(context.Context) {
				for end := time.Now().Add(15 * time.Millisecond); time.Now().Before(end); {
					p.run()
				}
			})
		}
	}
}

func main() {
	outDir := flag.String("o", ".", "output directory")
	seconds := flag.Float64("seconds", 3, "how long to profile")
	workers := flag.Int("workers", 2, "worker goroutines")
	flag.Parse()
	debug.SetGCPercent(400) // fewer collections: the profile is about the phases

	f, err := os.Create(filepath.Join(*outDir, "cpu.pb.gz"))
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for i := 1; i <= *workers; i++ {
		wg.Add(1)
		go worker(i, deadline, &wg)
	}
	wg.Wait()
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
