package bulk

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func document(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 11))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestBinaryRoundTrip: a Binary larger than a JSON string may be (20 MiB,
// sent raw), with two versions, and one whose base64 has line breaks,
// export with their data in base64 (current versions and history),
// import into a fresh store (PostgreSQL when available), and come back
// with the same bytes in every version and the same NDJSON.
func TestBinaryRoundTrip(t *testing.T) {
	ctx := context.Background()
	a, aStore := newSink(t)
	svc := a.(ServiceSink).Service
	v1, v2 := document(20<<20, 1), document(1<<20+3, 2)
	out, err := svc.CreateBinary(ctx, service.Upload{ContentType: "application/pdf", SecurityContext: "Patient/p1", Body: bytes.NewReader(v1)})
	if err != nil {
		t.Fatal(err)
	}
	big := out.Version.ID
	if _, err := svc.UpdateBinary(ctx, big, service.Upload{ContentType: "application/pdf", SecurityContext: "Patient/p1", Body: bytes.NewReader(v2)}, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	broken, _ := fhirResource(`{"resourceType":"Binary","id":"broken","contentType":"text/plain","data":"aGVsbG8g\nd29ybGQ="}`)
	if _, err := svc.Update(ctx, "Binary", "broken", broken, service.Precondition{}); err != nil {
		t.Fatal(err)
	}

	exported := t.TempDir()
	m, err := Export(ctx, aStore, ExportOptions{Dir: exported, WithHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Output {
		if fi, err := os.Stat(filepath.Join(exported, f.URL)); err != nil || fi.Size() != f.Bytes {
			t.Errorf("%s: the manifest says %d bytes: %v", f.URL, f.Bytes, err)
		}
	}
	current := readBinaries(t, filepath.Join(exported, "Binary.ndjson"))
	if !bytes.Equal(current[big], v2) || string(current["broken"]) != "hello world" {
		t.Fatalf("Binary.ndjson: %d bytes for the big one, %q for the other", len(current[big]), current["broken"])
	}

	targets := []struct {
		name string
		open func(t *testing.T) store.Store
	}{{"sqlite", func(t *testing.T) store.Store {
		st, err := sqlite.Open(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}}}
	if os.Getenv(storetest.PostgresEnv) != "" {
		targets = append(targets, struct {
			name string
			open func(t *testing.T) store.Store
		}{"postgres", func(t *testing.T) store.Store { return storetest.OpenPostgres(t) }})
	}
	for _, target := range targets {
		t.Run(target.name, func(t *testing.T) {
			bStore := target.open(t)
			b := service.New(bStore, service.Options{})
			res, err := Import(ctx, ServiceSink{Service: b}, []string{exported}, ImportOptions{})
			if err != nil || len(res.Problems) > 0 {
				t.Fatalf("import: %v %v", err, res.Problems)
			}
			for vid, want := range map[string][]byte{"1": v1, "2": v2} {
				o, err := b.VRead(ctx, "Binary", big, vid)
				if err != nil {
					t.Fatalf("version %s: %v", vid, err)
				}
				data, err := b.OpenBinaryData(ctx, o.Version)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(data)
				data.Close()
				if err != nil || !bytes.Equal(got, want) || data.ContentType != "application/pdf" {
					t.Errorf("version %s after import: %d bytes (equal %v), %q, %v", vid, len(got), bytes.Equal(got, want), data.ContentType, err)
				}
			}
			again := t.TempDir()
			if _, err := Export(ctx, bStore, ExportOptions{Dir: again}); err != nil {
				t.Fatal(err)
			}
			lines := func(dir string) map[string]string {
				out := map[string]string{}
				for id, l := range readLines(t, filepath.Join(dir, "Binary.ndjson")) {
					out[id] = l
				}
				return out
			}
			first, second := lines(exported), lines(again)
			for id, l := range first {
				if !sameBodies(t, []byte(l), []byte(second[id])) {
					t.Errorf("Binary/%s does not export the same after the round trip", id)
				}
			}
			if len(second) != len(first) {
				t.Errorf("%d Binaries exported again, %d before", len(second), len(first))
			}
		})
	}
}

// readLines reads an NDJSON file of resources by id.
func readLines(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 1 {
			var res struct{ ID string }
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out[res.ID] = line
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// readBinaries reads the data of the Binaries of an NDJSON file.
func readBinaries(t *testing.T, path string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for id, line := range readLines(t, path) {
		var res struct{ Data string }
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatal(err)
		}
		data, err := base64.StdEncoding.DecodeString(stripNewlines(res.Data))
		if err != nil {
			t.Fatalf("Binary/%s: %v", id, err)
		}
		out[id] = data
	}
	return out
}

func stripNewlines(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte("\n"), nil)) }
