// mailroom's Go peer driver: goroutines and channels running mailroom's workloads with the same
// checks (bench/peers/README.md is the contract this implements). `driver go WORKLOAD N REPS
// [key=value ...]` prints one JSON line per repetition; workloads.go holds the workloads.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

const help = `usage: driver go WORKLOAD N REPS [key=value ...] | driver --list | driver --help
  go        the only runtime here: goroutines as actors, channels as mailboxes (GOMAXPROCS = nproc)
  WORKLOAD  pingpong, ask, fanin (P=<producers> cap=<capacity>|none), bank (clients=<n>),
            savina_counting, savina_threadring (actors=<n>)
  N         items per repetition (round trips, asks, messages, transfers, hops), >= 1
  REPS      repetitions, >= 1; one JSON line per repetition on stdout
  --list    the cases this driver runs, one per line: RUNTIME WORKLOAD [key=value ...]
Environment: MAILROOM_PEER_CORRUPT=fanin corrupts one fan-in payload (to see the check fail).
A failed check prints its line with "ok":false and exits 1; a bad argument exits 2.`

// keys: each workload's parameters, in --list order.
var keys = map[string][]string{
	"pingpong": nil, "ask": nil, "savina_counting": nil,
	"fanin": {"P", "cap"}, "bank": {"clients"}, "savina_threadring": {"actors"},
}

func cases() []string {
	v := []string{"go pingpong", "go ask"}
	for _, p := range []int{1, 2, 4, 8} {
		for _, c := range []string{"1024", "none"} {
			v = append(v, fmt.Sprintf("go fanin P=%d cap=%s", p, c))
		}
	}
	return append(v, "go bank clients=4", "go savina_counting", "go savina_threadring actors=1000")
}

func bad(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "driver: "+format+" (try --help)\n", a...)
	os.Exit(2)
}

func count(what, s string) int {
	v, err := strconv.ParseUint(s, 10, 63)
	if err != nil || v < 1 {
		bad("%s '%s' is not a whole number >= 1", what, s)
	}
	return int(v)
}

// line is one repetition's JSON line; Seconds/Check only when ok, Error only when not.
type line struct {
	Runtime  string   `json:"runtime"`
	Workload string   `json:"workload"`
	Params   string   `json:"params"`
	Rep      int      `json:"rep"`
	Items    int      `json:"items"`
	Seconds  *float64 `json:"seconds,omitempty"`
	Ok       bool     `json:"ok"`
	Check    string   `json:"check,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func main() {
	args := os.Args[1:]
	switch {
	case len(args) > 0 && (args[0] == "--help" || args[0] == "-h"):
		fmt.Println(help)
		return
	case len(args) == 1 && args[0] == "--list":
		fmt.Println(strings.Join(cases(), "\n"))
		return
	case len(args) < 4:
		bad("expected RUNTIME WORKLOAD N REPS, got %d argument(s)", len(args))
	}
	if args[0] != "go" {
		bad("unknown runtime '%s'", args[0])
	}
	name := args[1]
	ks, known := keys[name]
	if !known {
		bad("unknown workload '%s'", name)
	}
	vals := map[string]string{}
	for _, a := range args[4:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			bad("argument '%s' is not key=value", a)
		}
		if !contains(ks, k) {
			bad("%s takes no key '%s'", name, k)
		}
		if _, twice := vals[k]; twice {
			bad("key '%s' given twice", k)
		}
		vals[k] = v
	}
	var params []string
	for _, k := range ks {
		if _, ok := vals[k]; !ok {
			bad("%s needs %s=", name, k)
		}
		params = append(params, k+":"+vals[k])
	}
	n, reps := count("N", args[2]), count("REPS", args[3])
	corrupt := false
	switch c := os.Getenv("MAILROOM_PEER_CORRUPT"); c {
	case "":
	case "fanin":
		corrupt = true
	default:
		bad("MAILROOM_PEER_CORRUPT '%s' is not 'fanin'", c)
	}
	var run func() (float64, string, error)
	switch name {
	case "pingpong":
		run = func() (float64, string, error) { return pingpong(n) }
	case "ask":
		run = func() (float64, string, error) { return ask(n) }
	case "fanin":
		p, capacity := count("P", vals["P"]), -1 // -1: cap=none
		if vals["cap"] != "none" {
			capacity = count("cap", vals["cap"])
		}
		run = func() (float64, string, error) { return fanin(p, capacity, n, corrupt) }
	case "bank":
		c := count("clients", vals["clients"])
		run = func() (float64, string, error) { return bank(c, n) }
	case "savina_counting":
		run = func() (float64, string, error) { return counting(n) }
	case "savina_threadring":
		a := count("actors", vals["actors"])
		if a < 2 {
			bad("actors '%d' is less than 2", a)
		}
		run = func() (float64, string, error) { return threadring(a, n) }
	}
	enc := json.NewEncoder(os.Stdout) // unbuffered: each line is written as it is encoded
	for rep := 0; rep < reps; rep++ {
		l := line{Runtime: "go", Workload: name, Params: strings.Join(params, "/"), Rep: rep, Items: n}
		secs, check, err := run()
		if err != nil {
			l.Error = err.Error()
		} else {
			l.Seconds, l.Ok, l.Check = &secs, true, check
		}
		if e := enc.Encode(l); e != nil {
			fmt.Fprintln(os.Stderr, "driver: stdout:", e)
			os.Exit(1)
		}
		if err != nil {
			os.Exit(1)
		}
	}
}

func contains(v []string, s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}
