// Command workspacebench measures the staff workspace as a GP uses it,
// over HTTP with a signed-in session: the patient search as they type,
// and the record summary of the patient with the largest record, with the
// Synthea set loaded -copies times into one practice.
//
//	go run ./bench/workspacebench -store both -copies 1,10
//
// Targets (issue 15): search p95 < 30 ms, summary p95 < 100 ms at 10x.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
)

const practice = "bench-practice"

func main() {
	var common benchserver.Common
	common.Register(flag.CommandLine)
	copiesFlag := flag.String("copies", "1", "comma-separated copy counts; each is a separate run on a fresh store")
	limit := flag.Int("limit", 0, "load only the first N patient bundles per copy (0: all)")
	runs := flag.Int("runs", 50, "timed requests per measurement")
	flag.Parse()
	copies, err := benchserver.Counts("copies", *copiesFlag)
	if err == nil {
		err = run(common, copies, *limit, *runs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "workspacebench:", err)
		os.Exit(1)
	}
}

func run(common benchserver.Common, copies []int, limit, runs int) error {
	setup, err := common.Resolve("gpcloud-workspacebench", limit)
	if err != nil {
		return err
	}
	for _, storeName := range setup.Stores {
		for _, n := range copies {
			if err := runOne(setup, storeName, common.Database, n, runs); err != nil {
				return fmt.Errorf("%s, %dx: %w", storeName, n, err)
			}
		}
	}
	return nil
}

func runOne(setup benchserver.Setup, storeName, dsn string, copies, runs int) error {
	srv, err := benchserver.Start(setup.Binary, storeName, dsn)
	if err != nil {
		return err
	}
	defer srv.Stop()
	api := srv.Client(4)
	org := `{"resourceType":"Organization","id":"` + practice + `","name":"Bench Practice"}`
	if err := benchserver.Put(api, srv.Base+"/fhir/Organization/"+practice, org); err != nil {
		return err
	}
	// Every patient of every copy registered at the practice.
	var rest []benchserver.Bundle
	largest, largestSize := "", 0
	for k := 0; k < copies; k++ {
		bs := setup.Rest
		if k > 0 {
			if bs, err = benchserver.CloneBundles(setup.Rest, k); err != nil {
				return err
			}
		}
		for _, b := range bs {
			reg, ident, err := register(b)
			if err != nil {
				return err
			}
			rest = append(rest, reg)
			if b.Resources > largestSize {
				largest, largestSize = ident, b.Resources
			}
		}
	}
	start := time.Now()
	if _, err := benchserver.Load(api, srv.Base, 4, setup.First, rest); err != nil {
		return err
	}
	fmt.Printf("%s, %dx: loaded %d bundles in %s\n", storeName, copies, len(rest)+len(setup.First), time.Since(start).Round(time.Second))

	gp, err := benchserver.SignIn(setup.Binary, srv, "bench-gp", "gp", practice)
	if err != nil {
		return err
	}
	csrf, err := benchserver.PageCSRF(gp, srv.Base+"/workspace/")
	if err != nil {
		return err
	}
	// What a receptionist or GP types: three letters of a surname, the
	// surname, the surname and a first name.
	names, err := familyNames(api, srv.Base, 30)
	if err != nil {
		return err
	}
	var queries []string
	for _, n := range names {
		queries = append(queries, n.family[:min(3, len(n.family))], n.family, n.family+" "+n.given)
	}
	search := time.Duration(0)
	var lat []time.Duration
	for i := 0; i < runs+len(queries); i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		if err := benchserver.PostForm(gp, srv.Base+"/workspace/search", url.Values{"csrf": {csrf}, "q": {q}}); err != nil {
			return err
		}
		if i >= len(queries)/3 { // the first few warm up
			lat = append(lat, time.Since(t0))
		}
		search += time.Since(t0)
	}
	report(storeName, copies, "patient search as you type (POST /workspace/search)", lat)

	id, err := patientID(api, srv.Base, largest)
	if err != nil {
		return err
	}
	lat = lat[:0]
	for i := 0; i < runs+5; i++ {
		t0 := time.Now()
		if err := benchserver.Get(gp, srv.Base+"/workspace/patients/"+id); err != nil {
			return err
		}
		if i >= 5 {
			lat = append(lat, time.Since(t0))
		}
	}
	report(storeName, copies, fmt.Sprintf("record summary of the largest record (%d resources)", largestSize), lat)
	return nil
}

// register sets the Patient of a bundle at the practice, and returns the
// bundle and the Patient's first identifier (system|value).
func register(b benchserver.Bundle) (benchserver.Bundle, string, error) {
	var doc map[string]any
	if err := json.Unmarshal(b.Body, &doc); err != nil {
		return b, "", err
	}
	ident := ""
	entries, _ := doc["entry"].([]any)
	for _, e := range entries {
		res, _ := e.(map[string]any)["resource"].(map[string]any)
		if res["resourceType"] != "Patient" {
			continue
		}
		res["managingOrganization"] = map[string]any{"reference": "Organization/" + practice}
		if ids, _ := res["identifier"].([]any); len(ids) > 0 {
			m, _ := ids[0].(map[string]any)
			ident = fmt.Sprint(m["system"]) + "|" + fmt.Sprint(m["value"])
		}
	}
	body, err := json.Marshal(doc)
	b.Body = body
	return b, ident, err
}

type name struct{ family, given string }

// familyNames reads names of the first n patients.
func familyNames(c *http.Client, base string, n int) ([]name, error) {
	resp, err := c.Get(fmt.Sprintf("%s/fhir/Patient?_count=%d&_elements=name", base, n))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b struct {
		Entry []struct {
			Resource struct {
				Name []struct {
					Family string   `json:"family"`
					Given  []string `json:"given"`
				} `json:"name"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		return nil, err
	}
	var out []name
	for _, e := range b.Entry {
		if len(e.Resource.Name) > 0 && e.Resource.Name[0].Family != "" && len(e.Resource.Name[0].Given) > 0 {
			// Synthea's names carry digits (Smith123): what staff type is the letters.
			out = append(out, name{strings.TrimRight(e.Resource.Name[0].Family, "0123456789"), strings.TrimRight(e.Resource.Name[0].Given[0], "0123456789")})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no patient names found")
	}
	return out, nil
}

// patientID finds the server's id of the Patient with an identifier.
func patientID(c *http.Client, base, ident string) (string, error) {
	ids, err := benchserver.SearchIDs(c, base+"/fhir/Patient?_elements=id&identifier="+url.QueryEscape(ident))
	if err != nil || len(ids) == 0 {
		return "", fmt.Errorf("no Patient with identifier %s (%v)", ident, err)
	}
	return ids[0], nil
}

func report(storeName string, copies int, what string, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%-8s %3dx  %-62s p50 %7.1f ms  p95 %7.1f ms  (%d runs)\n", storeName, copies, what, p(0.5), p(0.95), len(lat))
}
