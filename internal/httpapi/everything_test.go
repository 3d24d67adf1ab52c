package httpapi_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// TestEverythingListsEachResourceOnce pages through a Synthea patient's
// $everything a few entries at a time, on each store: each resource of the
// patient's compartment (asked type by type through the compartment
// search) is a match on exactly one page and never an include; includes
// are what lies outside the compartment, at most once on a page (a
// practitioner referenced from several pages is included on each).
func TestEverythingListsEachResourceOnce(t *testing.T) {
	dir := filepath.Join(testdata.Dir(t), "synthea-r4")
	for _, so := range apiStores() {
		t.Run(so.name, func(t *testing.T) {
			ts := newTestServerOn(t, so.open(t), httpapi.Options{})
			var patient string
			for _, name := range []string{"hospitalInformation.json.gz", "practitionerInformation.json.gz", "0dae4422-bf65-475b-8d93-4c1382168951.json.gz"} {
				r := ts.do("POST", "/fhir", testdata.Gunzip(t, filepath.Join(dir, name))).expect(t, http.StatusOK)
				for _, e := range r.body["entry"].([]any) {
					loc, _ := e.(map[string]any)["response"].(map[string]any)["location"].(string)
					if strings.HasPrefix(loc, "Patient/") {
						patient = strings.Split(loc, "/")[1]
					}
				}
			}
			if patient == "" {
				t.Fatal("the bundle created no Patient")
			}

			want := map[string]bool{"Patient/" + patient: true}
			for _, typ := range definitions.ResourceTypes() {
				if typ == "Patient" || typ == "AuditEvent" || len(definitions.PatientCompartment(typ)) == 0 {
					continue
				}
				r := ts.do("GET", "/fhir/Patient/"+patient+"/"+typ+"?_count=1000", nil).expect(t, http.StatusOK)
				for _, id := range r.entryIDs("match") {
					want[id] = true
				}
			}

			matched := map[string]int{}   // "Type/id" -> page listing it as a match
			included := map[string]bool{} // listed as an include on some page
			matches, includes, pages := 0, 0, 0
			for next := "/fhir/Patient/" + patient + "/$everything?_count=7"; next != ""; pages++ {
				r := ts.do("GET", next, nil).expect(t, http.StatusOK)
				for _, id := range r.entryIDs("match") {
					if p, dup := matched[id]; dup {
						t.Errorf("%s is a match on page %d and again on page %d", id, p, pages+1)
					}
					if !want[id] {
						t.Errorf("match %s is not in the patient's compartment", id)
					}
					matched[id] = pages + 1
					matches++
				}
				onPage := map[string]bool{}
				for _, id := range r.entryIDs("include") {
					if want[id] {
						t.Errorf("%s of the compartment is an include (page %d)", id, pages+1)
					}
					if onPage[id] {
						t.Errorf("%s included twice on page %d", id, pages+1)
					}
					onPage[id], included[id] = true, true
					includes++
				}
				next = r.link("next")
			}
			for id := range included {
				if matched[id] > 0 {
					t.Errorf("%s is both a match and an include", id)
				}
			}
			for id := range want {
				if matched[id] == 0 {
					t.Errorf("%s of the compartment is missing from the matches", id)
				}
			}
			if matches != len(want) || pages < 10 || includes == 0 {
				t.Errorf("%d matches over %d pages (compartment %d), %d includes", matches, pages, len(want), includes)
			}
			t.Logf("%d pages: %d matches, each once (the whole compartment); %d includes of %d resources outside it, each at most once a page",
				pages, matches, includes, len(included))
		})
	}
}
