package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestConditionalInteractions(t *testing.T) {
	ts := newTestServer(t)
	nhs := "If-None-Exist"
	q := "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"

	first := ts.do("POST", "/fhir/Patient", patient("Cond"), nhs, q).expect(t, http.StatusCreated)
	same := ts.do("POST", "/fhir/Patient", patient("Cond"), nhs, q).expect(t, http.StatusOK)
	if same.str("id") != first.str("id") {
		t.Fatalf("conditional create made a second resource: %s vs %s", same.str("id"), first.str("id"))
	}
	// Conditional update: one match updates it.
	upd := ts.do("PUT", "/fhir/Patient?"+q, patient("Updated")).expect(t, http.StatusOK)
	if upd.str("id") != first.str("id") || upd.str("meta", "versionId") != "2" {
		t.Fatalf("conditional update: %s", upd.raw)
	}
	// No match creates.
	other := patient("Other")
	other["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000017"}}
	ts.do("PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000017", other).expect(t, http.StatusCreated)
	// A second resource with the first NHS number makes the condition ambiguous.
	ts.do("POST", "/fhir/Patient", patient("Dup")).expect(t, http.StatusCreated)
	ts.do("POST", "/fhir/Patient", patient("Cond"), nhs, q).expect(t, http.StatusPreconditionFailed)
	ts.do("PUT", "/fhir/Patient?"+q, patient("X")).expect(t, http.StatusPreconditionFailed)
	ts.do("DELETE", "/fhir/Patient?"+q, nil).expect(t, http.StatusPreconditionFailed)
	// Code-only and |code forms.
	ts.do("DELETE", "/fhir/Patient?identifier=9000000017", nil).expect(t, http.StatusNoContent)
	ts.do("DELETE", "/fhir/Patient?identifier=9000000017", nil).expect(t, http.StatusNoContent) // no match now
	// Any search parameter works as a condition (through the search engine);
	// an unknown one is refused, not ignored.
	ts.do("PUT", "/fhir/Patient?name=Smith", patient("X")).expect(t, http.StatusCreated) // no Smith: created
	ts.do("POST", "/fhir/Patient", patient("Y"), "If-None-Exist", "family=Dup&birthdate=1980-02-29").expect(t, http.StatusOK)
	ts.do("PUT", "/fhir/Patient?colour=blue", patient("X")).expect(t, http.StatusBadRequest)
	ts.do("DELETE", "/fhir/Patient", nil).expect(t, http.StatusBadRequest) // no condition

	// Conditional patch on _id.
	ops := `[{"op":"replace","path":"/gender","value":"male"}]`
	ts.do("PATCH", "/fhir/Patient?_id="+first.str("id"), ops, "Content-Type", "application/json-patch+json").expect(t, http.StatusOK)

	// Basic search on identifier.
	found := ts.do("GET", "/fhir/Patient?"+q, nil).expect(t, http.StatusOK)
	if entries, _ := found.body["entry"].([]any); len(entries) != 3 { // first, Dup, and X made by PUT ?name=Smith
		t.Fatalf("search found %d, want 3: %s", len(entries), found.raw)
	}
}

// A conditional reference on any search parameter resolves through the
// search engine (committed data).
func TestConditionalReferenceOnAnyParameter(t *testing.T) {
	ts := newTestServer(t)
	ts.do("PUT", "/fhir/Patient/solo", `{"resourceType":"Patient","id":"solo","name":[{"family":"Solo"}],"birthDate":"1970-01-01"}`).expect(t, http.StatusCreated)
	bundle := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
		"subject":{"reference":"Patient?family=solo&birthdate=1970"}},"request":{"method":"POST","url":"Observation"}}]}`
	r := ts.do("POST", "/fhir", bundle, "Prefer", "return=representation").expect(t, http.StatusOK)
	if !strings.Contains(string(r.raw), `"reference":"Patient/solo"`) {
		t.Errorf("reference not resolved: %s", r.raw)
	}
	bad := strings.Replace(bundle, "birthdate=1970", "colour=blue", 1)
	ts.do("POST", "/fhir", bad).expect(t, http.StatusBadRequest)
}
