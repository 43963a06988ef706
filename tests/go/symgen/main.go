// symgen makes address-only profiles to be named from its own binary: the
// legacy text (debug=1) heap, goroutine, mutex, block and threadcreate
// profiles, whose stacks pass through inlined helpers, a generic function,
// closures, methods and net/http, so that naming them exercises inlined frames.
//
//	heap.txt goroutine.txt mutex.txt block.txt threadcreate.txt
package main

import (
	"flag"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"nproftest/internal/dump"
)

var sinkBytes [][]byte
var sinkInts [][]int

// grow is small enough to be inlined into each caller, so the heap profile
// holds allocation sites that are inlined frames.
func grow(n int) []byte { return make([]byte, n) }

// fill is generic: its name in the binary carries "[...]".
func fill[T any](n int, v T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}

type store struct{ rows [][]byte }

func (s *store) add(n int) { s.rows = append(s.rows, grow(n)) }

func allocate() {
	s := &store{}
	for i := 0; i < 200; i++ {
		s.add(1024)
	}
	for i := 0; i < 50; i++ {
		sinkBytes = append(sinkBytes, grow(64<<10))
	}
	for i := 0; i < 30; i++ {
		sinkInts = append(sinkInts, fill(4096, i))
	}
	sinkBytes = append(sinkBytes, s.rows...)
	func() {
		for i := 0; i < 20; i++ {
			sinkBytes = append(sinkBytes, make([]byte, 8<<10))
		}
	}()
}

// Goroutines left blocked in different places for the goroutine profile.
var (
	never   = make(chan int)
	held    sync.Mutex
	cond    = sync.NewCond(&sync.Mutex{})
	stopped sync.WaitGroup
)

func recvForever() { <-never }
func waitLocked()  { held.Lock(); held.Unlock() }
func selectForever() {
	select {
	case <-never:
	case <-time.After(time.Hour):
	}
}
func waitCond()  { cond.L.Lock(); cond.Wait(); cond.L.Unlock() }
func sleepLong() { time.Sleep(time.Hour) }

func park() {
	held.Lock()
	stopped.Add(1)
	for i := 0; i < 5; i++ {
		go recvForever()
	}
	for i := 0; i < 3; i++ {
		go waitLocked()
		go selectForever()
	}
	go waitCond()
	go sleepLong()
	go func() { stopped.Wait() }()
	serve()
	time.Sleep(100 * time.Millisecond)
}

// serve leaves a goroutine waiting in Accept; net/http also makes the binary large enough
// that its addresses read as file offsets would land inside the file.
func serve() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return
	}
	go http.Serve(l, http.NotFoundHandler())
}

// Contention for the mutex and block profiles.
type counter struct {
	mu sync.Mutex
	n  int
}

// inc sleeps while holding the lock so that the other workers wait for it.
func (c *counter) inc() { c.mu.Lock(); c.n++; time.Sleep(20 * time.Microsecond); c.mu.Unlock() }

var sink int

func busy(n int) {
	for i := 0; i < n; i++ {
		sink += i
	}
}

func contend() {
	var c counter
	var wg sync.WaitGroup
	ch := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				c.inc()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			ch <- i
		}
		close(ch)
	}()
	for v := range ch {
		busy(v * 100)
	}
	wg.Wait()
}

func main() {
	out := flag.String("o", ".", "output directory")
	flag.Parse()
	runtime.MemProfileRate = 512
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	allocate()
	contend()
	park()
	runtime.GC()
	for _, p := range []string{"heap", "goroutine", "mutex", "block", "threadcreate"} {
		dump.Profile(*out, p+".txt", p, 1)
	}
}
