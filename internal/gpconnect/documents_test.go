package gpconnect

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Access Document: the patient's documents are found (newest first, with
// the created filter), each retrieved as a Binary; confidential ones and
// other patients' are not.
func TestAccessDocument(t *testing.T) { forEachStore(t, testAccessDocument) }

func testAccessDocument(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	html := "<p>Not fit for work: 2 weeks</p>"
	doc := func(id, patient, date string, meta map[string]any) {
		d := fhir.Resource{"resourceType": "DocumentReference", "id": id, "status": "current", "docStatus": "final",
			"type": map[string]any{"text": "Statement of fitness for work (fit note)"}, "subject": ref("Patient/" + patient),
			"date": date, "author": []any{ref("Practitioner/gp1")},
			"content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/html", "data": base64.StdEncoding.EncodeToString([]byte(html))}}}}
		if meta != nil {
			d["meta"] = meta
		}
		f.put(d)
	}
	doc("fit-old", "rich", "2025-01-10T09:00:00Z", nil)
	doc("fit-new", "rich", "2026-10-10T09:00:00Z", nil)
	doc("fit-confidential", "rich", "2026-10-11T09:00:00Z", map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}})
	doc("fit-dissent", "dissent", "2026-10-11T09:00:00Z", nil)

	search := func(pid, query string) req {
		return req{method: "GET", path: "/documents/fhir/Patient/" + pid + "/DocumentReference" + documentIncludesQuery + strings.Replace(query, "?", "&", 1),
			interaction: "documents:fhir:rest:search:documentreference-1", scope: "patient/*.read"}
	}
	code, b, _ := f.do(search("rich", ""))
	if code != 200 {
		t.Fatalf("%d %v", code, b)
	}
	docs := entriesOf(b, "DocumentReference")
	if len(docs) != 2 || docs[0].ID() != "fit-new" || docs[1].ID() != "fit-old" {
		t.Fatalf("documents %v", docs)
	}
	if len(entriesOf(b, "Patient")) != 1 || len(entriesOf(b, "Organization")) != 1 || len(entriesOf(b, "Practitioner")) != 1 {
		t.Errorf("includes missing: %v", b)
	}
	if _, b, _ := f.do(search("rich", "?created=ge2026-01-01")); len(entriesOf(b, "DocumentReference")) != 1 {
		t.Errorf("created filter: %v", b)
	}
	u := str(obj(obj(list(docs[0]["content"])[0])["attachment"])["url"])
	path := u[strings.Index(u, "/documents/"):]
	code, bin, _ := f.do(req{method: "GET", path: path, interaction: "documents:fhir:rest:read:binary-1", scope: "patient/*.read"})
	if code != 200 || bin["resourceType"] != "Binary" || bin["contentType"] != "text/html" {
		t.Fatalf("binary %d %v", code, bin)
	}
	if got, _ := base64.StdEncoding.DecodeString(str(bin["content"])); string(got) != html {
		t.Errorf("binary content %q", got)
	}
	for _, c := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"confidential document", req{method: "GET", path: "/documents/fhir/Binary/0-fit-confidential", interaction: "documents:fhir:rest:read:binary-1", scope: "patient/*.read"}, 404, NoRecordFound},
		{"no such attachment", req{method: "GET", path: "/documents/fhir/Binary/5-fit-new", interaction: "documents:fhir:rest:read:binary-1", scope: "patient/*.read"}, 404, NoRecordFound},
		{"dissented patient's document", req{method: "GET", path: "/documents/fhir/Binary/0-fit-dissent", interaction: "documents:fhir:rest:read:binary-1", scope: "patient/*.read"}, 403, NoPatientConsent},
		{"dissented patient's search", search("dissent", ""), 403, NoPatientConsent},
		{"sensitive patient", search("sensitive", ""), 404, PatientNotFound},
		{"unsupported parameter", search("rich", "?type=x"), 422, InvalidParameter},
		{"no _include", req{method: "GET", path: "/documents/fhir/Patient/rich/DocumentReference?created=ge2020-01-01",
			interaction: "documents:fhir:rest:search:documentreference-1", scope: "patient/*.read"}, 422, InvalidParameter},
		{"unknown _include", search("rich", "?_include=DocumentReference:encounter"), 422, InvalidParameter},
	} {
		code, b, _ := f.do(c.r)
		if code != c.status || spineCode(b) != c.code {
			t.Errorf("%s: %d %v", c.name, code, b)
		}
	}
	if code, cs, _ := f.do(req{method: "GET", path: "/documents/fhir/metadata", interaction: "documents:fhir:rest:read:metadata-1", scope: "organization/*.read"}); code != 200 || cs["resourceType"] != "CapabilityStatement" {
		t.Errorf("documents metadata: %d", code)
	}
	if code, b, _ := f.do(req{method: "GET", path: "/documents/fhir/Patient?identifier=" + NHSNumberSystem + "|" + nhsRich, interaction: "documents:fhir:rest:search:patient-1", scope: "patient/*.read"}); code != 200 || len(entriesOf(b, "Patient")) != 1 {
		t.Errorf("documents patient search: %d %v", code, b)
	}
}

// documentIncludesQuery are the includes a consumer must send with a
// DocumentReference search.
const documentIncludesQuery = "?_include=DocumentReference:subject:Patient&_include=DocumentReference:custodian:Organization&_include=DocumentReference:author:Organization&_include=DocumentReference:author:Practitioner&_revinclude:recurse=PractitionerRole:practitioner"
