package bulk

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
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
	a, aStore := newSink(t)
	resA, err := Import(ctx, a, inputs, ImportOptions{})
	if err != nil || len(resA.Problems) > 0 {
		t.Fatalf("import into A: %v %v", err, resA.Problems)
	}
	exportA := t.TempDir()
	if _, err := Export(ctx, aStore, ExportOptions{Dir: exportA}); err != nil {
		t.Fatal(err)
	}
	// Importing the same Bundles again leaves one copy of each resource,
	// at its first version.
	// Synthea's patient Bundles carry copies of their practitioners and
	// organisations under the same urn:uuid: one resource each.
	created := resA.Resources - resA.AlreadyPresent
	again, err := Import(ctx, a, inputs, ImportOptions{})
	if err != nil || len(again.Problems) > 0 {
		t.Fatalf("import into A again: %v %v", err, again.Problems)
	}
	if again.AlreadyPresent != again.Resources {
		t.Errorf("the second import found %d of %d resources present", again.AlreadyPresent, again.Resources)
	}
	assertOneVersionEach(t, aStore, created)

	bStore := storetest.OpenPostgres(t) // skips without GPCLOUD_TEST_POSTGRES
	b := ServiceSink{Service: service.New(bStore, service.Options{})}
	resB, err := Import(ctx, b, []string{exportA}, ImportOptions{})
	if err != nil || len(resB.Problems) > 0 {
		t.Fatalf("import into B: %v %v", err, resB.Problems)
	}
	if again, err := Import(ctx, b, []string{exportA}, ImportOptions{}); err != nil || len(again.Problems) > 0 {
		t.Fatalf("import into B again: %v %v", err, again.Problems)
	}
	assertOneVersionEach(t, bStore, created)
	exportB := t.TempDir()
	if _, err := Export(ctx, bStore, ExportOptions{Dir: exportB}); err != nil {
		t.Fatal(err)
	}
	left, right := readExport(t, exportA), readExport(t, exportB)
	if len(left) != created || len(right) != len(left) {
		t.Fatalf("source %d resources, export A %d, export B %d", created, len(left), len(right))
	}
	for key, doc := range left {
		if right[key] != doc {
			t.Errorf("%s differs between the exports:\nA %.300s\nB %.300s", key, doc, right[key])
		}
	}
	if resB.Resources != created {
		t.Errorf("%d resources imported into B, %d in A", resB.Resources, created)
	}
	t.Logf("%d resources of %d types made the trip SQLite → NDJSON → PostgreSQL → NDJSON unchanged", len(left), len(resA.ByType))

	// With history, B's every version moves to C (SQLite), twice: C then
	// holds the same number of versions as B, and the same resources.
	historyB := t.TempDir()
	if _, err := Export(ctx, bStore, ExportOptions{Dir: historyB, WithHistory: true}); err != nil {
		t.Fatal(err)
	}
	c, cStore := newSink(t)
	for run := 0; run < 2; run++ {
		if res, err := Import(ctx, c, []string{historyB}, ImportOptions{}); err != nil || len(res.Problems) > 0 {
			t.Fatalf("history import into C (run %d): %v %v", run+1, err, res.Problems)
		}
	}
	wantVersions, _ := bStore.HistoryCount(ctx, store.HistoryQuery{})
	gotVersions, _ := cStore.HistoryCount(ctx, store.HistoryQuery{})
	if gotVersions != wantVersions {
		t.Errorf("C holds %d versions after importing B's history twice, B %d", gotVersions, wantVersions)
	}
	exportC := t.TempDir()
	if _, err := Export(ctx, cStore, ExportOptions{Dir: exportC}); err != nil {
		t.Fatal(err)
	}
	if third := readExport(t, exportC); len(third) != len(left) {
		t.Errorf("C exports %d resources, A %d", len(third), len(left))
	}
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

// With history, every version (deletions too) travels: the receiving
// store holds the same versions in the same order.
func TestRoundTripWithHistory(t *testing.T) {
	ctx := context.Background()
	a, aStore := newSink(t)
	svc := a.(ServiceSink).Service
	put := func(body string) {
		t.Helper()
		res, err := fhirResource(body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Update(ctx, res.Type(), res.ID(), res, service.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	put(`{"resourceType":"Patient","id":"p1","name":[{"family":"One"}]}`)
	put(`{"resourceType":"Patient","id":"p1","name":[{"family":"Two"}]}`)
	put(`{"resourceType":"Patient","id":"gone","name":[{"family":"Gone"}]}`)
	if _, err := svc.Delete(ctx, "Patient", "gone", service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	put(`{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`)
	out := t.TempDir()
	m, err := Export(ctx, aStore, ExportOptions{Dir: out, WithHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, f := range m.Output {
		if strings.HasSuffix(f.URL, historySuffix) {
			files++
		}
	}
	if files != 2 {
		t.Fatalf("history files: %+v", m.Output)
	}
	b, bStore := newSink(t)
	res, err := Import(ctx, b, []string{out}, ImportOptions{})
	if err != nil || len(res.Problems) > 0 {
		t.Fatalf("%v %v", err, res.Problems)
	}
	// A history replayed again adds nothing; one interrupted after
	// Patient/p1's first version goes on from the second.
	if res, err := Import(ctx, b, []string{out}, ImportOptions{}); err != nil || len(res.Problems) > 0 {
		t.Fatalf("import again: %v %v", err, res.Problems)
	}
	c, cStore := newSink(t)
	if _, err := c.(ServiceSink).Service.Update(ctx, "Patient", "p1", mustResource(t, `{"resourceType":"Patient","id":"p1","name":[{"family":"One"}]}`), service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if res, err := Import(ctx, c, []string{out}, ImportOptions{}); err != nil || len(res.Problems) > 0 {
		t.Fatalf("import after an interruption: %v %v", err, res.Problems)
	}
	for _, id := range []string{"p1", "gone"} {
		want, _ := aStore.History(ctx, store.HistoryQuery{Type: "Patient", ID: id})
		got, _ := cStore.History(ctx, store.HistoryQuery{Type: "Patient", ID: id})
		if len(got) != len(want) {
			t.Errorf("after an interrupted replay, Patient/%s has %d versions, the source %d", id, len(got), len(want))
		}
	}
	for _, id := range []string{"p1", "gone"} {
		want, _ := aStore.History(ctx, store.HistoryQuery{Type: "Patient", ID: id})
		got, _ := bStore.History(ctx, store.HistoryQuery{Type: "Patient", ID: id})
		if len(got) != len(want) {
			t.Fatalf("Patient/%s: %d versions in B, %d in A", id, len(got), len(want))
		}
		for i := range want {
			if got[i].VersionID != want[i].VersionID || got[i].Deleted != want[i].Deleted || !sameBodies(t, got[i].Body, want[i].Body) {
				t.Errorf("Patient/%s version %d differs: %s / %s", id, want[i].VersionID, got[i].Body, want[i].Body)
			}
		}
	}
}

// sameBodies compares stored bodies as sameContent does (nil: deleted).
func sameBodies(t *testing.T, a, b []byte) bool {
	decode := func(data []byte) map[string]any {
		if data == nil {
			return nil
		}
		r, err := fhir.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return sameContent(decode(a), decode(b))
}

func fhirResource(body string) (fhir.Resource, error) { return fhir.Unmarshal([]byte(body)) }

// assertOneVersionEach checks that a store holds n resources, each at
// one version (nothing duplicated, nothing rewritten).
func assertOneVersionEach(t *testing.T, st store.Store, n int) {
	t.Helper()
	versions, err := st.HistoryCount(context.Background(), store.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if versions != n {
		t.Errorf("%d versions in the store after a second import, want %d (one per resource)", versions, n)
	}
}

func mustResource(t *testing.T, body string) fhir.Resource {
	t.Helper()
	r, err := fhir.Unmarshal([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestIncrementalExportCarriesDeletions: an export since an instant lists
// the resources deleted since then (and not recreated) in a deleted file
// of DELETE Bundles, and importing it removes them from the receiver.
func TestIncrementalExportCarriesDeletions(t *testing.T) {
	ctx := context.Background()
	a, aStore := newSink(t)
	svc := a.(ServiceSink).Service
	for _, id := range []string{"keep", "gone", "back"} {
		if _, err := svc.Update(ctx, "Patient", id, mustResource(t, `{"resourceType":"Patient","id":"`+id+`"}`), service.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	full := t.TempDir()
	if _, err := Export(ctx, aStore, ExportOptions{Dir: full}); err != nil {
		t.Fatal(err)
	}
	b, bStore := newSink(t)
	if res, err := Import(ctx, b, []string{full}, ImportOptions{}); err != nil || len(res.Problems) > 0 {
		t.Fatalf("%v %v", err, res.Problems)
	}
	since := time.Now()
	for _, id := range []string{"gone", "back"} {
		if _, err := svc.Delete(ctx, "Patient", id, service.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Update(ctx, "Patient", "back", mustResource(t, `{"resourceType":"Patient","id":"back","gender":"male"}`), service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	inc := t.TempDir()
	m, err := Export(ctx, aStore, ExportOptions{Dir: inc, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Deleted) != 1 || m.Deleted[0].Type != "Bundle" || m.Deleted[0].Count != 1 {
		t.Fatalf("deleted files: %+v", m.Deleted)
	}
	data, _ := os.ReadFile(filepath.Join(inc, m.Deleted[0].URL))
	if !strings.Contains(string(data), `"url":"Patient/gone"`) || strings.Contains(string(data), "Patient/back") {
		t.Errorf("deleted file: %s", data)
	}
	res, err := Import(ctx, b, []string{inc}, ImportOptions{})
	if err != nil || len(res.Problems) > 0 || res.Deleted != 1 {
		t.Fatalf("incremental import: %v %v, %d deleted", err, res.Problems, res.Deleted)
	}
	if v, err := bStore.Read(ctx, "Patient", "gone"); err != nil || !v.Deleted {
		t.Errorf("Patient/gone in the receiver: deleted %v, %v", v.Deleted, err)
	}
	if v, err := bStore.Read(ctx, "Patient", "back"); err != nil || v.Deleted || !strings.Contains(string(v.Body), "male") {
		t.Errorf("Patient/back in the receiver: %s %v", v.Body, err)
	}
}
