package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// The interaction benchmarks run over HTTP (in-process server, real
// store), so they include decoding, validation, storage and encoding.
// Run: go test -bench . -run '^$' ./internal/httpapi (PostgreSQL variants
// need GPCLOUD_TEST_POSTGRES).

func benchServers(b *testing.B, fn func(b *testing.B, ts *testServer)) {
	for _, s := range benchStores() {
		b.Run(s.name, func(b *testing.B) {
			fn(b, s.open(b))
		})
	}
}

func benchPost(b *testing.B, ts *testServer, path string, body []byte) map[string]any {
	resp, err := http.Post(ts.srv.URL+path, "application/fhir+json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		b.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
	}
	return out
}

func BenchmarkCreate(b *testing.B) {
	body, _ := json.Marshal(patient("Bench"))
	benchServers(b, func(b *testing.B, ts *testServer) {
		for b.Loop() {
			benchPost(b, ts, "/fhir/Patient", body)
		}
	})
}

func BenchmarkRead(b *testing.B) {
	body, _ := json.Marshal(patient("Bench"))
	benchServers(b, func(b *testing.B, ts *testServer) {
		id := benchPost(b, ts, "/fhir/Patient", body)["id"].(string)
		url := ts.srv.URL + "/fhir/Patient/" + id
		for b.Loop() {
			resp, err := http.Get(url)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(err, resp.StatusCode)
			}
			_, _ = bytes.NewBuffer(nil).ReadFrom(resp.Body)
			resp.Body.Close()
		}
	})
}

func BenchmarkUpdate(b *testing.B) {
	benchServers(b, func(b *testing.B, ts *testServer) {
		p := patient("Bench")
		p["id"] = "bench-update"
		body, _ := json.Marshal(p)
		url := ts.srv.URL + "/fhir/Patient/bench-update"
		for b.Loop() {
			req, _ := http.NewRequest("PUT", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/fhir+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode >= 300 {
				b.Fatal(err, resp.StatusCode)
			}
			_, _ = bytes.NewBuffer(nil).ReadFrom(resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkTransaction100 posts 100-entry transactions (50 Patients and 50
// Observations referring to them by urn:uuid); ns/op is per transaction.
func BenchmarkTransaction100(b *testing.B) {
	var entries []map[string]any
	for i := 0; i < 50; i++ {
		pu := fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i)
		entries = append(entries,
			entry(pu, "POST", "Patient", patient(fmt.Sprintf("P%d", i))),
			entry("", "POST", "Observation", map[string]any{
				"resourceType": "Observation", "status": "final",
				"code":          map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "27113001", "display": "Body weight"}}},
				"subject":       map[string]any{"reference": pu},
				"valueQuantity": map[string]any{"value": 72.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
			}))
	}
	body, _ := json.Marshal(bundle("transaction", entries...))
	benchServers(b, func(b *testing.B, ts *testServer) {
		for b.Loop() {
			benchPost(b, ts, "/fhir", body)
		}
		b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "resources/s")
	})
}

// BenchmarkConditionalCreate posts a Patient with If-None-Exist matching
// one that exists (the common case when a lab resends): the condition is
// locked, matched and answered 200 without a write.
func BenchmarkConditionalCreate(b *testing.B) {
	body, _ := json.Marshal(patient("Bench"))
	benchServers(b, func(b *testing.B, ts *testServer) {
		benchPost(b, ts, "/fhir/Patient", body)
		for b.Loop() {
			req, _ := http.NewRequest("POST", ts.srv.URL+"/fhir/Patient", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/fhir+json")
			req.Header.Set("If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(err, resp.StatusCode)
			}
			_, _ = bytes.NewBuffer(nil).ReadFrom(resp.Body)
			resp.Body.Close()
		}
	})
}
