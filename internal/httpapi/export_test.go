package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

func TestBulkExport(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	jobsDir := t.TempDir()
	jobs, err := bulk.OpenJobs(jobsDir, st, time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Close()
	ts := newTestServerOn(t, st, httpapi.Options{Exports: jobs})
	seedSearch(ts)
	ts.do("PUT", "/fhir/Practitioner/dr", `{"resourceType":"Practitioner","id":"dr"}`).expect(t, http.StatusCreated)

	ts.do("GET", "/fhir/$export", nil).expect(t, http.StatusBadRequest) // no Prefer: respond-async
	ts.do("GET", "/fhir/$export?_outputFormat=text/csv", nil, "Prefer", "respond-async").expect(t, http.StatusBadRequest)
	ts.do("GET", "/fhir/Group/nope/$export", nil, "Prefer", "respond-async").expect(t, http.StatusNotFound)
	ts.do("GET", "/fhir/$export?_typeFilter=Observation%3Fnope%3D1", nil, "Prefer", "respond-async").expect(t, http.StatusBadRequest)

	kick := ts.do("GET", "/fhir/Patient/$export?_type=Patient,Observation,Practitioner", nil, "Prefer", "respond-async").expect(t, http.StatusAccepted)
	status := kick.header.Get("Content-Location")
	if !strings.Contains(status, "/bulk-status/") {
		t.Fatalf("Content-Location %q", status)
	}
	counts, request, firstURL := exportCounts(t, ts, status)
	// Patient level keeps the Patient compartment's types: not Practitioner.
	if counts["Patient"] != 2 || counts["Observation"] != 3 || counts["Practitioner"] != 0 || !strings.Contains(request, "Patient/$export") {
		t.Errorf("exported %v, request %q", counts, request)
	}

	// Group level with a _typeFilter: member a's compartment, and of its
	// observations only those over 75.
	ts.do("PUT", "/fhir/Group/g1", `{"resourceType":"Group","id":"g1","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/a"}}]}`).expect(t, http.StatusCreated)
	kick = ts.do("GET", "/fhir/Group/g1/$export?_type=Patient,Observation&_typeFilter=Observation%3Fvalue-quantity%3Dgt75", nil, "Prefer", "respond-async").expect(t, http.StatusAccepted)
	got, _, _ := exportCounts(t, ts, kick.header.Get("Content-Location"))
	if got["Patient"] != 1 || got["Observation"] != 1 {
		t.Errorf("group export with _typeFilter: %v", got)
	}

	// The job survives a restart of the job runner.
	jobs.Close()
	again, err := bulk.OpenJobs(jobsDir, st, time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	id := status[strings.LastIndexByte(status, '/')+1:]
	if job, err := again.Get(id); err != nil || job.State != bulk.JobCompleted {
		t.Errorf("after restart: %+v %v", job, err)
	}

	ts.do("DELETE", status, nil).expect(t, http.StatusAccepted)
	ts.do("GET", status, nil).expect(t, http.StatusNotFound)
	resp, _ := http.Get(firstURL)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("file after delete: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

// exportCounts polls a status URL to completion (checking the headers of
// each 202), reads every file, checks its line count against the
// manifest, and returns the counts per type, the manifest's request and
// the first file's URL.
func exportCounts(t *testing.T, ts *testServer, status string) (map[string]int, string, string) {
	t.Helper()
	var r response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r = ts.do("GET", status, nil)
		if r.status != http.StatusAccepted || time.Now().After(deadline) {
			break
		}
		if r.header.Get("Retry-After") == "" || r.header.Get("X-Progress") == "" {
			t.Fatalf("polling: %v", r.header)
		}
	}
	r.expect(t, http.StatusOK)
	var manifest struct {
		Request string `json:"request"`
		Output  []struct {
			Type, URL string
			Count     int
		} `json:"output"`
	}
	if err := json.Unmarshal(r.raw, &manifest); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, o := range manifest.Output {
		resp, err := http.Get(o.URL)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Type") != "application/fhir+ndjson" {
			t.Errorf("%s: Content-Type %q", o.URL, resp.Header.Get("Content-Type"))
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			counts[o.Type]++
		}
		resp.Body.Close()
		if counts[o.Type] != o.Count {
			t.Errorf("%s: %d lines, manifest says %d", o.Type, counts[o.Type], o.Count)
		}
	}
	first := ""
	if len(manifest.Output) > 0 {
		first = manifest.Output[0].URL
	}
	return counts, manifest.Request, first
}
