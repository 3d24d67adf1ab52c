// Command appointmentbench measures the appointment book as a practice
// uses it: a practice of -clinicians clinicians with -weeks weeks of
// slots generated from their rotas (gpcloud admin slots), then over HTTP
// the free-slot search over two weeks, booking (one client, then
// -clients at once, each its own slots), and a receptionist's day of the
// book in the workspace.
//
//	go run ./bench/appointmentbench -store both
//
// The slots are offered to other organisations too: the benchmark books
// with a system token, which books as another organisation would.
//
// Targets (issue 16): free-slot search p95 < 50 ms; booking p95 < 50 ms
// and at least 200 bookings/s with 8 clients on PostgreSQL; a day's book
// p95 < 100 ms.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

const practice = "bench-practice"

func main() {
	storeFlag := flag.String("store", "sqlite", "sqlite, postgres or both")
	database := flag.String("database", os.Getenv("GPCLOUD_TEST_POSTGRES"), "PostgreSQL DSN; each run gets a fresh schema")
	binary := flag.String("binary", "", "gpcloud binary (default: go build ./cmd/gpcloud)")
	clinicians := flag.Int("clinicians", 20, "clinicians, each with a rota")
	weeks := flag.Int("weeks", 6, "weeks of slots")
	clients := flag.Int("clients", 8, "concurrent booking clients")
	bookings := flag.Int("bookings", 800, "bookings in the concurrent run")
	runs := flag.Int("runs", 100, "timed requests per single-client measurement")
	flag.Parse()
	stores, err := benchserver.Stores(*storeFlag)
	if err != nil {
		fail(err)
	}
	bin, err := benchserver.Build(*binary, "gpcloud-appointmentbench")
	if err != nil {
		fail(err)
	}
	for _, s := range stores {
		if err := run(bin, s, *database, *clinicians, *weeks, *clients, *bookings, *runs); err != nil {
			fail(fmt.Errorf("%s: %w", s, err))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "appointmentbench:", err)
	os.Exit(1)
}

func run(bin, storeName, dsn string, clinicians, weeks, clients, bookings, runs int) error {
	srv, err := benchserver.Start(bin, storeName, dsn)
	if err != nil {
		return err
	}
	defer srv.Stop()
	api := srv.Client(clients)
	if err := benchserver.Put(api, srv.Base+"/fhir/Organization/"+practice, `{"resourceType":"Organization","id":"`+practice+`","name":"Bench Practice"}`); err != nil {
		return err
	}
	// Two sessions a weekday, ten-minute slots: 42 a day per clinician.
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	sessions := []clinical.Session{
		{Days: weekdays, Start: "08:30", End: "12:00", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "face-to-face",
			BookableBy: []string{clinical.BookedByPractice, clinical.BookedOnline, clinical.BookedByGPConnect}},
		{Days: weekdays, Start: "14:00", End: "17:30", Minutes: 10, Category: clinical.NationalSlotCategories[0], Mode: "telephone",
			BookableBy: []string{clinical.BookedByPractice, clinical.BookedByGPConnect}},
	}
	start := time.Now()
	for i := 0; i < clinicians; i++ {
		pr := fmt.Sprintf("pr-%d", i)
		if err := benchserver.Put(api, srv.Base+"/fhir/Practitioner/"+pr, fmt.Sprintf(`{"resourceType":"Practitioner","id":"%s","name":[{"family":"Clinician%d","prefix":["Dr"]}]}`, pr, i)); err != nil {
			return err
		}
		sched := fhir.Resource{"resourceType": "Schedule", "id": "sch-" + pr, "active": true,
			"actor": []any{map[string]any{"reference": "Practitioner/" + pr}}}
		clinical.SetRota(sched, sessions, nil)
		body, _ := json.Marshal(sched)
		if err := benchserver.Put(api, srv.Base+"/fhir/Schedule/sch-"+pr, string(body)); err != nil {
			return err
		}
		args := append([]string{"admin", "slots", "--schedule", "sch-" + pr, "--weeks", fmt.Sprint(weeks)}, srv.StoreArgs...)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("admin slots: %w: %s", err, out)
		}
	}
	total, err := count(api, srv.Base+"/fhir/Slot?_summary=count")
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d clinicians, %d slots over %d weeks generated in %s\n", storeName, clinicians, total, weeks, time.Since(start).Round(time.Second))
	// Patients to book.
	for i := 0; i < 200; i++ {
		if err := benchserver.Put(api, fmt.Sprintf("%s/fhir/Patient/bp-%d", srv.Base, i), fmt.Sprintf(
			`{"resourceType":"Patient","id":"bp-%d","name":[{"family":"Booked%d"}],"managingOrganization":{"reference":"Organization/%s"}}`, i, i, practice)); err != nil {
			return err
		}
	}

	// Free-slot search over two weeks, a clinician at a time.
	from := time.Now().UTC()
	var lat []time.Duration
	for i := 0; i < runs; i++ {
		u := fmt.Sprintf("%s/fhir/Slot?schedule=Schedule/sch-pr-%d&status=free&start=ge%s&start=lt%s&_sort=start&_count=100",
			srv.Base, i%clinicians, from.Format(time.RFC3339), from.AddDate(0, 0, 14).Format(time.RFC3339))
		t0 := time.Now()
		if err := benchserver.Get(api, u); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	benchserver.Report(storeName, "free-slot search, one clinician, two weeks (GET /fhir/Slot)", lat)

	// Free slots to book, far enough ahead to be free of the day's past.
	free, err := freeSlots(api, srv.Base, from.AddDate(0, 0, 1), runs+bookings)
	if err != nil {
		return err
	}
	if len(free) < runs+bookings {
		return fmt.Errorf("only %d free slots for %d bookings", len(free), runs+bookings)
	}
	book := func(i int, s slot) error {
		body := fmt.Sprintf(`{"resourceType":"Appointment","status":"booked","start":"%s","end":"%s","slot":[{"reference":"Slot/%s"}],"participant":[{"actor":{"reference":"Patient/bp-%d"},"status":"accepted"}]}`,
			s.start, s.end, s.id, i%200)
		req, _ := http.NewRequest(http.MethodPost, srv.Base+"/fhir/Appointment", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/fhir+json")
		return benchserver.Do(api, req)
	}
	lat = lat[:0]
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		if err := book(i, free[i]); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	benchserver.Report(storeName, "booking, one client (POST /fhir/Appointment)", lat)

	rest := free[runs : runs+bookings]
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := c; i < len(rest); i += clients {
				t1 := time.Now()
				err := book(i, rest[i])
				mu.Lock()
				all = append(all, time.Since(t1))
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	elapsed := time.Since(t0)
	benchserver.Report(storeName, fmt.Sprintf("booking, %d clients at once", clients), all)
	fmt.Printf("%-8s %d bookings by %d clients in %s: %.0f bookings/s\n", storeName, len(rest), clients, elapsed.Round(time.Millisecond), float64(len(rest))/elapsed.Seconds())

	// A receptionist's day of the book, on a day with bookings.
	rec, err := benchserver.SignIn(bin, srv, "bench-reception", "receptionist", practice)
	if err != nil {
		return err
	}
	day := free[0].day
	lat = lat[:0]
	for i := 0; i < runs+5; i++ {
		t0 := time.Now()
		if err := benchserver.Get(rec, srv.Base+"/workspace/appointments?date="+day); err != nil {
			return err
		}
		if i >= 5 {
			lat = append(lat, time.Since(t0))
		}
	}
	benchserver.Report(storeName, fmt.Sprintf("a day of the book, %d clinicians (GET /workspace/appointments)", clinicians), lat)
	return nil
}

type slot struct{ id, start, end, day string }

// freeSlots reads n free slots from a time, a page at a time.
func freeSlots(c *http.Client, base string, from time.Time, n int) ([]slot, error) {
	var out []slot
	u := fmt.Sprintf("%s/fhir/Slot?status=free&start=ge%s&_sort=start&_count=1000", base, from.Format(time.RFC3339))
	for len(out) < n && u != "" {
		var b struct {
			Link []struct {
				Relation, URL string
			} `json:"link"`
			Entry []struct {
				Resource struct {
					ID    string `json:"id"`
					Start string `json:"start"`
					End   string `json:"end"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := getJSON(c, u, &b); err != nil {
			return nil, err
		}
		for _, e := range b.Entry {
			t, _ := time.Parse(time.RFC3339, e.Resource.Start)
			out = append(out, slot{e.Resource.ID, e.Resource.Start, e.Resource.End, t.In(clinical.UKTime).Format("2006-01-02")})
		}
		u = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				u = l.URL
			}
		}
	}
	return out, nil
}

func count(c *http.Client, u string) (int, error) {
	var b struct {
		Total int `json:"total"`
	}
	err := getJSON(c, u, &b)
	return b.Total, err
}

func getJSON(c *http.Client, u string, v any) error {
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %d %.300s", u, resp.StatusCode, body)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
