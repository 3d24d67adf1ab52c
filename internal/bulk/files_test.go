package bulk

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestListFiles: which files an import reads, and which it passes over
// with what reason.
func TestListFiles(t *testing.T) {
	const (
		patient = `{"resourceType":"Patient","id":"p1"}` + "\n"
		history = `{"resourceType":"Bundle","type":"history","entry":[]}` + "\n"
		log     = `{"exportId":"x","eventId":"kickoff"}` + "\n"
		outcome = `{"resourceType":"OperationOutcome","issue":[]}` + "\n"
	)
	manifest := func(output, errors string) string {
		return `{"transactionTime":"2025-01-01T00:00:00Z","request":"x","requiresAccessToken":false,"output":[` + output + `],"error":[` + errors + `]}`
	}
	tests := []struct {
		name    string
		files   map[string]string // relative to a fresh directory
		path    string            // imported, relative ("" for the directory)
		want    []string          // files read
		skipped []string          // "file: reason fragment"
		err     string
	}{
		{
			name:    "a folder by file names",
			files:   map[string]string{"Patient.ndjson": patient, "notes.txt": "x", "log.ndjson": log, "errors/OperationOutcome.ndjson": outcome, "b.json.gz": "{}"},
			want:    []string{"Patient.ndjson", "b.json.gz"},
			skipped: []string{"notes.txt: not a .json or .ndjson file", "log.ndjson: not FHIR NDJSON", "errors/OperationOutcome.ndjson: holds OperationOutcomes"},
		},
		{
			name:    "history supersedes current versions",
			files:   map[string]string{"Patient.ndjson": patient, "Patient.history.ndjson": history},
			want:    []string{"Patient.history.ndjson"},
			skipped: []string{"Patient.ndjson: its resources' versions are in Patient.history.ndjson"},
		},
		{
			name: "an export is read as its manifest lists it",
			files: map[string]string{"manifest.json": manifest(`{"type":"Patient","url":"Patient.ndjson"}`, ""), "README.md": "# x",
				"Patient.ndjson": patient, "Patient.history.ndjson": history, "Observation.ndjson": patient},
			want:    []string{"Patient.ndjson"},
			skipped: []string{"Patient.history.ndjson: not listed in", "Observation.ndjson: not listed in"},
		},
		{
			name: "named by its manifest",
			files: map[string]string{"manifest.json": manifest(`{"type":"Patient","url":"Patient.ndjson"}`, ""),
				"Patient.ndjson": patient, "Patient.2.ndjson": patient},
			path:    "manifest.json",
			want:    []string{"Patient.ndjson"},
			skipped: []string{"Patient.2.ndjson: not listed in"},
		},
		{
			name: "a server's download links and error files",
			files: map[string]string{"manifest.json": manifest(`{"type":"Patient","url":"https://ehr.example/bulk-files/job1/Patient.ndjson"}`, `{"type":"OperationOutcome","url":"https://ehr.example/bulk-files/job1/err.ndjson"}`),
				"Patient.ndjson.gz": patient, "err.ndjson": outcome, "old/Patient.ndjson": patient},
			want:    []string{"Patient.ndjson.gz"},
			skipped: []string{"err.ndjson: an error file of the export", "old: a folder inside an export"},
		},
		{
			name:  "a listed file is missing",
			files: map[string]string{"manifest.json": manifest(`{"type":"Patient","url":"Patient.ndjson"},{"type":"Observation","url":"Observation.ndjson"}`, ""), "Patient.ndjson": patient},
			err:   "lists Observation.ndjson, which is not in",
		},
		{
			name:  "a listed file outside the folder",
			files: map[string]string{"manifest.json": manifest(`{"type":"Patient","url":"../Patient.ndjson"}`, "")},
			err:   "points outside the export's folder",
		},
		{
			name:  "a mistyped path",
			path:  "nope",
			files: map[string]string{},
			err:   "nope: no such file or directory",
		},
		{
			name:  "a Bundle named manifest.json is no manifest",
			files: map[string]string{"manifest.json": `{"resourceType":"Bundle","type":"collection"}`},
			want:  []string{"manifest.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o750); err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, name, body)
			}
			files, skipped, err := listFiles([]string{filepath.Join(dir, tt.path)})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, strings.TrimPrefix(f, dir+string(filepath.Separator)))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("files %q, want %q", got, tt.want)
			}
			var said []string
			for _, s := range skipped {
				said = append(said, strings.TrimPrefix(s.String(), dir+string(filepath.Separator)))
			}
			if len(said) != len(tt.skipped) {
				t.Errorf("skipped:\n%s\nwant %d", strings.Join(said, "\n"), len(tt.skipped))
			}
			for _, want := range tt.skipped {
				file, reason, _ := strings.Cut(want, ": ")
				found := false
				for _, s := range said {
					found = found || strings.HasPrefix(s, file+": skipped: ") && strings.Contains(s, reason)
				}
				if !found {
					t.Errorf("no %q among skipped:\n%s", want, strings.Join(said, "\n"))
				}
			}
		})
	}
}

// TestTargetsFirst: the NDJSON records of the types references name are
// imported before the rest; histories, deletions and Bundles keep their
// place among the rest.
func TestTargetsFirst(t *testing.T) {
	files := []string{"d/Encounter.000.ndjson.gz", "d/Organization.000.ndjson.gz", "d/Patient.history.ndjson",
		"d/Patient.deleted.ndjson", "d/bundle.json", "d/Practitioner.ndjson", "d/Observation.ndjson"}
	got := targetsFirst(files)
	want := [][]string{{"d/Organization.000.ndjson.gz", "d/Practitioner.ndjson"},
		{"d/Encounter.000.ndjson.gz", "d/Patient.history.ndjson", "d/Patient.deleted.ndjson", "d/bundle.json", "d/Observation.ndjson"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targetsFirst = %q, want %q", got, want)
	}
}
