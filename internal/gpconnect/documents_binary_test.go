package gpconnect

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Access Document over HTTP for documents stored as separate Binaries: a
// 6 MB scanned letter is found by its author's ODS code and retrieved
// whole, in JSON and XML; a document whose url points at a Binary that
// is not its own is not served; author must be an ODS code.
func TestAccessDocumentStoredBinary(t *testing.T) { forEachStore(t, testAccessDocumentStoredBinary) }

func testAccessDocumentStoredBinary(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	ctx := context.Background()
	f.put(fhir.Resource{"resourceType": "Organization", "id": "leeds", "name": "Leeds Teaching Hospitals",
		"identifier": []any{map[string]any{"system": ODSSystem, "value": "RR8"}}})
	scan := make([]byte, 6<<20) // over the 5 MB an inline attachment may be
	rand.New(rand.NewSource(1)).Read(scan)
	copy(scan, "%PDF-1.7\n")
	letter := func(id, patient, binary string, author any) {
		f.put(fhir.Resource{"resourceType": "DocumentReference", "id": id, "status": "current", "docStatus": "final",
			"type": map[string]any{"text": "Clinic letter"}, "description": "Rheumatology clinic letter", "subject": ref("Patient/" + patient),
			"date": "2026-11-20T00:00:00Z", "author": []any{author},
			"content": []any{map[string]any{"attachment": map[string]any{"contentType": "application/pdf", "url": "Binary/" + binary, "size": json.Number(strconv.Itoa(len(scan))), "title": "scan.pdf"}}}})
	}
	letter("letter-big", "rich", "big-scan", ref("Organization/leeds"))
	letter("letter-display", "rich", "big-scan", map[string]any{"display": "Leeds Teaching Hospitals"})
	letter("letter-temp", "temporary", "temp-scan", ref("Organization/leeds"))
	letter("letter-stray", "rich", "temp-scan", ref("Organization/leeds"))
	for id, owner := range map[string]string{"big-scan": "DocumentReference/letter-big", "temp-scan": "DocumentReference/letter-temp"} {
		if _, err := f.svc.UpdateBinary(ctx, id, service.Upload{ContentType: "application/pdf", SecurityContext: owner, Body: bytes.NewReader(scan)}, service.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}

	search := func(query string) req {
		return req{method: "GET", path: "/documents/fhir/Patient/rich/DocumentReference" + documentIncludesQuery + strings.Replace(query, "?", "&", 1),
			interaction: "documents:fhir:rest:search:documentreference-1", scope: "patient/*.read"}
	}
	code, b, _ := f.do(search("?author=" + ODSSystem + "|RR8"))
	if code != 200 {
		t.Fatalf("%d %v", code, b)
	}
	docs := entriesOf(b, "DocumentReference")
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.ID())
	}
	if strings.Join(ids, ",") != "letter-big,letter-stray" {
		t.Errorf("documents by RR8: %v (an author named only by display has no ODS code)", ids)
	}
	found := false
	for _, o := range entriesOf(b, "Organization") {
		found = found || o.ID() == "leeds"
	}
	if !found {
		t.Errorf("the authoring Organization is not included")
	}
	a := obj(obj(list(docs[0]["content"])[0])["attachment"])
	if a["size"] != float64(len(scan)) || !strings.HasSuffix(str(a["url"]), "/documents/fhir/Binary/0-letter-big") {
		t.Errorf("attachment %v", a)
	}
	if code, oo, _ := f.do(search("?author=https://example.org/other|RR8")); code != 422 || spineCode(oo) != InvalidParameter {
		t.Errorf("author not an ODS code: %d %v", code, oo)
	}

	read := req{method: "GET", path: "/documents/fhir/Binary/0-letter-big", interaction: "documents:fhir:rest:read:binary-1", scope: "patient/*.read"}
	code, bin, _ := f.do(read)
	if code != 200 || bin["resourceType"] != "Binary" || bin["contentType"] != "application/pdf" || bin["id"] != "0-letter-big" {
		t.Fatalf("binary %d %v", code, bin["id"])
	}
	if got, err := base64.StdEncoding.DecodeString(str(bin["content"])); err != nil || !bytes.Equal(got, scan) {
		t.Errorf("the 6 MB document does not come back whole: %d bytes, %v", len(got), err)
	}
	code, x, ct := f.doXML(read, "application/fhir+xml")
	wellFormed(t, x)
	_, after, _ := bytes.Cut(x, []byte(`<content value="`))
	content, _, _ := bytes.Cut(after, []byte(`"/>`))
	if got, err := base64.StdEncoding.DecodeString(string(content)); code != 200 || !strings.HasPrefix(ct, "application/fhir+xml") || err != nil || !bytes.Equal(got, scan) {
		t.Errorf("XML: %d %s, %d bytes, %v", code, ct, len(got), err)
	}

	// letter-stray points at the temporary resident's Binary: not served.
	stray := read
	stray.path = "/documents/fhir/Binary/0-letter-stray"
	if code, oo, _ := f.do(stray); code != 404 || spineCode(oo) != NoRecordFound {
		t.Errorf("a Binary that is not the document's: %d %v", code, oo)
	}
}
