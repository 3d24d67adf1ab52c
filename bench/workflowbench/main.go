// Command workflowbench measures the results inbox as a practice meets
// it: labs posting results through the FHIR API (transaction Bundles of
// DiagnosticReports, each with its Observations contained and the patient
// described by NHS number, date of birth and name, as
// internal/pathfeed builds them), the background intake sorting them into
// records or onto the list to be matched, and a GP opening the inbox.
//
//	go run ./bench/workflowbench -store both
//
// In two phases: first -waiting results are posted and sorted and the
// GP's inbox page is timed with them waiting to be filed; then the rest
// of -results are posted. Reported: results posted per second (all
// phases), the time from the last post until nothing is left unsorted
// (the intake runs every few seconds in gpcloud serve), how long each
// result waited to be sorted (p50/p95 over a sample, from its versions'
// lastUpdated), and the inbox page's latency.
//
// Targets (issue 18): intake of 10,000 results (one DiagnosticReport + 10
// Observations each) through the API, results/s and time to appear in the
// inbox; the inbox page with 2,000 waiting items p95 < 100 ms.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/pathfeed"
)

const practice = "bench-practice"

func main() {
	storeFlag := flag.String("store", "sqlite", "sqlite, postgres or both")
	database := flag.String("database", os.Getenv("GPCLOUD_TEST_POSTGRES"), "PostgreSQL DSN; each run gets a fresh schema")
	binary := flag.String("binary", "", "gpcloud binary (default: go build ./cmd/gpcloud)")
	results := flag.Int("results", 10000, "results posted in all")
	waiting := flag.Int("waiting", 2000, "results waiting to be filed when the inbox page is timed")
	patients := flag.Int("patients", 1000, "patients of the practice")
	perBundle := flag.Int("bundle", 50, "results per transaction Bundle")
	clients := flag.Int("clients", 4, "labs posting at once")
	runs := flag.Int("runs", 50, "timed inbox pages")
	flag.Parse()
	if *waiting > *results {
		fail(fmt.Errorf("-waiting %d is more than -results %d", *waiting, *results))
	}
	stores, err := benchserver.Stores(*storeFlag)
	if err != nil {
		fail(err)
	}
	bin, err := benchserver.Build(*binary, "gpcloud-workflowbench")
	if err != nil {
		fail(err)
	}
	for _, s := range stores {
		b := bench{bin: bin, store: s, dsn: *database, results: *results, waiting: *waiting, patients: *patients,
			perBundle: *perBundle, clients: *clients, runs: *runs}
		if err := b.run(); err != nil {
			fail(fmt.Errorf("%s: %w", s, err))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "workflowbench:", err)
	os.Exit(1)
}

type bench struct {
	bin, store, dsn                                      string
	results, waiting, patients, perBundle, clients, runs int
	srv                                                  *benchserver.Server
	api                                                  *http.Client
	posting                                              time.Duration
	ids                                                  []string
}

func (b *bench) run() error {
	srv, err := benchserver.Start(b.bin, b.store, b.dsn)
	if err != nil {
		return err
	}
	defer srv.Stop()
	b.srv, b.api = srv, srv.Client(b.clients)
	if err := benchserver.Put(b.api, srv.Base+"/fhir/Organization/"+practice, `{"resourceType":"Organization","id":"`+practice+`","name":"Bench Practice"}`); err != nil {
		return err
	}
	for i := 0; i < b.patients; i++ {
		if err := benchserver.Put(b.api, fmt.Sprintf("%s/fhir/Patient/wp-%d", srv.Base, i), patient(i)); err != nil {
			return err
		}
	}
	// Phase 1: what waits to be filed when the GP opens the inbox.
	if err := b.post(0, b.waiting); err != nil {
		return err
	}
	if _, err := b.sorted(); err != nil {
		return err
	}
	gp, err := benchserver.SignIn(b.bin, srv, "bench-gp", "gp", practice)
	if err != nil {
		return err
	}
	var lat []time.Duration
	for i := 0; i < b.runs+5; i++ {
		t0 := time.Now()
		if err := benchserver.Get(gp, srv.Base+"/workspace/inbox"); err != nil {
			return err
		}
		if i >= 5 {
			lat = append(lat, time.Since(t0))
		}
	}
	benchserver.Report(b.store, fmt.Sprintf("the GP's inbox with %d results waiting (GET /workspace/inbox)", b.waiting), lat)

	// Phase 2: the rest.
	if err := b.post(b.waiting, b.results); err != nil {
		return err
	}
	appear, err := b.sorted()
	if err != nil {
		return err
	}
	fmt.Printf("%-8s %d results (1 DiagnosticReport + 10 Observations each, %d per Bundle, %d labs at once) posted in %s: %.0f results/s, %.0f resources/s\n",
		b.store, b.results, b.perBundle, b.clients, b.posting.Round(time.Millisecond),
		float64(b.results)/b.posting.Seconds(), float64(b.results*11)/b.posting.Seconds())
	fmt.Printf("%-8s all sorted %s after the last post\n", b.store, appear.Round(time.Millisecond))
	waits, err := b.waits(200)
	if err != nil {
		return err
	}
	benchserver.Report(b.store, "time from a result's arrival to its sorting (sample of 200)", waits)
	var filed, match int
	if filed, err = b.count(clinical.InboxToFile); err != nil {
		return err
	}
	if match, err = b.count(clinical.InboxToMatch); err != nil {
		return err
	}
	fmt.Printf("%-8s %d to file, %d to be matched (every tenth names a surname that differs)\n", b.store, filed, match)
	return nil
}

// nhsNumber is the i-th valid NHS number of the 999 test range.
func nhsNumber(i int) string {
	for n := 999000000 + i*3; ; n++ {
		s := strconv.Itoa(n)
		sum := 0
		for k := 0; k < 9; k++ {
			sum += int(s[k]-'0') * (10 - k)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return s + strconv.Itoa(check)
		}
	}
}

func patient(i int) string {
	p := fhir.Resource{"resourceType": "Patient", "id": fmt.Sprintf("wp-%d", i), "active": true,
		"identifier": []any{map[string]any{"system": clinical.NHSNumberSystem, "value": nhsNumber(i),
			"extension": []any{map[string]any{"url": clinical.NHSVerificationURL, "valueCodeableConcept": map[string]any{
				"coding": []any{map[string]any{"system": clinical.NHSVerificationSystem, "code": clinical.NHSVerified}}}}}}},
		"name":                 []any{map[string]any{"family": fmt.Sprintf("Family%d", i), "given": []any{"Given"}}},
		"birthDate":            birthDate(i),
		"managingOrganization": map[string]any{"reference": "Organization/" + practice}}
	body, _ := json.Marshal(p)
	return string(body)
}

func birthDate(i int) string {
	return time.Date(1940+i%70, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// result is the n-th result: a full blood count of ten tests, one of them
// abnormal every third result; every tenth names a surname that differs
// from the record's (it must wait to be matched by hand).
func (b *bench) result(n int) fhir.Resource {
	i := n % b.patients
	family := fmt.Sprintf("Family%d", i)
	if n%10 == 9 {
		family = "Someoneelse"
	}
	var tests []pathfeed.Test
	for k := 0; k < 10; k++ {
		t := pathfeed.Test{Name: fmt.Sprintf("Test %d", k), Unit: "g/L", Value: 130, Low: 115, High: 165}
		if k == 0 && n%3 == 0 {
			t.Value, t.Interpretation = 98, "L"
		}
		tests = append(tests, t)
	}
	return pathfeed.Report{Patient: pathfeed.Patient{NHSNumber: nhsNumber(i), BirthDate: birthDate(i), Family: family, Given: "Given"},
		Title: "Full blood count", Lab: "Bench Lab", Issued: time.Now(), Tests: tests}.Resource()
}

// post sends results [from, to) in transaction Bundles from b.clients
// labs at once.
func (b *bench) post(from, to int) error {
	var bundles [][]byte
	for start := from; start < to; start += b.perBundle {
		var entries []any
		for n := start; n < to && n < start+b.perBundle; n++ {
			entries = append(entries, map[string]any{"resource": map[string]any(b.result(n)), "request": map[string]any{"method": "POST", "url": "DiagnosticReport"}})
		}
		body, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries})
		if err != nil {
			return err
		}
		bundles = append(bundles, body)
	}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	next := 0
	t0 := time.Now()
	for c := 0; c < b.clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(bundles) || firstErr != nil {
					mu.Unlock()
					return
				}
				body := bundles[next]
				next++
				mu.Unlock()
				ids, err := b.transaction(body)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				b.ids = append(b.ids, ids...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.posting += time.Since(t0)
	return firstErr
}

func (b *bench) transaction(body []byte) ([]string, error) {
	req, _ := http.NewRequest(http.MethodPost, b.srv.Base+"/fhir", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err := b.api.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST transaction: %d %.300s", resp.StatusCode, raw)
	}
	var out struct {
		Entry []struct {
			Response struct {
				Location string `json:"location"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range out.Entry {
		// DiagnosticReport/{id}/_history/1
		parts := strings.Split(e.Response.Location, "/")
		id := ""
		for k := 0; k+1 < len(parts); k++ {
			if parts[k] == "DiagnosticReport" {
				id = parts[k+1]
			}
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// sorted waits until nothing is left unsorted and says how long that
// took from the call.
func (b *bench) sorted() (time.Duration, error) {
	t0 := time.Now()
	for {
		n, err := b.count(clinical.InboxReceived)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return time.Since(t0), nil
		}
		if time.Since(t0) > 30*time.Minute {
			return 0, fmt.Errorf("%d results still unsorted after 30 minutes", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *bench) count(state string) (int, error) {
	resp, err := b.api.Get(b.srv.Base + "/fhir/DiagnosticReport?_summary=count&_tag=" + clinical.InboxTagSystem + "|" + state)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Total int `json:"total"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("count %s: %d", state, resp.StatusCode)
	}
	return out.Total, json.NewDecoder(resp.Body).Decode(&out)
}

// waits reads, for a sample of the results, the time between their
// arrival (version 1) and their sorting (version 2).
func (b *bench) waits(sample int) ([]time.Duration, error) {
	var out []time.Duration
	step := len(b.ids) / sample
	if step == 0 {
		step = 1
	}
	for k := 0; k < len(b.ids) && len(out) < sample; k += step {
		var h struct {
			Entry []struct {
				Resource struct {
					Meta struct {
						VersionID   string `json:"versionId"`
						LastUpdated string `json:"lastUpdated"`
					} `json:"meta"`
				} `json:"resource"`
			} `json:"entry"`
		}
		resp, err := b.api.Get(b.srv.Base + "/fhir/DiagnosticReport/" + b.ids[k] + "/_history")
		if err != nil {
			return nil, err
		}
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		at := map[string]time.Time{}
		for _, e := range h.Entry {
			t, _ := time.Parse(time.RFC3339Nano, e.Resource.Meta.LastUpdated)
			at[e.Resource.Meta.VersionID] = t
		}
		if !at["1"].IsZero() && !at["2"].IsZero() {
			out = append(out, at["2"].Sub(at["1"]))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
