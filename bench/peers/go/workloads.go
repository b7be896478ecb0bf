// The workloads: goroutines as actors, a buffered channel (capacity 1024) as each mailbox, a
// fresh channel per ask for the reply. Passive actors (servers, consumer, accounts, the ring) are
// started before the clock; the goroutines that start the work are started inside the timed
// region (about a microsecond each). Every workload returns (seconds, what was checked, error).
package main

import (
	"fmt"
	"time"
)

const mailboxCap = 1024 // every mailbox the contract does not make a parameter

// mix64 is splitmix64 (Steele, Lea, Flood 2014): the payload mix and the bank clients' generator.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// share is worker i's part of n items over k workers (the first n%k do one more).
func share(n, k, i int) int {
	if i < n%k {
		return n/k + 1
	}
	return n / k
}

func expectEq(what string, got, want int) (string, error) {
	if got != want {
		return "", fmt.Errorf("%s %d, want %d", what, got, want)
	}
	return fmt.Sprintf("%s %d", what, got), nil
}

func pingpong(n int) (float64, string, error) {
	toPong, toPing := make(chan int, mailboxCap), make(chan int, mailboxCap)
	go func() {
		for v := range toPong {
			toPing <- v + 1
		}
	}()
	t0 := time.Now()
	done := make(chan int)
	go func() {
		v := 0
		for i := 0; i < n; i++ {
			toPong <- v
			v = <-toPing
		}
		done <- v
	}()
	v := <-done
	secs := time.Since(t0).Seconds()
	close(toPong)
	check, err := expectEq("round trips", v, n)
	return secs, check, err
}

type request struct {
	v     int
	reply chan int
}

func ask(n int) (float64, string, error) {
	server := make(chan request, mailboxCap)
	go func() {
		for r := range server {
			r.reply <- r.v + 1
		}
	}()
	t0 := time.Now()
	done := make(chan error)
	go func() {
		for v := 0; v < n; v++ {
			r := request{v, make(chan int, 1)}
			server <- r
			if got := <-r.reply; got != v+1 {
				done <- fmt.Errorf("ask %d answered %d, want %d", v, got, v+1)
				return
			}
		}
		done <- nil
	}()
	err := <-done
	secs := time.Since(t0).Seconds()
	close(server)
	return secs, fmt.Sprintf("%d asks, each reply = request + 1", n), err
}

// item is one fan-in message: producer id, its sequence number, a payload mixed from both.
type item struct {
	id       int
	seq, val uint64
}

// newItem: with corrupt (MAILROOM_PEER_CORRUPT=fanin) producer 0's first payload is wrong.
func newItem(id int, seq uint64, corrupt bool) item {
	it := item{id, seq, mix64(uint64(id)<<40 ^ seq)}
	if corrupt && id == 0 && seq == 0 {
		it.val++
	}
	return it
}

// fanin: p producers send their share of n items to the consumer (this goroutine), which checks
// per-producer FIFO order, the count and the payload sum. capacity < 0 (cap=none): Go has no
// unbounded channel, so the channel gets a buffer of n, as large as the whole run: no send ever
// blocks, as with an unbounded mailbox, but the buffer is allocated before the clock starts.
func fanin(p, capacity, n int, corrupt bool) (float64, string, error) {
	if capacity < 0 {
		capacity = n
	}
	ch := make(chan item, capacity)
	var want, sum uint64
	for i := 0; i < p; i++ {
		for s := 0; s < share(n, p, i); s++ {
			want += newItem(i, uint64(s), false).val
		}
	}
	next := make([]uint64, p)
	t0 := time.Now()
	for i := 0; i < p; i++ {
		go func(id int) {
			for s := 0; s < share(n, p, id); s++ {
				ch <- newItem(id, uint64(s), corrupt)
			}
		}(i)
	}
	for k := 0; k < n; k++ {
		m := <-ch
		if m.seq != next[m.id] {
			return 0, "", fmt.Errorf("producer %d sent seq %d where %d was due", m.id, m.seq, next[m.id])
		}
		next[m.id]++
		sum += m.val
	}
	secs := time.Since(t0).Seconds()
	if sum != want {
		return 0, "", fmt.Errorf("received %d messages with sum %#x, want %d with sum %#x", n, sum, n, want)
	}
	return secs, fmt.Sprintf("%d producers in order, %d messages, sum %#x", p, n, want), nil
}

const alice, bob = 1000, 500

type opKind int

const (
	debit   opKind = iota // answers 1 (OK, debited) or 0 (INSUFFICIENT)
	credit                // no answer
	balance               // answers the balance
)

type op struct {
	kind   opKind
	amount int
	reply  chan int
}

// account is one account actor: its balance changes only here.
func account(start int, mbox chan op) {
	bal := start
	for m := range mbox {
		switch m.kind {
		case debit:
			ok := 0
			if bal >= m.amount {
				bal, ok = bal-m.amount, 1
			}
			m.reply <- ok
		case credit:
			bal += m.amount
		case balance:
			m.reply <- bal
		}
	}
}

// bank: accounts alice and bob, `clients` goroutines doing n transfers in all; a transfer is a
// debit ask to `from`, then (if OK) a credit send to `to`; conservation is checked at the end.
func bank(clients, n int) (float64, string, error) {
	accts := []chan op{make(chan op, mailboxCap), make(chan op, mailboxCap)}
	go account(alice, accts[0])
	go account(bob, accts[1])
	oks := make(chan int, clients)
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		go func(c int) {
			state := uint64(0x6d61696c726f6f6d) ^ uint64(c) // "mailroom"
			ok := 0
			for t := 0; t < share(n, clients, c); t++ {
				state++
				r := mix64(state)
				from, amount := int(r&1), 1+int((r>>8)%100)
				reply := make(chan int, 1)
				accts[from] <- op{debit, amount, reply}
				if <-reply == 1 {
					ok++
					accts[1-from] <- op{credit, amount, nil}
				}
			}
			oks <- ok
		}(c)
	}
	ok := 0
	for c := 0; c < clients; c++ {
		ok += <-oks
	}
	// Credits were sent before their client finished and a channel is FIFO: the balance asks
	// are answered after every credit is applied.
	var bal [2]int
	for i, a := range accts {
		reply := make(chan int, 1)
		a <- op{balance, 0, reply}
		bal[i] = <-reply
	}
	secs := time.Since(t0).Seconds()
	for _, a := range accts {
		close(a)
	}
	if bal[0]+bal[1] != alice+bob || bal[0] < 0 || bal[1] < 0 {
		return 0, "", fmt.Errorf("balances alice %d + bob %d = %d, want %d with both >= 0", bal[0], bal[1], bal[0]+bal[1], alice+bob)
	}
	// Every debit was answered exactly once: the OK ones counted, the rest INSUFFICIENT.
	return secs, fmt.Sprintf("alice %d + bob %d = %d, %d ok + %d insufficient = %d", bal[0], bal[1], alice+bob, ok, n-ok, n), nil
}

// counting (Savina): a producer sends n increments to a counter, then asks for the count.
// A message with a nil get channel is an increment.
func counting(n int) (float64, string, error) {
	mbox := make(chan chan int, mailboxCap)
	go func() {
		count := 0
		for get := range mbox {
			if get == nil {
				count++
			} else {
				get <- count
			}
		}
	}()
	t0 := time.Now()
	result := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			mbox <- nil
		}
		get := make(chan int, 1)
		mbox <- get
		result <- <-get
	}()
	got := <-result
	secs := time.Since(t0).Seconds()
	close(mbox)
	check, err := expectEq("count", got, n)
	return secs, check, err
}

// token: hops still to go and hops made so far; stop ends the ring.
type token struct {
	left, hops int
	stop       bool
}

// threadring (Savina): `actors` goroutines in a ring pass a token n hops; the one receiving the
// last hop reports its index and the hops made.
func threadring(actors, n int) (float64, string, error) {
	ring := make([]chan token, actors)
	for i := range ring {
		ring[i] = make(chan token, mailboxCap)
	}
	type end struct{ at, hops int }
	done := make(chan end, 1)
	for i := range ring {
		go func(i int, in, next chan token) {
			for t := range in {
				switch {
				case t.stop:
					if i != actors-1 {
						next <- t
					}
					return
				case t.left == 0:
					done <- end{i, t.hops}
				default:
					next <- token{t.left - 1, t.hops + 1, false}
				}
			}
		}(i, ring[i], ring[(i+1)%actors])
	}
	t0 := time.Now()
	ring[0] <- token{n, 0, false}
	e := <-done
	secs := time.Since(t0).Seconds()
	ring[0] <- token{stop: true}
	if e.at != n%actors {
		return 0, "", fmt.Errorf("the last hop reached actor %d, want %d", e.at, n%actors)
	}
	check, err := expectEq("hops", e.hops, n)
	return secs, fmt.Sprintf("%s (%d actors, ended at actor %d)", check, actors, e.at), err
}
