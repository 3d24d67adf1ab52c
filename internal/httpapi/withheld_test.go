package httpapi_test

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
)

// TestWithheldFromPatientToken: through the FHIR API with a patient's
// SMART token, an entry labelled NOPAT and a result not yet filed from
// the inbox answer 404 to a read, are not in a search (which has no
// total) nor in $everything, and bulk export is refused; the system
// client reads them.
func TestWithheldFromPatientToken(t *testing.T) {
	w := newWorld(t, apiStores()[0].open(t))
	sys := w.token(t, &auth.Principal{Subject: "c", ClientID: "c", Role: auth.RoleSystem}, "system/*.cruds")
	pat := w.token(t, &auth.Principal{Subject: "u-pat", Role: auth.RolePatient, Patients: []string{"pa1"}, FHIRUser: "Patient/pa1"}, auth.RoleScopes[auth.RolePatient])
	hidden := observationFor("pa1")
	hidden["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}}}
	nopat := w.ts.do("POST", "/fhir/Observation", hidden, "Authorization", sys).expect(t, 201).str("id")
	unfiled := w.ts.do("POST", "/fhir/DiagnosticReport", map[string]any{"resourceType": "DiagnosticReport", "status": "final",
		"meta":    map[string]any{"tag": []any{map[string]any{"system": "https://gpcloud.dev/fhir/CodeSystem/inbox", "code": "to-file"}}},
		"code":    map[string]any{"text": "Full blood count"},
		"subject": map[string]any{"reference": "Patient/pa1"}}, "Authorization", sys).expect(t, 201).str("id")

	for _, path := range []string{"/fhir/Observation/" + nopat, "/fhir/DiagnosticReport/" + unfiled, "/fhir/Observation/" + nopat + "/_history/1"} {
		r := w.ts.do("GET", path, nil, "Authorization", pat)
		if r.status != 404 || r.body["resourceType"] != "OperationOutcome" {
			t.Errorf("patient GET %s: %d %s, want 404 OperationOutcome", path, r.status, r.raw)
		}
		w.ts.do("GET", path, nil, "Authorization", sys).expect(t, 200)
	}
	for _, path := range []string{"/fhir/Observation?patient=pa1&_total=accurate", "/fhir/DiagnosticReport?patient=pa1", "/fhir/Patient/pa1/$everything"} {
		r := w.ts.do("GET", path, nil, "Authorization", pat).expect(t, 200)
		if strings.Contains(string(r.raw), `"id":"`+nopat+`"`) || strings.Contains(string(r.raw), `"id":"`+unfiled+`"`) {
			t.Errorf("patient GET %s holds a withheld entry: %s", path, r.raw)
		}
		if _, ok := r.body["total"]; ok {
			t.Errorf("patient GET %s has a total: %s", path, r.raw)
		}
	}
	if r := w.ts.do("GET", "/fhir/Observation?patient=pa1", nil, "Authorization", pat); !strings.Contains(string(r.raw), w.obs["pa1"]) {
		t.Errorf("patient search lost their shown entry: %s", r.raw)
	}
	if r := w.ts.do("GET", "/fhir/Patient/$export", nil, "Authorization", pat, "Prefer", "respond-async"); r.status != 403 {
		t.Errorf("patient $export: %d %s, want 403", r.status, r.raw)
	}
}
