// Command burstbench measures what a burst of large transaction Bundles
// costs the server in memory: it starts gpcloud serve on a fresh store,
// POSTs N generated Bundles (by default four of 24,000 Observations,
// ~27 MB each) at once, and reports the server's peak resident memory
// (VmHWM) and how long until every Bundle was stored.
//
//	go run ./bench/burstbench                          # the binary built from this tree
//	go run ./bench/burstbench -binary /tmp/gpcloud-main # another build, for "before"
//
// A client answered 503 (the memory budget of large bodies is spent)
// waits its Retry-After and sends the Bundle again, as a well-behaved
// client would; the retries are counted. Each run is on a fresh store and
// a fresh server; the table gives every run and the medians.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
)

type result struct {
	startRSS, peakRSS int64 // kB
	elapsed           time.Duration
	refused           int // 503s, each retried
}

func main() {
	binary := flag.String("binary", "", "gpcloud binary (default: go build ./cmd/gpcloud)")
	store := flag.String("store", "sqlite", "sqlite or postgres")
	database := flag.String("database", os.Getenv("GPCLOUD_TEST_POSTGRES"), "PostgreSQL DSN, for -store postgres; each run gets a fresh schema")
	bundles := flag.Int("bundles", 4, "Bundles sent at once")
	entries := flag.Int("entries", 24000, "Observations per Bundle (plus one Patient)")
	runs := flag.Int("runs", 3, "runs, each on a fresh server")
	flag.Parse()
	log.SetFlags(0)
	if *runs < 1 || *bundles < 1 {
		log.Fatal("-runs and -bundles must be at least 1")
	}

	bin, err := benchserver.Build(*binary, "gpcloud-burstbench")
	if err != nil {
		log.Fatal(err)
	}
	bodies := make([][]byte, *bundles)
	for i := range bodies {
		bodies[i] = bundle(*entries)
	}
	log.Printf("%s: %d Bundles of %d entries, %.1f MB each", bin, *bundles, *entries+1, float64(len(bodies[0]))/1e6)
	var results []result
	for i := range *runs {
		r, err := run(bin, *store, *database, bodies)
		if err != nil {
			log.Fatalf("run %d: %v", i+1, err)
		}
		results = append(results, r)
		fmt.Printf("run %d: peak RSS %d MB (%d MB at start), %.1f s, %d refused and retried\n",
			i+1, r.peakRSS/1024, r.startRSS/1024, r.elapsed.Seconds(), r.refused)
	}
	fmt.Println()
	fmt.Println("| binary | Bundles | peak RSS (median) | added by the burst | seconds (median) | 503s retried (median) |")
	fmt.Println("|---|---|---|---|---|---|")
	fmt.Printf("| %s | %d x %.0f MB | %d MB | %d MB | %.1f | %d |\n", bin, *bundles, float64(len(bodies[0]))/1e6,
		median(results, func(r result) int64 { return r.peakRSS })/1024,
		median(results, func(r result) int64 { return r.peakRSS - r.startRSS })/1024,
		float64(median(results, func(r result) int64 { return int64(r.elapsed) }))/1e9,
		median(results, func(r result) int64 { return int64(r.refused) }))
}

// run starts a server, sends every body at once and stops it.
func run(bin, store, dsn string, bodies [][]byte) (result, error) {
	srv, err := benchserver.Start(bin, store, dsn)
	if err != nil {
		return result{}, err
	}
	defer srv.Stop()
	var r result
	r.startRSS, _ = srv.Memory()
	client := srv.Client(len(bodies))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	start := time.Now()
	for _, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refused, err := post(client, srv.Base, body)
			mu.Lock()
			defer mu.Unlock()
			r.refused += refused
			if err != nil && failed == nil {
				failed = err
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.peakRSS, _ = srv.Memory()
	return r, failed
}

// post sends one transaction Bundle until it is stored, waiting out each
// 503's Retry-After; it returns how many 503s it got.
func post(c *http.Client, base string, body []byte) (int, error) {
	for refused := 0; ; refused++ {
		resp, err := c.Post(base+"/fhir", "application/fhir+json", bytes.NewReader(body))
		if err != nil {
			return refused, err
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK && bytes.Contains(answer, []byte(`"transaction-response"`)):
			return refused, nil
		case resp.StatusCode == http.StatusServiceUnavailable && refused < 20:
			wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil || wait < 1 {
				wait = 1
			}
			time.Sleep(time.Duration(wait) * time.Second)
		default:
			return refused, fmt.Errorf("status %d: %.500s", resp.StatusCode, answer)
		}
	}
}

// bundle is a transaction of one Patient and n Observations about them,
// every entry a POST with a urn:uuid fullUrl (about 1.1 kB an entry, as
// a laboratory's or a migration's results would be).
func bundle(n int) []byte {
	patient := "urn:uuid:" + uuid()
	entries := []any{map[string]any{
		"fullUrl":  patient,
		"resource": map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": "Burst", "given": []any{"Test"}}}, "gender": "female", "birthDate": "1970-01-01"},
		"request":  map[string]any{"method": "POST", "url": "Patient"},
	}}
	for i := range n {
		value := 60 + i%90
		entries = append(entries, map[string]any{
			"fullUrl": "urn:uuid:" + uuid(),
			"resource": map[string]any{
				"resourceType": "Observation",
				"status":       "final",
				"category": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs"}}}},
				"code": map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}},
					"text": "Heart rate"},
				"subject":           map[string]any{"reference": patient},
				"effectiveDateTime": time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
				"issued":            "2024-06-01T09:30:00Z",
				"valueQuantity":     map[string]any{"value": value, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"},
				"interpretation": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "N", "display": "Normal"}}}},
				"referenceRange": []any{map[string]any{
					"low":  map[string]any{"value": 60, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"},
					"high": map[string]any{"value": 100, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"}}},
				"note": []any{map[string]any{"text": fmt.Sprintf("Reading %d of the series, taken at rest after five minutes seated.", i+1)}},
			},
			"request": map[string]any{"method": "POST", "url": "Observation"},
		})
	}
	body, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries})
	if err != nil {
		panic(err)
	}
	return body
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func median(rs []result, f func(result) int64) int64 {
	v := make([]int64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}
