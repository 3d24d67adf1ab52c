// Command loadsynthea is the load benchmark: it starts gpcloud serve on a
// fresh store, POSTs every Synthea transaction Bundle to /fhir with N
// concurrent clients, and reports resources per second and the server's
// peak resident memory (VmHWM), on SQLite and on PostgreSQL.
//
//	go run ./bench/loadsynthea -store both -clients 2,4
//
// The bundles are read and decompressed before the clock starts, so the
// figure is the server's: HTTP, JSON, validation, reference resolution and
// storage. The two *Information bundles (Organizations, Practitioners) go
// first, as Synthea intends; the patient bundles follow. With -conditional
// the patient bundles refer to those by identifier, as newer Synthea
// versions write them, and the server resolves each conditional reference.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
)

type result struct {
	store            string
	clients          int
	bundles          int
	resources        int
	elapsed          time.Duration
	peakRSS, lastRSS int64 // kB
}

func main() {
	var common benchserver.Common
	common.Register(flag.CommandLine)
	clientsFlag := flag.String("clients", "2,4", "comma-separated concurrency levels; each is a separate run on a fresh store")
	limit := flag.Int("limit", 0, "load only the first N patient bundles (0: all)")
	conditionalFlag := flag.Bool("conditional", false, "refer to Practitioners and Organizations by identifier, as newer Synthea does, instead of carrying copies in every patient bundle")
	flag.Parse()
	log.SetFlags(0)

	setup, err := common.Resolve("gpcloud-loadsynthea", *limit)
	if err != nil {
		log.Fatal(err)
	}
	first, rest := setup.First, setup.Rest
	if *conditionalFlag {
		for i := range rest {
			if rest[i], err = asConditional(rest[i]); err != nil {
				log.Fatal(err)
			}
		}
	}
	total := 0
	for _, b := range append(append([]benchserver.Bundle(nil), first...), rest...) {
		total += b.Resources
	}
	log.Printf("read %d bundles, %d resources, from %s", len(first)+len(rest), total, setup.Dir)
	clients, err := benchserver.Counts("clients", *clientsFlag)
	if err != nil {
		log.Fatal(err)
	}
	var results []result
	for _, st := range setup.Stores {
		for _, n := range clients {
			r, err := run(setup.Binary, st, common.Database, n, first, rest)
			if err != nil {
				log.Fatalf("store=%s clients=%d: %v", st, n, err)
			}
			results = append(results, r)
			fmt.Println(r.line())
		}
	}
	fmt.Println()
	fmt.Println("| store | clients | bundles | resources | seconds | resources/s | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %d | %d | %d | %.1f | %.0f | %d MB |\n", r.store, r.clients, r.bundles, r.resources,
			r.elapsed.Seconds(), float64(r.resources)/r.elapsed.Seconds(), r.peakRSS/1024)
	}
}

func (r result) line() string {
	return fmt.Sprintf("store=%s clients=%d bundles=%d resources=%d seconds=%.2f resources/s=%.0f peakRSS=%dMB",
		r.store, r.clients, r.bundles, r.resources, r.elapsed.Seconds(), float64(r.resources)/r.elapsed.Seconds(), r.peakRSS/1024)
}

// run starts a server on a fresh store, loads everything and stops it.
func run(bin, storeName, dsn string, clients int, first, rest []benchserver.Bundle) (result, error) {
	srv, err := benchserver.Start(bin, storeName, dsn)
	if err != nil {
		return result{}, err
	}
	defer srv.Stop()
	client := srv.Client(clients)
	elapsed, err := benchserver.Load(client, srv.Base, clients, first, rest)
	if err != nil {
		return result{}, err
	}
	r := result{store: storeName, clients: clients, bundles: len(first) + len(rest), elapsed: elapsed}
	for _, b := range append(append([]benchserver.Bundle(nil), first...), rest...) {
		r.resources += b.Resources
	}
	r.peakRSS, r.lastRSS = srv.Memory()
	if err := verify(client, srv.Base, r.resources); err != nil {
		return result{}, fmt.Errorf("verification after the load: %w", err)
	}
	return r, nil
}

// verify checks, after the clock stops, that the server holds one version
// per resource sent and that references were resolved (no urn:uuid left in
// the newest versions).
func verify(c *http.Client, base string, want int) error {
	// The audit trail is in the store too: its events (one or more per
	// request) are not what was loaded. It goes on chaining while this
	// looks (this check's own requests are audited), so the history's
	// AuditEvents are counted before and after it is read.
	before, err := total(c, base+"/fhir/AuditEvent/_history?_count=0")
	if err != nil {
		return err
	}
	resp, err := c.Get(base + "/fhir/_history?_count=200")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var hist struct {
		Total int `json:"total"`
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&hist); err != nil {
		return err
	}
	after, err := total(c, base+"/fhir/AuditEvent/_history?_count=0")
	if err != nil {
		return err
	}
	if audited := hist.Total - want; audited < before || audited > after {
		return fmt.Errorf("system history holds %d versions (%d-%d of them AuditEvents), want %d loaded", hist.Total, before, after, want)
	}
	for _, e := range hist.Entry {
		if bytes.Contains(e.Resource, []byte(`"reference":"urn:uuid:`)) {
			return fmt.Errorf("unresolved urn:uuid reference stored: %.300s", e.Resource)
		}
	}
	return nil
}

// total reads a Bundle's total.
func total(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var b struct {
		Total int `json:"total"`
	}
	err = json.NewDecoder(resp.Body).Decode(&b)
	return b.Total, err
}
