package bulk

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// TestLineReasons: an NDJSON line's failure names the file, the line and
// the line's resource, and places each issue in that resource, never in
// the Bundle the importer wrapped the line in.
func TestLineReasons(t *testing.T) {
	tests := []struct {
		line string
		want string // the problem, after "file:n: "
	}{
		{`{"resourceType":"Patient","id":"p2","gender":"nope"}`, `Patient/p2: Patient.gender: "nope" is not in the required value set`},
		{`{"resourceType":"Observation","id":"o1"}`, `Observation/o1: Observation.status: minimum cardinality is 1 but the element is missing; Observation.code: minimum cardinality is 1`},
		{`{"resourceType":"Patient","id":"p3","name":[{"given":[5]}]}`, `Patient/p3: Patient.name[0].given[0]: expected a JSON string`},
		{`{"resourceType":"Patient","id":"bad id"}`, `Patient/bad id: invalid resource id "bad id"`},
		{`{"resourceType":"Nope","id":"x"}`, `Nope/x: `},
		{`{"resourceType":"Encounter","status":"finished","class":{"code":"x"},"subject":{"reference":"Patient?identifier=urn:x|y"}}`, `Encounter: a conditional reference still matches no resource after every file was imported`},
		{`{"resourceType":"Bundle","type":"history","entry":[{"resource":{"resourceType":"Patient","id":"h1"},"request":{"method":"PUT","url":"Patient/h1"}},{"resource":{"resourceType":"Patient","id":"h1","gender":"nope"},"request":{"method":"PUT","url":"Patient/h1"}}]}`,
			`version 2 of Patient/h1: Patient.gender: "nope" is not in the required value set`},
	}
	dir := t.TempDir()
	var ndjson, history strings.Builder
	for _, tt := range tests {
		if strings.Contains(tt.line, `"history"`) {
			history.WriteString(tt.line + "\n")
		} else {
			ndjson.WriteString(tt.line + "\n")
		}
	}
	writeFile(t, dir, "a.ndjson", ndjson.String())
	writeFile(t, dir, "Patient.history.ndjson", history.String())
	sink, _ := newSink(t)
	res, err := Import(context.Background(), sink, []string{filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "Patient.history.ndjson")}, ImportOptions{BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	all := problemLines(res)
	n := 0
	for _, tt := range tests {
		file := "a.ndjson"
		if strings.Contains(tt.line, `"history"`) {
			file, n = "Patient.history.ndjson", 0
		}
		n++
		want := fmt.Sprintf("%s/%s:%d: %s", dir, file, n, tt.want)
		if !strings.Contains(all, want) {
			t.Errorf("no %q among\n%s", want, all)
		}
	}
	if strings.Contains(all, "Bundle.entry") {
		t.Errorf("a reason speaks of the wrapping Bundle:\n%s", all)
	}
}

func TestEntryReason(t *testing.T) {
	issue := func(expr, diag string) fhir.Issue {
		return fhir.Issue{Severity: "error", Code: "invalid", Diagnostics: diag, Expression: []string{expr}}
	}
	tests := []struct {
		name string
		typ  string
		err  error
		want string
	}{
		{"an element", "Patient", &fhir.Error{Status: 400, Issues: []fhir.Issue{issue("Bundle.entry[0].resource.gender", `Bundle.entry[0]: "nope" is not allowed`)}}, `Patient.gender: "nope" is not allowed`},
		{"the path already said", "Patient", &fhir.Error{Status: 400, Issues: []fhir.Issue{issue("Bundle.entry[0].resource.name", "Bundle.entry[0]: Patient.name: too many")}}, "Patient.name: too many"},
		{"the request", "Patient", &fhir.Error{Status: 400, Issues: []fhir.Issue{issue("Bundle.entry[0].request.url", "Bundle.entry[0]: bad url")}}, "bad url"},
		{"wrapped", "Patient", fmt.Errorf("version 2 of Patient/p: %w", &fhir.Error{Status: 400, Issues: []fhir.Issue{issue("Bundle.entry[0].resource", "Bundle.entry[0]: bad")}}), "version 2 of Patient/p: bad"},
		{"not a FHIR error", "Patient", errors.New("disk full\nreally"), "disk full really"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := entryReason(tt.typ, tt.err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
