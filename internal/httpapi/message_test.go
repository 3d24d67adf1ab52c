package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// pathologyMessage is a lab's report as DAPB4101 sends it: the Patient
// and the Observations their own entries, referenced by urn:uuid.
const pathologyMessage = `{"resourceType":"Bundle","type":"message","entry":[
 {"fullUrl":"urn:uuid:h","resource":{"resourceType":"MessageHeader","id":"msg-1","eventCoding":{"system":"https://fhir.nhs.uk/CodeSystem/message-event","code":"pathology-test-report"},"source":{"endpoint":"https://lab.example"}}},
 {"fullUrl":"urn:uuid:dr","resource":{"resourceType":"DiagnosticReport","identifier":[{"system":"https://lab.example/report","value":"R-77"}],"status":"final","code":{"text":"Urea and electrolytes"},"subject":{"reference":"urn:uuid:pt"},"issued":"2026-11-30T09:00:00Z","result":[{"reference":"urn:uuid:k"}]}},
 {"fullUrl":"urn:uuid:pt","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"name":[{"family":"Jones"}],"birthDate":"1970-03-12"}},
 {"fullUrl":"urn:uuid:k","resource":{"resourceType":"Observation","status":"final","code":{"text":"Potassium"},"subject":{"reference":"urn:uuid:pt"},"valueQuantity":{"value":6.1,"unit":"mmol/L"},"referenceRange":[{"low":{"value":3.5},"high":{"value":5.3}}]}}
]}`

// TestProcessMessage: a pathology message becomes one inbox item with
// the lab's patient contained (no Patient created), sent twice it is
// received once, and anything else is refused with an OperationOutcome.
func TestProcessMessage(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 2; i++ {
		r := ts.do("POST", "/fhir/$process-message", pathologyMessage).expect(t, http.StatusOK)
		if r.str("type") != "message" || !strings.Contains(string(r.raw), `"code":"ok"`) || !strings.Contains(string(r.raw), `"identifier":"msg-1"`) ||
			!strings.Contains(string(r.raw), `"reference":"DiagnosticReport/`) {
			t.Fatalf("reply %d: %s", i, r.raw)
		}
	}
	got := ts.do("GET", "/fhir/DiagnosticReport?_tag=https://gpcloud.dev/fhir/CodeSystem/inbox|received", nil).expect(t, http.StatusOK)
	if n := len(got.body["entry"].([]any)); n != 1 || !strings.Contains(string(got.raw), `"reference":"#patient"`) || !strings.Contains(string(got.raw), "Potassium") {
		t.Errorf("received %d: %s", n, got.raw)
	}
	if p := ts.do("GET", "/fhir/Patient", nil).expect(t, http.StatusOK); len(anyEntries(p.body)) != 0 {
		t.Errorf("the lab's patient was stored as a Patient")
	}
	bad := ts.do("POST", "/fhir/$process-message", strings.Replace(pathologyMessage, `"type":"message"`, `"type":"collection"`, 1))
	if bad.status != http.StatusUnprocessableEntity || bad.str("resourceType") != "OperationOutcome" {
		t.Errorf("a collection: %d %s", bad.status, bad.raw)
	}
	if r := ts.do("POST", "/fhir/$process-message?async=true", pathologyMessage); r.status != http.StatusBadRequest {
		t.Errorf("async: %d", r.status)
	}
}

func anyEntries(b map[string]any) []any { l, _ := b["entry"].([]any); return l }
