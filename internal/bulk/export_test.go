package bulk

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func seed(t *testing.T) store.Store {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var ws []store.Write
	for i := 0; i < 30; i++ {
		body := fmt.Sprintf(`{"resourceType":"Observation","id":"o%02d","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]}}`, i)
		ws = append(ws, store.Write{Version: store.Version{Type: "Observation", ID: fmt.Sprintf("o%02d", i), VersionID: 1, LastUpdated: t0.Add(time.Duration(i) * time.Hour), Method: "POST", Body: []byte(body)}})
	}
	ws = append(ws, store.Write{Version: store.Version{Type: "Patient", ID: "p1", VersionID: 1, LastUpdated: t0, Method: "POST",
		Body: []byte(`{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]}`)}})
	ws = append(ws, store.Write{Version: store.Version{Type: "Patient", ID: "gone", VersionID: 1, LastUpdated: t0, Method: "POST", Body: []byte(`{"resourceType":"Patient","id":"gone"}`)}})
	err = st.InTx(context.Background(), func(tx store.Tx) error {
		for _, w := range ws {
			if _, err := tx.Put(context.Background(), w); err != nil {
				return err
			}
		}
		_, err := tx.Put(context.Background(), store.Write{Version: store.Version{Type: "Patient", ID: "gone", VersionID: 2, LastUpdated: t0.Add(time.Hour), Method: "DELETE", Deleted: true}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestExport(t *testing.T) {
	st := seed(t)
	dir := t.TempDir()
	m, err := Export(context.Background(), st, ExportOptions{Dir: dir, MaxFileBytes: 1500, Request: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Summary.Resources != 31 || m.Summary.ByType["Observation"] != 30 || m.Summary.ByType["Patient"] != 1 {
		t.Errorf("summary %+v", m.Summary)
	}
	if m.Summary.CodeSystems["http://loinc.org"] != 30 || m.Summary.CodeSystems["https://fhir.nhs.uk/Id/nhs-number"] != 1 {
		t.Errorf("code systems %v", m.Summary.CodeSystems)
	}
	obsFiles, seen := 0, map[string]bool{}
	for _, f := range m.Output {
		data, err := os.ReadFile(filepath.Join(dir, f.URL))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data)) != f.Bytes {
			t.Errorf("%s: hash or size does not match the manifest", f.URL)
		}
		if f.Bytes > 1500 {
			t.Errorf("%s: %d bytes, over the split size", f.URL, f.Bytes)
		}
		lines := 0
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			var r map[string]any
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s line %d: %v", f.URL, lines+1, err)
			}
			if r["resourceType"] != f.Type || seen[r["id"].(string)] {
				t.Errorf("%s: unexpected or repeated %v", f.URL, r["id"])
			}
			seen[r["id"].(string)] = true
			lines++
		}
		if lines != f.Count {
			t.Errorf("%s: %d lines, manifest says %d", f.URL, lines, f.Count)
		}
		if f.Type == "Observation" {
			obsFiles++
		}
	}
	if obsFiles < 2 || seen["gone"] || len(seen) != 31 {
		t.Errorf("%d Observation files (want a split), deleted exported: %v, %d resources", obsFiles, seen["gone"], len(seen))
	}
	var onDisk Manifest
	data, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	if err := json.Unmarshal(data, &onDisk); err != nil || len(onDisk.Output) != len(m.Output) || onDisk.Request != "test" {
		t.Errorf("manifest on disk: %v %+v", err, onDisk)
	}
	readme, _ := os.ReadFile(filepath.Join(dir, DescriptionName))
	for _, want := range []string{"| Observation | 30 |", "http://loinc.org", "Resources: 31"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("description lacks %q", want)
		}
	}
}

func TestExportSinceAndTypes(t *testing.T) {
	st := seed(t)
	m, err := Export(context.Background(), st, ExportOptions{Dir: t.TempDir(), Types: []string{"Observation"}, Since: t0.Add(20 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Summary.Resources != 10 || len(m.Summary.ByType) != 1 {
		t.Errorf("since/type filter: %+v", m.Summary)
	}
	if _, err := Export(context.Background(), st, ExportOptions{Dir: t.TempDir(), Types: []string{"Nope"}}); err == nil {
		t.Error("unknown type accepted")
	}
}
