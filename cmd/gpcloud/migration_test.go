package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestMigrationKeepsBothTrails: a practice's data moves from A to B
// through an extract. A's trail verifies in A and in the extract; the
// import into B writes nothing to B's trail but its own events, so B's
// verifies too; importing again changes nothing; a tampered extract is
// found out.
func TestMigrationKeepsBothTrails(t *testing.T) {
	in := t.TempDir()
	for i := 0; i < 5; i++ {
		var entries []any
		for j := 0; j < 4; j++ {
			pu := fmt.Sprintf("urn:uuid:10000000-0000-4000-8000-%06d%06d", i, j)
			entries = append(entries,
				map[string]any{"fullUrl": pu, "resource": map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": fmt.Sprintf("Mig%d-%d", i, j)}}},
					"request": map[string]any{"method": "POST", "url": "Patient"}},
				map[string]any{"resource": map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "weight"},
					"subject": map[string]any{"reference": pu}}, "request": map[string]any{"method": "POST", "url": "Observation"}})
		}
		body, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries})
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("b%d.json", i)), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := t.TempDir()
	b := []string{"--data", t.TempDir()}
	if os.Getenv(storetest.PostgresEnv) != "" {
		b = []string{"--database", storetest.PostgresDSN(t)}
	}
	mustRun := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("gpcloud %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	mustRun("admin", "init", "--data", a)
	mustRun(append([]string{"admin", "init"}, b...)...)
	mustRun("import", "--data", a, in)
	extract := filepath.Join(t.TempDir(), "extract")
	mustRun("export", "--data", a, "--out", extract)
	if _, err := os.Stat(filepath.Join(extract, "AuditEvent.ndjson")); err != nil {
		t.Fatalf("the extract has no audit trail: %v", err)
	}
	for _, args := range [][]string{{"--data", a}, {"--extract", extract}} {
		if out := mustRun(append([]string{"admin", "audit", "verify"}, args...)...); !strings.Contains(out, "intact") {
			t.Errorf("verify %v: %s", args, out)
		}
	}
	out := mustRun(append(append([]string{"import"}, b...), extract)...)
	if !strings.Contains(out, "imported 40 resources") {
		t.Errorf("import into B: %s", out)
	}
	exportB := func() string {
		dir := filepath.Join(t.TempDir(), "b")
		mustRun(append(append([]string{"export"}, b...), "--out", dir, "--type", "Patient,Observation")...)
		var all []string
		for _, f := range []string{"Patient.ndjson", "Observation.ndjson"} {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, string(data))
		}
		return strings.Join(all, "")
	}
	first := exportB()
	mustRun(append(append([]string{"import"}, b...), extract)...)
	if again := exportB(); again != first {
		t.Error("importing the extract again changed B")
	}
	if out := mustRun(append([]string{"admin", "audit", "verify"}, b...)...); !strings.Contains(out, "intact") {
		t.Errorf("B's trail after the import: %s", out)
	}
	// A changed event in the extract is found.
	path := filepath.Join(extract, "AuditEvent.ndjson")
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, bytes.Replace(data, []byte(`"action":"C"`), []byte(`"action":"R"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"admin", "audit", "verify", "--extract", extract}, &stdout, &stderr); code != 1 || !strings.Contains(stdout.String(), "BROKEN") {
		t.Errorf("a tampered extract: exit %d, %s", code, stdout.String())
	}
}
