package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
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

// TestOnlineAccessToken: a patient's SMART token reads of their record
// only what their online access opens (H-1046): with NHS login P5 (no
// high identity proof) an Observation answers 404 OperationOutcome and a
// search leaves it out, while the patient's own details stay readable;
// the same record is open to an account proven to P9 with the practice's
// decision.
func TestOnlineAccessToken(t *testing.T) {
	st := apiStores()[0].open(t)
	w := newWorld(t, st)
	if err := identity.CreateUser(context.Background(), st, &identity.User{ID: "u-low", Name: "Low", Role: auth.RolePatient, Patients: []string{"pa1"}, IdentityProof: "P5"}, ""); err != nil {
		t.Fatal(err)
	}
	low := w.token(t, &auth.Principal{Subject: "u-low", Role: auth.RolePatient, Patients: []string{"pa1"}, FHIRUser: "Patient/pa1"}, auth.RoleScopes[auth.RolePatient])
	high := w.token(t, &auth.Principal{Subject: "u-pat", Role: auth.RolePatient, Patients: []string{"pa1"}, FHIRUser: "Patient/pa1"}, auth.RoleScopes[auth.RolePatient])
	obs := w.obs["pa1"]
	if r := w.ts.do("GET", "/fhir/Observation/"+obs, nil, "Authorization", low); r.status != 404 || r.body["resourceType"] != "OperationOutcome" {
		t.Errorf("P5 patient GET Observation: %d %s, want 404 OperationOutcome", r.status, r.raw)
	}
	for _, path := range []string{"/fhir/Observation?patient=pa1", "/fhir/Patient/pa1/$everything"} {
		if r := w.ts.do("GET", path, nil, "Authorization", low).expect(t, 200); strings.Contains(string(r.raw), obs) {
			t.Errorf("P5 patient GET %s holds an Observation: %s", path, r.raw)
		}
		if r := w.ts.do("GET", path, nil, "Authorization", high).expect(t, 200); !strings.Contains(string(r.raw), obs) {
			t.Errorf("P9 patient GET %s lacks their Observation: %s", path, r.raw)
		}
	}
	w.ts.do("GET", "/fhir/Patient/pa1", nil, "Authorization", low).expect(t, 200)
	w.ts.do("GET", "/fhir/Observation/"+obs, nil, "Authorization", high).expect(t, 200)
}
