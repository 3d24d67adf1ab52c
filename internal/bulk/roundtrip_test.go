package bulk

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// TestRoundTrip is the supplier-switch test: Synthea bundles imported into
// instance A (SQLite), A exported, the export imported into instance B
// (PostgreSQL), B exported. Both exports must hold the same resources,
// equal as canonical JSON once meta.versionId and meta.lastUpdated are set
// aside, with ids and references intact and counts per type equal to the
// source. GPCLOUD_ROUNDTRIP_BUNDLES sets how many patient bundles (default
// 30; 0 for all 205).
func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(testdata.Dir(t), "synthea-r4")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if len(files) == 0 {
		t.Skip("no Synthea bundles in the shared data")
	}
	sort.Strings(files)
	n := 30
	if v := os.Getenv("GPCLOUD_ROUNDTRIP_BUNDLES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	var inputs []string
	for _, f := range files {
		if filepath.Base(f) < "h" && (n == 0 || len(inputs) < n) || filepath.Base(f) >= "h" {
			inputs = append(inputs, f) // patient bundles, then the *Information ones
		}
	}
	ctx := context.Background()
	a, _ := newSink(t)
	aStore := a.(ServiceSink).Service
	resA, err := Import(ctx, a, inputs, ImportOptions{})
	if err != nil || len(resA.Problems) > 0 {
		t.Fatalf("import into A: %v %v", err, resA.Problems)
	}
	exportA := t.TempDir()
	if _, err := Export(ctx, storeOf(t, aStore), ExportOptions{Dir: exportA}); err != nil {
		t.Fatal(err)
	}

	bStore := storetest.OpenPostgres(t) // skips without GPCLOUD_TEST_POSTGRES
	b := ServiceSink{Service: service.New(bStore, service.Options{})}
	resB, err := Import(ctx, b, []string{exportA}, ImportOptions{})
	if err != nil || len(resB.Problems) > 0 {
		t.Fatalf("import into B: %v %v", err, resB.Problems)
	}
	exportB := t.TempDir()
	if _, err := Export(ctx, bStore, ExportOptions{Dir: exportB}); err != nil {
		t.Fatal(err)
	}
	left, right := readExport(t, exportA), readExport(t, exportB)
	if len(left) != resA.Resources || len(right) != len(left) {
		t.Fatalf("source %d resources, export A %d, export B %d", resA.Resources, len(left), len(right))
	}
	for key, doc := range left {
		if right[key] != doc {
			t.Errorf("%s differs between the exports:\nA %.300s\nB %.300s", key, doc, right[key])
		}
	}
	for typ, n := range resA.ByType {
		if resB.ByType[typ] != n {
			t.Errorf("%s: %d in the source, %d imported into B", typ, n, resB.ByType[typ])
		}
	}
	t.Logf("%d resources of %d types made the trip SQLite → NDJSON → PostgreSQL → NDJSON unchanged", len(left), len(resA.ByType))
}

// storeOf finds the store behind a ServiceSink made by newSink.
var sinkStores = map[*service.Service]store.Store{}

func storeOf(t *testing.T, svc *service.Service) store.Store {
	st, ok := sinkStores[svc]
	if !ok {
		t.Fatal("no store for the service")
	}
	return st
}

// readExport maps Type/id to the resource's canonical JSON without
// meta.versionId and meta.lastUpdated.
func readExport(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var r map[string]any
			dec := json.NewDecoder(bytesReader(sc.Bytes()))
			dec.UseNumber()
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			if m, ok := r["meta"].(map[string]any); ok {
				delete(m, "versionId")
				delete(m, "lastUpdated")
				if len(m) == 0 {
					delete(r, "meta")
				}
			}
			canon, _ := json.Marshal(r) // maps marshal with sorted keys
			out[r["resourceType"].(string)+"/"+r["id"].(string)] = string(canon)
		}
		fh.Close()
	}
	return out
}
