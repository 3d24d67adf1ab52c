// Command searchbench measures search latency over HTTP: it loads the
// Synthea set (and, with -copies 10, nine more copies with new ids and
// identifiers: about 650,000 resources) into a fresh gpcloud on SQLite
// and/or PostgreSQL, derives a query set from the data (a patient with
// many observations, its commonest code, its name and identifier), and
// runs each query -runs times in sequence, reporting p50 and p95.
//
//	go run ./bench/searchbench -store both -copies 1,10
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
)

// options compare two builds on one loaded store (a 10x load takes
// minutes; loading once keeps the comparison on identical data).
var opts struct {
	reuse, compare, only string
	keep                 bool
	rounds               int
}

type measurement struct {
	build     string
	round     int
	store     string
	copies    int
	resources int
	query     namedQuery
	matches   string
	p50, p95  time.Duration
}

func main() {
	var common benchserver.Common
	common.Register(flag.CommandLine)
	copiesFlag := flag.String("copies", "1", "comma-separated copy counts; each is a separate run on a fresh store")
	runs := flag.Int("runs", 50, "timed runs of each query (after 5 untimed)")
	clients := flag.Int("clients", 2, "loading clients")
	limit := flag.Int("limit", 0, "load only the first N patient bundles per copy (0: all)")
	flag.StringVar(&opts.reuse, "reuse", "", "run on the store a -keep run left (its data directory, or its DSN), loading nothing; -copies then only labels the figures")
	flag.BoolVar(&opts.keep, "keep", false, "leave the loaded store in place and print where it is, for -reuse")
	flag.StringVar(&opts.compare, "compare", "", "a second gpcloud binary: each round runs the queries on -binary's build, then on this one, on the same store")
	flag.IntVar(&opts.rounds, "rounds", 1, "rounds of the query set (with -compare, alternating the two builds)")
	flag.StringVar(&opts.only, "only", "", "run only the queries of this kind (selective or population)")
	flag.Parse()
	log.SetFlags(0)

	setup, err := common.Resolve("gpcloud-searchbench", *limit)
	if err != nil {
		log.Fatal(err)
	}
	copiesList, err := benchserver.Counts("copies", *copiesFlag)
	if err != nil {
		log.Fatal(err)
	}
	var all []measurement
	for _, st := range setup.Stores {
		for _, copies := range copiesList {
			ms, err := runOne(setup.Binary, st, common.Database, copies, *clients, *runs, setup.First, setup.Rest)
			if err != nil {
				log.Fatalf("store=%s copies=%d: %v", st, copies, err)
			}
			all = append(all, ms...)
		}
	}
	fmt.Println()
	fmt.Println("| build | round | store | copies | resources | query | kind | matches | p50 ms | p95 ms |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, m := range all {
		fmt.Printf("| %s | %d | %s | %d | %d | %s | %s | %s | %.1f | %.1f |\n", m.build, m.round, m.store, m.copies, m.resources, m.query.name, m.query.kind, m.matches,
			float64(m.p50.Microseconds())/1000, float64(m.p95.Microseconds())/1000)
	}
}

func runOne(bin, storeName, dsn string, copies, clients, runs int, first, rest []benchserver.Bundle) ([]measurement, error) {
	var srv *benchserver.Server
	var err error
	if opts.reuse != "" {
		srv, err = benchserver.StartExisting(bin, storeName, opts.reuse)
	} else {
		srv, err = benchserver.Start(bin, storeName, dsn)
	}
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	if opts.keep {
		log.Printf("store=%s copies=%d kept: -reuse '%s'", storeName, copies, srv.Keep())
	}
	client := srv.Client(clients)
	resources := 0
	start := time.Now()
	for k := 0; k < copies && opts.reuse == ""; k++ {
		bundles := rest
		if k > 0 {
			if bundles, err = benchserver.CloneBundles(rest, k); err != nil {
				return nil, err
			}
			first = nil // Organizations and Practitioners are shared
		}
		if _, err := benchserver.Load(client, srv.Base, clients, first, bundles); err != nil {
			return nil, err
		}
		for _, b := range append(append([]benchserver.Bundle(nil), first...), bundles...) {
			resources += b.Resources
		}
		log.Printf("store=%s copy %d/%d loaded: %d resources, %.0f/s overall", storeName, k+1, copies, resources, float64(resources)/time.Since(start).Seconds())
	}
	queries, err := deriveQueries(client, srv.Base)
	if err != nil {
		return nil, err
	}
	builds := []string{bin}
	if opts.compare != "" {
		builds = append(builds, opts.compare)
	}
	var out []measurement
	for round := 1; round <= opts.rounds; round++ {
		for bi, build := range builds {
			if len(builds) > 1 {
				if err := srv.Restart(build); err != nil {
					return nil, err
				}
			}
			name := map[int]string{0: "binary", 1: "compare"}[bi]
			for _, q := range queries {
				if opts.only != "" && q.kind != opts.only {
					continue
				}
				p50, p95, matches, err := measure(client, srv.Base+"/fhir/"+q.path, runs)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", q.name, err)
				}
				m := measurement{build: name, round: round, store: storeName, copies: copies, resources: resources, query: q, matches: matches, p50: p50, p95: p95}
				log.Printf("%s round %d store=%s copies=%d %-22s p50=%6.1fms p95=%6.1fms matches=%s  %s", name, round, storeName, copies, q.name,
					float64(p50.Microseconds())/1000, float64(p95.Microseconds())/1000, matches, q.path)
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// measure runs a query 5 times untimed, then runs times, and returns the
// median and 95th percentile latency and the match count.
func measure(c *http.Client, u string, runs int) (p50, p95 time.Duration, matches string, err error) {
	var times []time.Duration
	for i := 0; i < runs+5; i++ {
		start := time.Now()
		resp, err := c.Get(u)
		if err != nil {
			return 0, 0, "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, 0, "", err
		}
		elapsed := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			return 0, 0, "", fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
		}
		if i == 0 {
			var b struct {
				Total *int `json:"total"`
				Entry []struct {
					Search struct {
						Mode string `json:"mode"`
					} `json:"search"`
				} `json:"entry"`
			}
			_ = json.Unmarshal(body, &b)
			n, inc := 0, 0
			for _, e := range b.Entry {
				switch e.Search.Mode {
				case "match":
					n++
				case "include":
					inc++
				}
			}
			matches = strconv.Itoa(n)
			if b.Total != nil {
				matches += " of " + strconv.Itoa(*b.Total)
			}
			if inc > 0 {
				matches += fmt.Sprintf(" (+%d included)", inc)
			}
		}
		if i >= 5 {
			times = append(times, elapsed)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2], times[(len(times)*95+99)/100-1], matches, nil
}

type namedQuery struct {
	name, kind, path string
}

// deriveQueries picks the query parameters from the loaded data: the
// patient (of the first 50) with the most observations, its commonest
// observation code, its family name and first identifier.
func deriveQueries(c *http.Client, base string) ([]namedQuery, error) {
	var patients bundle
	if err := getJSON(c, base+"/fhir/Patient?_count=50&_sort=_id", &patients); err != nil {
		return nil, err
	}
	best, bestCount := "", -1
	for _, e := range patients.Entry {
		var obs bundle
		if err := getJSON(c, base+"/fhir/Observation?_summary=count&subject=Patient/"+e.Resource.ID, &obs); err != nil {
			return nil, err
		}
		if obs.Total != nil && *obs.Total > bestCount {
			best, bestCount = e.Resource.ID, *obs.Total
		}
	}
	if best == "" {
		return nil, fmt.Errorf("no patients loaded")
	}
	var patient resource
	if err := getJSON(c, base+"/fhir/Patient/"+best, &patient); err != nil {
		return nil, err
	}
	var obs bundle
	if err := getJSON(c, base+"/fhir/Observation?_count=1000&subject=Patient/"+best, &obs); err != nil {
		return nil, err
	}
	codes := map[string]int{}
	values := map[string][]float64{}
	for _, e := range obs.Entry {
		for _, cd := range e.Resource.Code.Coding {
			key := cd.System + "|" + cd.Code
			codes[key]++
			if e.Resource.ValueQuantity != nil {
				values[key] = append(values[key], e.Resource.ValueQuantity.Value)
			}
		}
	}
	code := ""
	for k, n := range codes {
		if len(values[k]) > 0 && (code == "" || n > codes[code] || n == codes[code] && k < code) {
			code = k
		}
	}
	if code == "" || len(patient.Name) == 0 || len(patient.Identifier) == 0 {
		return nil, fmt.Errorf("patient %s lacks a coded quantity, name or identifier", best)
	}
	vals := values[code]
	sort.Float64s(vals)
	threshold := strconv.FormatFloat(vals[len(vals)/2], 'f', -1, 64)
	family := patient.Name[0].Family
	ident := patient.Identifier[0].System + "|" + patient.Identifier[0].Value
	esc := url.QueryEscape
	return []namedQuery{
		{"obs-patient-code", "selective", "Observation?subject=Patient/" + best + "&code=" + esc(code) + "&_sort=-date"},
		{"conditions-active", "selective", "Condition?patient=" + best + "&clinical-status=active"},
		{"medications-active", "selective", "MedicationRequest?patient=" + best + "&status=active"},
		{"patient-name", "selective", "Patient?name=" + esc(family)},
		{"patient-identifier", "selective", "Patient?identifier=" + esc(ident)},
		{"chained-name-code", "selective", "Observation?subject:Patient.name=" + esc(family) + "&code=" + esc(code)},
		{"include-revinclude", "selective", "Encounter?patient=" + best + "&_count=20&_include=Encounter:participant&_revinclude=Observation:encounter"},
		{"obs-code-value", "population", "Observation?code=" + esc(code) + "&value-quantity=gt" + threshold},
		{"encounter-date", "population", "Encounter?date=ge2020-01-01&_count=50"},
		{"has-observation", "population", "Patient?_has:Observation:patient:code=" + esc(code) + "&_count=50"},
		// A code matching most of its type (Synthea files two in three
		// Observations as laboratory): its first page is streamed in id
		// order, without a total (sqlstore/streamed.go).
		{"obs-category", "population", "Observation?category=" + esc("http://terminology.hl7.org/CodeSystem/observation-category|laboratory")},
	}, nil
}

type bundle struct {
	Total *int `json:"total"`
	Entry []struct {
		Resource resource `json:"resource"`
	} `json:"entry"`
}

type resource struct {
	ID   string `json:"id"`
	Name []struct {
		Family string `json:"family"`
	} `json:"name"`
	Identifier []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Code struct {
		Coding []struct {
			System string `json:"system"`
			Code   string `json:"code"`
		} `json:"coding"`
	} `json:"code"`
	ValueQuantity *struct {
		Value float64 `json:"value"`
	} `json:"valueQuantity"`
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
