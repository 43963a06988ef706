// contention turns on mutex and block profiling (every event recorded) and
// runs goroutines that fight over a Mutex, an RWMutex, unbuffered channels
// and a WaitGroup for about a second. Then it writes:
//
//	mutex.pb.gz mutex.txt (debug=1) block.pb.gz block.txt (debug=1)
package main

import (
	"flag"
	"runtime"
	"strconv"
	"sync"
	"time"

	"nproftest/internal/dump"
)

var sink int

// spin burns a little CPU; small enough to be inlined.
func spin(n int) {
	x := 0
	for i := 0; i < n; i++ {
		x += i * i
	}
	sink += x
}

// Account is a hot lock: every deposit holds it while doing some work.
type Account struct {
	mu      sync.Mutex
	balance int
	log     []int
}

func (a *Account) Deposit(v int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += v
	a.log = append(a.log, v)
	spin(20000)
}

func (a *Account) Balance() int {
	a.mu.Lock()
	b := a.balance
	a.mu.Unlock()
	return b
}

// Cache is read-mostly, with writers that hold the write lock a while.
type Cache struct {
	mu sync.RWMutex
	m  map[string]int
}

func (c *Cache) Get(k string) (int, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	spin(2000)
	return v, ok
}

func (c *Cache) Put(k string, v int) {
	c.mu.Lock()
	c.m[k] = v
	spin(20000)
	c.mu.Unlock()
}

func depositors(a *Account, workers, iters int, wg *sync.WaitGroup) {
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				a.Deposit(w + i)
				if i%16 == 0 {
					sink += a.Balance()
				}
			}
		}(w)
	}
}

func cacheUsers(c *Cache, workers, iters int, wg *sync.WaitGroup) {
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				k := "k" + strconv.Itoa(i%64)
				if _, ok := c.Get(k); !ok || i%4 == w%4 {
					c.Put(k, i)
				}
			}
		}(w)
	}
}

// produce and consume form a pipeline over an unbuffered channel, with a
// slow consumer, so producers block on send and the consumer on receive.
func produce(ch chan<- int, n int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < n; i++ {
		ch <- i
	}
}

func consume(ch <-chan int, done chan<- int) {
	total := 0
	for v := range ch {
		total += v
		spin(20000)
	}
	done <- total
}

// pipeline runs producers and one consumer.
func pipeline(producers, n int) {
	ch := make(chan int)
	done := make(chan int)
	var pw sync.WaitGroup
	for p := 0; p < producers; p++ {
		pw.Add(1)
		go produce(ch, n, &pw)
	}
	go consume(ch, done)
	pw.Wait()
	close(ch)
	sink += <-done
}

// ticker waits in a select on a timer and a quit channel.
func ticker(quit <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			spin(100)
		case <-quit:
			return
		}
	}
}

func main() {
	outDir := flag.String("o", ".", "output directory")
	flag.Parse()
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)

	quit := make(chan struct{})
	var tw sync.WaitGroup
	tw.Add(1)
	go ticker(quit, &tw)

	var wg sync.WaitGroup
	depositors(&Account{}, 8, 1500, &wg)
	cacheUsers(&Cache{m: map[string]int{}}, 6, 10000, &wg)
	wg.Wait() // main blocks here: a WaitGroup entry in the block profile
	pipeline(4, 300)

	close(quit)
	tw.Wait()
	dump.Profile(*outDir, "mutex.pb.gz", "mutex", 0)
	dump.Profile(*outDir, "mutex.txt", "mutex", 1)
	dump.Profile(*outDir, "block.pb.gz", "block", 0)
	dump.Profile(*outDir, "block.txt", "block", 1)
}
