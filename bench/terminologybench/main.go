// Command terminologybench measures the terminology service on a
// synthetic SNOMED CT release of realistic size (rf2synth: 350,000
// concepts, about 1.2 million descriptions, a deep hierarchy), on each
// store: how long `gpcloud admin terminology load` takes and its peak
// resident memory, then, over HTTP with a system token against a running
// server, the typeahead (ValueSet/$expand with filter) and
// CodeSystem/$subsumes latencies; with -synthea N, also a Condition search
// with code:below over the Synthea set loaded N times.
//
//	go run ./bench/terminologybench -store both
//
// Targets (issue 14): typeahead p95 < 20 ms, $subsumes p95 < 5 ms,
// code:below p95 < 50 ms.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
	"github.com/gpcloud/gpcloud/internal/terminology/rf2synth"
)

const sct = "http://snomed.info/sct"

// showSlowest is -slowest.
var showSlowest int

func main() {
	var common benchserver.Common
	common.Register(flag.CommandLine)
	concepts := flag.Int("concepts", 350000, "concepts in the synthetic release")
	runs := flag.Int("runs", 300, "timed requests per measurement")
	synthea := flag.Int("synthea", 0, "load the Synthea set this many times and time code:below (0: skip)")
	flag.IntVar(&showSlowest, "slowest", 0, "list the N slowest typeahead queries")
	flag.Parse()
	if err := run(common, *concepts, *runs, *synthea); err != nil {
		fmt.Fprintln(os.Stderr, "terminologybench:", err)
		os.Exit(1)
	}
}

func run(common benchserver.Common, concepts, runs, synthea int) error {
	stores, err := benchserver.Stores(common.Store)
	if err != nil {
		return err
	}
	bin, err := benchserver.Build(common.Binary, "gpcloud-terminologybench")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "rf2synth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	stats, err := rf2synth.Write(dir, rf2synth.Options{Concepts: concepts})
	if err != nil {
		return err
	}
	fmt.Printf("synthetic release: %d concepts, %d descriptions, %d relationships, hierarchy %d deep (written in %s)\n",
		stats.Concepts, stats.Descriptions, stats.Relationships, stats.MaxDepth, time.Since(start).Round(time.Millisecond))
	filters, err := typeaheadQueries(dir, 100)
	if err != nil {
		return err
	}
	pairs, err := subsumesPairs(dir, 200)
	if err != nil {
		return err
	}
	for _, storeName := range stores {
		if err := runStore(bin, storeName, common, dir, filters, pairs, runs, synthea); err != nil {
			return fmt.Errorf("%s: %w", storeName, err)
		}
	}
	return nil
}

func runStore(bin, storeName string, common benchserver.Common, dir string, filters []string, pairs [][2]string, runs, synthea int) error {
	srv, err := benchserver.Start(bin, storeName, common.Database)
	if err != nil {
		return err
	}
	defer srv.Stop()
	// The load runs beside the serving server, as an operator would run it.
	cmd := exec.Command(bin, append([]string{"admin", "terminology", "load", "--snomed", dir}, srv.StoreArgs...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	took := time.Since(start)
	var peakKB int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peakKB = ru.Maxrss
	}
	fmt.Printf("%s: load %s, peak RSS of the loader %d MiB\n", storeName, took.Round(time.Millisecond), peakKB/1024)
	c := srv.Client(1)
	base := srv.Base + "/fhir"
	get := func(path string) error {
		resp, err := c.Get(base + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return nil
	}
	vs := url.QueryEscape(sct + "?fhir_vs")
	// Warm: the first request of each kind pays for connections and plans.
	for _, f := range filters[:5] {
		if err := get("/ValueSet/$expand?url=" + vs + "&count=10&filter=" + url.QueryEscape(f)); err != nil {
			return err
		}
	}
	slowest := map[string]time.Duration{}
	lat, err := measure(runs, func(i int) error {
		f := filters[i%len(filters)]
		start := time.Now()
		err := get("/ValueSet/$expand?url=" + vs + "&count=10&filter=" + url.QueryEscape(f))
		slowest[f] = max(slowest[f], time.Since(start))
		return err
	})
	if err != nil {
		return err
	}
	report(storeName, "typeahead $expand?filter", lat, 20*time.Millisecond)
	if showSlowest > 0 {
		type q struct {
			f string
			d time.Duration
		}
		var qs []q
		for f, d := range slowest {
			qs = append(qs, q{f, d})
		}
		sort.Slice(qs, func(i, j int) bool { return qs[i].d > qs[j].d })
		for _, x := range qs[:min(showSlowest, len(qs))] {
			fmt.Printf("%s:   slowest %-20q %6.2f ms\n", storeName, x.f, ms(x.d))
		}
	}
	lat, err = measure(runs, func(i int) error {
		p := pairs[i%len(pairs)]
		return get("/CodeSystem/$subsumes?system=" + url.QueryEscape(sct) + "&codeA=" + p[0] + "&codeB=" + p[1])
	})
	if err != nil {
		return err
	}
	report(storeName, "$subsumes", lat, 5*time.Millisecond)
	if synthea > 0 {
		bdir, err := benchserver.SyntheaDir(common.Data)
		if err != nil {
			return err
		}
		first, rest, err := benchserver.ReadBundles(bdir, 0)
		if err != nil {
			return err
		}
		for k := 0; k < synthea; k++ {
			r := rest
			if k > 0 {
				if r, err = benchserver.CloneBundles(rest, k); err != nil {
					return err
				}
			}
			f := first
			if k > 0 {
				f = nil
			}
			if _, err := benchserver.Load(srv.Client(2), base, 2, f, r); err != nil {
				return err
			}
		}
		below := []string{"73211009", "404684003", "64572001", "44054006"}
		lat, err = measure(runs, func(i int) error {
			return get("/Condition?_count=20&code:below=" + url.QueryEscape(sct+"|"+below[i%len(below)]))
		})
		if err != nil {
			return err
		}
		report(storeName, fmt.Sprintf("Condition?code:below (Synthea %dx)", synthea), lat, 50*time.Millisecond)
	}
	return nil
}

func measure(runs int, fn func(i int) error) ([]time.Duration, error) {
	out := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		start := time.Now()
		if err := fn(i); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func report(storeName, what string, lat []time.Duration, target time.Duration) {
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	verdict := "meets"
	if p(0.95) >= target {
		verdict = "MISSES"
	}
	fmt.Printf("%s: %-40s p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms  (%s the target p95 < %s)\n", storeName, what,
		ms(p(0.5)), ms(p(0.95)), ms(lat[len(lat)-1]), verdict, target)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// typeaheadQueries are what clinicians type: the real concepts' words,
// and two-word prefixes (3 to 5 letters each) of preferred terms drawn
// from the release.
func typeaheadQueries(dir string, n int) ([]string, error) {
	out := []string{"diab mel", "type 2 diab", "hypert", "asth", "high blo", "t2dm"}
	rng := rand.New(rand.NewPCG(7, 7))
	err := eachRow(filepath.Join(dir, "Snapshot", "Terminology"), "sct2_Description_", func(row []string) bool {
		if row[6] != "900000000000013009" || rng.IntN(2000) != 0 {
			return true
		}
		words := strings.Fields(strings.ToLower(row[7]))
		var q []string
		for _, w := range words {
			if len(w) >= 4 && len(q) < 2 {
				q = append(q, w[:min(len(w), 3+rng.IntN(3))])
			}
		}
		if len(q) > 0 {
			out = append(out, strings.Join(q, " "))
		}
		return len(out) < n
	})
	return out, err
}

// subsumesPairs are parent-child pairs (subsumes) and random pairs
// (mostly not subsumed).
func subsumesPairs(dir string, n int) ([][2]string, error) {
	var out [][2]string
	rng := rand.New(rand.NewPCG(9, 9))
	err := eachRow(filepath.Join(dir, "Snapshot", "Terminology"), "sct2_Relationship_", func(row []string) bool {
		if row[7] == "116680003" && rng.IntN(500) == 0 {
			out = append(out, [2]string{row[5], row[4]})
			if len(out) > 1 {
				out = append(out, [2]string{out[rng.IntN(len(out))][1], row[4]})
			}
		}
		return len(out) < n
	})
	return out, err
}

func eachRow(dir, prefix string, fn func(row []string) bool) error {
	matches, _ := filepath.Glob(filepath.Join(dir, prefix+"*"))
	if len(matches) == 0 {
		return fmt.Errorf("no %s file in %s", prefix, dir)
	}
	f, err := os.Open(matches[0])
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		if !fn(strings.Split(strings.TrimSuffix(sc.Text(), "\r"), "\t")) {
			break
		}
	}
	return sc.Err()
}
