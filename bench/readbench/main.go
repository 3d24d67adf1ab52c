// Command readbench measures the tail of reads by id over HTTP: it loads
// the Synthea set into a fresh gpcloud (or reuses a kept store), picks
// resources of the commonest types, and has -clients clients read them
// at random, back to back, for -seconds per round. It prints reads/s,
// p50, p95, p99 and p95/p50, and what the server's Go runtime did in the
// window (collections, stop-the-world pause), read from its profiling
// listener, so that a tail can be set beside its causes.
//
//	go run ./bench/readbench -store both -rounds 3
//	go run ./bench/readbench -server-env GOGC=400   # the server's runtime settings
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
)

// readTypes are the types whose resources are read: together most of a
// record, and resources of every size.
var readTypes = []string{"Patient", "Observation", "Condition", "Encounter", "MedicationRequest", "Procedure", "DiagnosticReport"}

func main() {
	var common benchserver.Common
	common.Register(flag.CommandLine)
	clients := flag.Int("clients", 2, "concurrent readers")
	seconds := flag.Int("seconds", 20, "timed seconds per round (after 3 untimed)")
	rounds := flag.Int("rounds", 3, "timed rounds")
	limit := flag.Int("limit", 0, "load only the first N patient bundles (0: all)")
	reuse := flag.String("reuse", "", "run on the store a -keep run left (its data directory, or its DSN), loading nothing")
	keep := flag.Bool("keep", false, "leave the loaded store in place and print where it is, for -reuse")
	slowFlag := flag.Duration("slow", 0, "after each round, list the reads slower than this (when into the round each started, and what it read)")
	serverEnv := flag.String("server-env", "", "comma-separated NAME=VALUE settings for the server's environment (GOGC=400,GOMAXPROCS=1)")
	flag.Parse()
	log.SetFlags(0)
	// The clients share the two cores with the server: they keep their own
	// collections rare so that the tail measured is the server's.
	debug.SetGCPercent(800)

	setup, err := common.Resolve("gpcloud-readbench", *limit)
	if err != nil {
		log.Fatal(err)
	}
	debugAddr, err := benchserver.FreeAddr()
	if err != nil {
		log.Fatal(err)
	}
	benchserver.ServerEnv = append(benchserver.ServerEnv, "GPCLOUD_DEBUG_LISTEN="+debugAddr)
	if *serverEnv != "" {
		benchserver.ServerEnv = append(benchserver.ServerEnv, strings.Split(*serverEnv, ",")...)
	}
	fmt.Println("| store | round | clients | reads/s | p50 ms | p95 ms | p99 ms | max ms | p95/p50 | server GCs | GC pause ms | slow reads during a GC |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, st := range setup.Stores {
		var srv *benchserver.Server
		if *reuse != "" {
			srv, err = benchserver.StartExisting(setup.Binary, st, *reuse)
		} else {
			srv, err = benchserver.Start(setup.Binary, st, common.Database)
		}
		if err != nil {
			log.Fatalf("store=%s: %v", st, err)
		}
		if *keep {
			log.Printf("store=%s kept: -reuse '%s'", st, srv.Keep())
		}
		if err := run(srv, st, setup, *reuse == "", *clients, *seconds, *rounds, "http://"+debugAddr, *slowFlag); err != nil {
			srv.Stop()
			log.Fatalf("store=%s: %v", st, err)
		}
		srv.Stop()
	}
}

func run(srv *benchserver.Server, st string, setup benchserver.Setup, load bool, clients, seconds, rounds int, debugBase string, slow time.Duration) error {
	client := srv.Client(clients)
	if load {
		if _, err := benchserver.Load(client, srv.Base, 2, setup.First, setup.Rest); err != nil {
			return err
		}
	}
	paths, err := pickResources(client, srv.Base)
	if err != nil {
		return err
	}
	readFor(client, srv.Base, paths, clients, 3*time.Second) // warm the caches
	for round := 1; round <= rounds; round++ {
		before, err := serverGC(debugBase)
		if err != nil {
			return err
		}
		reads := readFor(client, srv.Base, paths, clients, time.Duration(seconds)*time.Second)
		after, err := serverGC(debugBase)
		if err != nil {
			return err
		}
		report(st, round, clients, seconds, reads, before, after)
		listSlow(reads, slow)
	}
	return nil
}

// pickResources lists up to 300 resources of each read type, as paths.
func pickResources(c *http.Client, base string) ([]string, error) {
	var paths []string
	for _, typ := range readTypes {
		ids, err := benchserver.SearchIDs(c, base+"/fhir/"+typ+"?_count=300&_elements=id")
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			paths = append(paths, "/fhir/"+typ+"/"+id)
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("the store holds none of %v", readTypes)
	}
	return paths, nil
}

// read is one timed read: when it started and how long it took.
type read struct {
	start time.Time
	took  time.Duration
	path  string
}

// readFor has n clients read random paths back to back for d.
func readFor(c *http.Client, base string, paths []string, n int, d time.Duration) []read {
	var mu sync.Mutex
	var all []read
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []read
			for time.Now().Before(deadline) {
				p := paths[rand.IntN(len(paths))]
				start := time.Now()
				resp, err := c.Get(base + p)
				if err != nil {
					log.Fatalf("%s: %v", p, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					log.Fatalf("%s: status %d", p, resp.StatusCode)
				}
				mine = append(mine, read{start: start, took: time.Since(start), path: p})
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// listSlow prints the reads slower than slow (none when it is 0), in the
// order they started, with their start as an offset into the round: a
// tail that recurs at a fixed period points at a periodic job.
func listSlow(reads []read, slow time.Duration) {
	if slow <= 0 || len(reads) == 0 {
		return
	}
	sort.Slice(reads, func(i, j int) bool { return reads[i].start.Before(reads[j].start) })
	for _, r := range reads {
		if r.took >= slow {
			fmt.Printf("    slow read: +%.3f s, %.1f ms, %s\n", r.start.Sub(reads[0].start).Seconds(), float64(r.took.Microseconds())/1000, r.path)
		}
	}
}

// gcState is what the server's runtime reports of its collections: their
// number, and the last 256 stop-the-world pauses (when each ended, how
// long it took).
type gcState struct {
	numGC  uint32
	pauses []pause
}

type pause struct {
	end  time.Time
	took time.Duration
}

// serverGC reads the server's runtime.MemStats from the text form of the
// heap profile (/debug/pprof/heap?debug=1), which ends with them.
func serverGC(debugBase string) (gcState, error) {
	var g gcState
	resp, err := http.Get(debugBase + "/debug/pprof/heap?debug=1")
	if err != nil {
		return g, fmt.Errorf("the server's profiling listener: %w", err)
	}
	defer resp.Body.Close()
	var took, ends []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "# "), " = ")
		if !ok || !strings.HasPrefix(line, "# ") {
			continue
		}
		switch name {
		case "NumGC":
			n, _ := strconv.ParseUint(value, 10, 32)
			g.numGC = uint32(n)
		case "PauseNs":
			took = strings.Fields(strings.Trim(value, "[]"))
		case "PauseEnd":
			ends = strings.Fields(strings.Trim(value, "[]"))
		}
	}
	for i := range min(len(took), len(ends)) {
		end, _ := strconv.ParseInt(ends[i], 10, 64)
		ns, _ := strconv.ParseInt(took[i], 10, 64)
		if end > 0 {
			g.pauses = append(g.pauses, pause{end: time.Unix(0, end), took: time.Duration(ns)})
		}
	}
	return g, sc.Err()
}

func report(st string, round, clients, seconds int, reads []read, before, after gcState) {
	lat := make([]time.Duration, len(reads))
	for i, r := range reads {
		lat[i] = r.took
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	// A slow read (beyond p95) "met a collection" when a stop-the-world
	// pause ended while it was in flight: the collection's concurrent work
	// around the pause took CPU from it too.
	var slow, metGC int
	var paused time.Duration
	first, last := reads[0].start, reads[0].start
	for _, r := range reads {
		if r.start.Before(first) {
			first = r.start
		}
		if end := r.start.Add(r.took); end.After(last) {
			last = end
		}
	}
	for _, g := range after.pauses {
		if !g.end.Before(first) && !g.end.After(last) {
			paused += g.took
		}
	}
	for _, r := range reads {
		if r.took < p(0.95) {
			continue
		}
		slow++
		end := r.start.Add(r.took)
		for _, g := range after.pauses {
			if !g.end.Before(r.start) && !g.end.After(end) {
				metGC++
				break
			}
		}
	}
	fmt.Printf("| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %.1f | %.1f | %d | %.1f | %d of %d |\n", st, round, clients,
		float64(len(reads))/float64(seconds), ms(p(0.5)), ms(p(0.95)), ms(p(0.99)), ms(lat[len(lat)-1]),
		float64(p(0.95))/float64(p(0.5)), after.numGC-before.numGC, float64(paused.Microseconds())/1000, metGC, slow)
}
