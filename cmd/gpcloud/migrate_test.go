package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestMigrateWhileSourceRuns: gpcloud migrate pulls a source server's
// records into a store on another engine while the source is written to
// (creates, updates, deletes), each pull a separate run going on from the
// last; after writes stop, one last pull (the cut-over) leaves both
// holding the same records.
func TestMigrateWhileSourceRuns(t *testing.T) {
	bin := binary(t)
	srcData := t.TempDir()
	mustExec := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("gpcloud %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	mustExec("admin", "init", "--data", srcData)
	tokOut, err := exec.Command(bin, "admin", "token", "--data", srcData, "--scope", "system/*.read system/*.write", "--ttl", "30m").Output()
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tokOut))
	src := startServer(t, bin, "--data", srcData)
	target := []string{"--data", t.TempDir()}
	if os.Getenv(storetest.PostgresEnv) != "" {
		target = []string{"--database", storetest.PostgresDSN(t)}
	}
	mustExec(append([]string{"admin", "init"}, target...)...)

	do := func(method, path string, body any) int {
		var rd *bytes.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			rd = bytes.NewReader(data)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, src.base+"/fhir/"+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	patientBody := func(id, family string) map[string]any {
		return map[string]any{"resourceType": "Patient", "id": id, "name": []any{map[string]any{"family": family}}}
	}
	for i := 0; i < 20; i++ {
		do("PUT", fmt.Sprintf("Patient/p%d", i), patientBody(fmt.Sprintf("p%d", i), "Before"))
	}
	// The practice keeps working in the old system meanwhile.
	stop := make(chan struct{})
	var writes atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			id := fmt.Sprintf("p%d", i%20)
			switch i % 4 {
			case 0, 1:
				do("PUT", "Patient/"+id, patientBody(id, fmt.Sprintf("Changed%d", i)))
			case 2:
				do("POST", "Observation", map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "bp"},
					"subject": map[string]any{"reference": "Patient/" + id}})
			case 3:
				do("DELETE", fmt.Sprintf("Patient/p%d", (i*7)%20), nil)
			}
			writes.Add(1)
		}
	}()
	migrateArgs := append([]string{"migrate", "--from", src.base + "/fhir", "--token", token, "--once"}, target...)
	for pull := 0; pull < 3; pull++ {
		out := mustExec(migrateArgs...)
		if !strings.Contains(out, fmt.Sprintf("pull %d", pull+1)) {
			t.Errorf("pull %d: %s", pull+1, out)
		}
	}
	close(stop)
	wg.Wait()
	out := mustExec(migrateArgs...) // the cut-over
	t.Logf("%d writes to the source during the migration; last pull: %s", writes.Load(), strings.TrimSpace(out))

	exported := func(args ...string) map[string]string {
		dir := filepath.Join(t.TempDir(), "x")
		mustExec(append([]string{"export", "--out", dir, "--type", "Patient,Observation"}, args...)...)
		out := map[string]string{}
		for _, name := range []string{"Patient.ndjson", "Observation.ndjson"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				delete(m, "meta")
				body, _ := json.Marshal(m)
				out[fmt.Sprint(m["resourceType"], "/", m["id"])] = string(body)
			}
		}
		return out
	}
	want, got := exported("--data", srcData), exported(target...)
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("the source holds %d records, the target %d", len(want), len(got))
	}
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d records differ after the cut-over, e.g. %s: source %s target %s", len(diffs), diffs[0], want[diffs[0]], got[diffs[0]])
	}
}
