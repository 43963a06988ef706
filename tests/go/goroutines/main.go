// goroutines starts goroutines that never finish, the classic goroutine
// leak: blocked on a receive, in a select (labelled with pprof.Do), on a send,
// in a long sleep, on a mutex, on a WaitGroup and at the bottom of a
// recursion. It also locks a few goroutines to their own OS threads so new
// threads get created. Then it writes:
//
//	goroutine.pb.gz goroutine.txt (debug=1) goroutine-debug2.txt (debug=2)
//	threadcreate.pb.gz threadcreate.txt (debug=1)
package main

import (
	"context"
	"flag"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"nproftest/internal/dump"
)

var (
	stuck   sync.Mutex     // locked by main and never unlocked
	never   sync.WaitGroup // Add(1) and never Done
	started sync.WaitGroup // counts goroutines that reached their blocking point
)

// awaitReply waits for a reply nobody sends.
func awaitReply() {
	ch := make(chan int)
	started.Done()
	<-ch
}

// watchConfig waits in a select on channels nobody writes.
func watchConfig(updates <-chan string, quit <-chan struct{}) {
	started.Done()
	for {
		select {
		case u := <-updates:
			_ = u
		case <-quit:
			return
		}
	}
}

// startWatchers starts labelled watchers, so the profile has tags.
func startWatchers(n int) {
	for i := 0; i < n; i++ {
		tenant := "t" + strconv.Itoa(i%3)
		go pprof.Do(context.Background(), pprof.Labels("role", "watcher", "tenant", tenant),
			func(context.Context) { watchConfig(nil, nil) })
	}
}

// publish sends on a channel nobody reads.
func publish(events chan<- int, v int) {
	started.Done()
	events <- v
}

// idle sleeps for a long time.
func idle() {
	started.Done()
	time.Sleep(time.Hour)
}

// lockedOut waits for a mutex that is never released.
func lockedOut() {
	started.Done()
	stuck.Lock()
}

// waitAll waits on a WaitGroup that never reaches zero.
func waitAll() {
	started.Done()
	never.Wait()
}

// descend recurses, then blocks at the bottom: a deep stack.
func descend(depth int, ch chan int) int {
	if depth == 0 {
		started.Done()
		return <-ch
	}
	return descend(depth-1, ch) + 1
}

// pinned locks its goroutine to a new OS thread and blocks there.
func pinned(ch chan int) {
	runtime.LockOSThread()
	started.Done()
	<-ch
}

func launch(n int, f func()) {
	started.Add(n)
	for i := 0; i < n; i++ {
		go f()
	}
}

func main() {
	outDir := flag.String("o", ".", "output directory")
	flag.Parse()

	stuck.Lock()
	never.Add(1)
	events := make(chan int)
	block := make(chan int)

	launch(120, awaitReply)
	started.Add(45)
	startWatchers(45)
	launch(17, func() { publish(events, 1) })
	launch(6, idle)
	launch(4, lockedOut)
	launch(3, waitAll)
	launch(2, func() { descend(40, block) })
	launch(5, func() { pinned(block) })

	started.Wait()
	time.Sleep(100 * time.Millisecond) // let every goroutine park
	dump.Profile(*outDir, "goroutine.pb.gz", "goroutine", 0)
	dump.Profile(*outDir, "goroutine.txt", "goroutine", 1)
	dump.Profile(*outDir, "goroutine-debug2.txt", "goroutine", 2)
	dump.Profile(*outDir, "threadcreate.pb.gz", "threadcreate", 0)
	dump.Profile(*outDir, "threadcreate.txt", "threadcreate", 1)
}
