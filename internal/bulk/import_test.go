package bulk

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

func newSink(t *testing.T) (Sink, store.Store) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return ServiceSink{Service: service.New(st, service.Options{})}, st
}

func writeFile(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	data := []byte(content)
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// problemLines is an import's problems, one a line, as the command prints
// them.
func problemLines(res *ImportResult) string {
	var lines []string
	for _, p := range res.Problems {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

func TestImport(t *testing.T) {
	dir := t.TempDir()
	// The Encounter refers, conditionally, to an Organization that only a
	// later file holds: file order must not matter.
	writeFile(t, dir, "a-Encounter.ndjson.gz", `{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"serviceProvider":{"reference":"Organization?identifier=urn:ods|A81001"}}
not json
{"resourceType":"Encounter","id":"e2","status":"nonsense","class":{"code":"AMB"}}
`)
	writeFile(t, dir, "b-Patient.ndjson", `{"resourceType":"Patient","id":"p1","name":[{"family":"Ng"}]}`+"\n")
	writeFile(t, dir, "c-orgs.json", `{"resourceType":"Bundle","type":"collection","entry":[
		{"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Organization","identifier":[{"system":"urn:ods","value":"A81001"}],"name":"Riverside"}},
		{"resource":{"resourceType":"Practitioner","id":"dr","partOf":null}}]}`)
	writeFile(t, dir, "notes.txt", "ignored")
	sink, st := newSink(t)
	res, err := Import(context.Background(), sink, []string{dir}, ImportOptions{BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	joined := problemLines(res)
	if !strings.Contains(joined, "a-Encounter.ndjson.gz:2: not a JSON object") || !strings.Contains(joined, "a-Encounter.ndjson.gz:3:") {
		t.Errorf("problems:\n%s", joined)
	}
	if !strings.Contains(joined, "c-orgs.json") { // partOf: null is invalid, so the collection fails whole
		t.Errorf("the invalid collection was not reported:\n%s", joined)
	}
	if res.ByType["Patient"] != 1 || res.Files != 3 {
		t.Errorf("result %+v", res.ImportProgress)
	}
	// Fix the collection and import it again with the rest: the Encounter
	// waiting for its Organization now resolves; nothing is duplicated.
	writeFile(t, dir, "c-orgs.json", `{"resourceType":"Bundle","type":"collection","entry":[
		{"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Organization","id":"org1","identifier":[{"system":"urn:ods","value":"A81001"}],"name":"Riverside"}}]}`)
	if res, err = Import(context.Background(), sink, []string{dir}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if res.ByType["Encounter"] != 1 || res.ByType["Organization"] != 1 || res.Deferred != 0 {
		t.Errorf("second import: %+v %v", res.ImportProgress, res.Problems)
	}
	v, err := st.Read(context.Background(), "Encounter", "e1")
	if err != nil || !bytes.Contains(v.Body, []byte(`"reference":"Organization/org1"`)) {
		t.Errorf("e1 = %s, %v", v.Body, err)
	}
	if _, err := Import(context.Background(), sink, []string{dir}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ids, _ := st.Find(context.Background(), store.FindQuery{Type: "Organization"})
	if len(ids) != 1 {
		t.Errorf("after three imports, %d Organizations", len(ids))
	}
}

func TestImportStrict(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "Patient.ndjson", `{"resourceType":"Patient","id":"ok"}
{"resourceType":"Patient","id":"x",
`)
	sink, st := newSink(t)
	res, err := Import(context.Background(), sink, []string{p}, ImportOptions{Strict: true})
	if err == nil || !strings.Contains(err.Error(), "Patient.ndjson:2:") || res.Resources != 0 {
		t.Fatalf("strict: %v, %d resources", err, res.Resources)
	}
	if _, err := st.Read(context.Background(), "Patient", "ok"); err == nil {
		t.Error("strict import kept a resource of the bad file")
	}
}

// The Synthea Bulk Data sample refers to Organizations and Practitioners
// conditionally, from files that come before theirs: every reference must
// end up resolved. Its Bulk Data client's log.ndjson is passed over, and
// said to be.
func TestImportSyntheaBulk(t *testing.T) {
	dir := filepath.Join(testdata.Dir(t), "synthea-bulk-10-patients")
	files, _ := filepath.Glob(filepath.Join(dir, "[A-Z]*.ndjson.gz"))
	if len(files) == 0 {
		t.Skip("synthea-bulk-10-patients not in the shared data")
	}
	sink, st := newSink(t)
	res, err := Import(context.Background(), sink, []string{dir}, ImportOptions{})
	if err != nil || len(res.Problems) > 0 {
		t.Fatalf("%v %v", err, res.Problems)
	}
	if len(res.Skipped) != 1 || filepath.Base(res.Skipped[0].File) != "log.ndjson.gz" || !strings.Contains(res.Skipped[0].Reason, "not FHIR NDJSON") || res.Files != len(files) {
		t.Errorf("skipped %v, read %d files", res.Skipped, res.Files)
	}
	if res.Resources != 7160 {
		t.Errorf("%d resources, want 7160", res.Resources)
	}
	out := t.TempDir()
	if _, err := Export(context.Background(), st, ExportOptions{Dir: out}); err != nil {
		t.Fatal(err)
	}
	nd, _ := filepath.Glob(filepath.Join(out, "*.ndjson"))
	for _, f := range nd {
		data, _ := os.ReadFile(f)
		if bytes.Contains(data, []byte(`?identifier=`)) {
			t.Errorf("%s still holds a conditional reference", filepath.Base(f))
		}
	}
	t.Logf("imported %d resources in %v", res.Resources, res.Elapsed)
}

// A transaction Bundle whose conditional reference's target comes in a
// later file waits for it.
func TestImportDefersBundles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "1-tx.json", `{"resourceType":"Bundle","type":"transaction","entry":[
		{"fullUrl":"urn:uuid:22222222-2222-2222-2222-222222222222","resource":{"resourceType":"Patient","managingOrganization":{"reference":"Organization?identifier=urn:ods|B1"}},"request":{"method":"POST","url":"Patient"}}]}`)
	writeFile(t, dir, "2-org.ndjson", `{"resourceType":"Organization","id":"b1","identifier":[{"system":"urn:ods","value":"B1"}]}`+"\n")
	sink, _ := newSink(t)
	res, err := Import(context.Background(), sink, []string{dir}, ImportOptions{})
	if err != nil || len(res.Problems) > 0 || res.ByType["Patient"] != 1 {
		t.Fatalf("%v %v %+v", err, res.Problems, res.ByType)
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
