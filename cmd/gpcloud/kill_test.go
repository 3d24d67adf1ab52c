package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds gpcloud once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gpcloud-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "gpcloud")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// server is a gpcloud serve process.
type server struct {
	cmd  *exec.Cmd
	base string
}

func startServer(t *testing.T, bin string, storeArgs ...string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", addr, "--log-level", "warn"}, storeArgs...)...)
	// In a directory of its own: a server on PostgreSQL keeps its export
	// jobs under ./gpcloud-data unless told otherwise, which would be
	// the package's source directory.
	cmd.Dir = t.TempDir()
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	s := &server{cmd: cmd, base: "http://" + addr}
	for i := 0; ; i++ {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if i > 150 {
			t.Fatalf("server never became ready: %s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAuditSurvivesKill: every write acknowledged before a kill -9 has its
// AuditEvent (it committed with the write), the chain verifies after the
// restart, and nothing is lost on either store.
func TestAuditSurvivesKill(t *testing.T) {
	bin := binary(t)
	stores := map[string]func(t *testing.T) ([]string, func() store.Store){
		"sqlite": func(t *testing.T) ([]string, func() store.Store) {
			data := t.TempDir()
			return []string{"--data", data}, func() store.Store {
				st, err := sqlite.Open(context.Background(), data)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		},
	}
	if os.Getenv(storetest.PostgresEnv) != "" {
		stores["postgres"] = func(t *testing.T) ([]string, func() store.Store) {
			dsn := storetest.PostgresDSN(t)
			return []string{"--database", dsn}, func() store.Store {
				st, err := postgres.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		}
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			args, reopen := open(t)
			if out, err := exec.Command(bin, append([]string{"admin", "init"}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("admin init: %v\n%s", err, out)
			}
			out, err := exec.Command(bin, append([]string{"admin", "token", "--scope", "system/*.read system/*.write", "--ttl", "10m"}, args...)...).Output()
			if err != nil {
				t.Fatalf("admin token: %v", err)
			}
			token := strings.TrimSpace(string(out))
			srv := startServer(t, bin, args...)

			var mu sync.Mutex
			var acked []string // Patient ids whose transaction was acknowledged
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for c := 0; c < 4; c++ {
				wg.Add(1)
				go func(c int) {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if id, ok := postPatientBundle(srv.base, token, fmt.Sprintf("K%d-%d", c, i)); ok {
							mu.Lock()
							acked = append(acked, id)
							mu.Unlock()
						}
					}
				}(c)
			}
			time.Sleep(1500 * time.Millisecond)
			if err := srv.cmd.Process.Kill(); err != nil { // SIGKILL: no draining, no flush
				t.Fatal(err)
			}
			_, _ = srv.cmd.Process.Wait()
			close(stop)
			wg.Wait()
			if len(acked) == 0 {
				t.Fatal("no write was acknowledged before the kill: the test proved nothing")
			}

			// The restarted server chains what the outbox held at once.
			srv = startServer(t, bin, args...)
			time.Sleep(500 * time.Millisecond)
			_ = srv.cmd.Process.Signal(os.Interrupt)
			_, _ = srv.cmd.Process.Wait()

			st := reopen()
			defer st.Close()
			audited := auditedEntities(t, st)
			missing := 0
			for _, id := range acked {
				if !audited["Patient/"+id] {
					missing++
				}
			}
			if missing > 0 {
				t.Errorf("%d of %d acknowledged writes have no AuditEvent after kill -9", missing, len(acked))
			}
			report, err := audit.Verify(context.Background(), st, nil)
			if err != nil || len(report.Problems) > 0 {
				t.Errorf("chain after kill -9: %v %v", err, report.Problems)
			}
			if n, _ := audit.Pending(context.Background(), st); n != 0 {
				t.Errorf("%d staged records left unchained after a restart", n)
			}
			t.Logf("%d writes acknowledged before kill -9, all audited; %d events in the chain", len(acked), report.Events)
		})
	}
}

// postPatientBundle posts a transaction creating a Patient and an
// Observation; ok when it was acknowledged (200), with the Patient's id.
func postPatientBundle(base, token, name string) (string, bool) {
	bundle := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"fullUrl": "urn:uuid:7a8e3a52-2f4c-4d7e-a5b0-1c2d3e4f5a6b", "resource": map[string]any{
			"resourceType": "Patient", "name": []any{map[string]any{"family": name}}},
			"request": map[string]any{"method": "POST", "url": "Patient"}},
		map[string]any{"resource": map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "pulse"},
			"subject": map[string]any{"reference": "urn:uuid:7a8e3a52-2f4c-4d7e-a5b0-1c2d3e4f5a6b"}},
			"request": map[string]any{"method": "POST", "url": "Observation"}},
	}}
	body, _ := json.Marshal(bundle)
	req, _ := http.NewRequest(http.MethodPost, base+"/fhir", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var out struct {
		Entry []struct {
			Response struct{ Location string } `json:"response"`
		} `json:"entry"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Entry) == 0 {
		return "", false
	}
	parts := strings.Split(out.Entry[0].Response.Location, "/")
	if len(parts) < 2 || parts[0] != "Patient" {
		return "", false
	}
	return parts[1], true
}

// auditedEntities reads every AuditEvent's entity references.
func auditedEntities(t *testing.T, st store.Store) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	eachCurrent(t, st, "AuditEvent", func(v store.Version) {
		var ae struct {
			Entity []struct {
				What struct{ Reference string } `json:"what"`
			} `json:"entity"`
		}
		if err := json.Unmarshal(v.Body, &ae); err != nil {
			t.Fatal(err)
		}
		for _, e := range ae.Entity {
			seen[e.What.Reference] = true
		}
	})
	return seen
}

// eachCurrent calls fn with every current resource of a type.
func eachCurrent(t *testing.T, st store.Store, typ string, fn func(store.Version)) {
	t.Helper()
	after := ""
	for {
		page, err := st.Current(context.Background(), typ, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return
		}
		for _, v := range page {
			fn(v)
			after = v.ID
		}
	}
}

// TestKilledImportIsAudited: an import killed half-way leaves an event
// saying it started, and the events of every transaction it committed
// (staged with them), so no imported record is unaccounted for.
func TestKilledImportIsAudited(t *testing.T) {
	bin := binary(t)
	in := t.TempDir()
	for i := 0; i < 400; i++ {
		var entries []any
		for j := 0; j < 20; j++ {
			entries = append(entries, map[string]any{"fullUrl": fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%06d%06d", i, j),
				"resource": map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": fmt.Sprintf("Imp%d-%d", i, j)}}},
				"request":  map[string]any{"method": "POST", "url": "Patient"}})
		}
		body, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries})
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("b%03d.json", i)), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	if out, err := exec.Command(bin, "admin", "init", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("admin init: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "import", "--data", data, in)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()

	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var patients []string
	eachCurrent(t, st, "Patient", func(v store.Version) { patients = append(patients, v.ID) })
	if len(patients) == 0 || len(patients) == 400*20 {
		t.Skipf("the import wrote %d patients before the kill: cannot test an interruption here", len(patients))
	}
	// What a starting server does first.
	if err := audit.Drain(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	audited := auditedEntities(t, st)
	missing := 0
	for _, id := range patients {
		if !audited["Patient/"+id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d imported patients have no AuditEvent after the import was killed", missing, len(patients))
	}
	started := false
	vs, _ := st.Current(context.Background(), "AuditEvent", "", 10)
	for _, v := range vs {
		started = started || bytes.Contains(v.Body, []byte("gpcloud import started"))
	}
	if !started {
		t.Error("no AuditEvent says the import started")
	}
	if report, err := audit.Verify(context.Background(), st, nil); err != nil || len(report.Problems) > 0 {
		t.Errorf("chain: %v %v", err, report.Problems)
	}
	t.Logf("killed after %d of %d patients; every one audited", len(patients), 400*20)
	st.Close()

	// Run again to the end: the same store as one uninterrupted import.
	if out, err := exec.Command(bin, "import", "--data", data, in).CombinedOutput(); err != nil {
		t.Fatalf("import re-run: %v\n%s", err, out)
	}
	clean := t.TempDir()
	if out, err := exec.Command(bin, "admin", "init", "--data", clean).CombinedOutput(); err != nil {
		t.Fatalf("admin init: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "import", "--data", clean, in).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted import: %v\n%s", err, out)
	}
	if got, want := storeContents(t, data), storeContents(t, clean); len(got) != len(want) || len(got) != 400*20 {
		t.Errorf("re-run store holds %d resources, an uninterrupted import %d, want %d", len(got), len(want), 400*20)
	} else {
		for key, body := range want {
			if got[key] != body {
				t.Errorf("%s differs after the re-run: %s / %s", key, got[key], body)
				break
			}
		}
	}
}

// storeContents maps Type/id@version to the resource without meta, for
// the Patients of an SQLite store.
func storeContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]string{}
	eachCurrent(t, st, "Patient", func(v store.Version) {
		var m map[string]any
		if err := json.Unmarshal(v.Body, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "meta")
		body, _ := json.Marshal(m)
		out[fmt.Sprintf("Patient/%s@%d", v.ID, v.VersionID)] = string(body)
	})
	return out
}
