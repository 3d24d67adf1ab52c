package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

const ukCorePatientProfile = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"

// ukCorePatient claims UK Core Patient and carries an NHS number with a
// verification status code.
func ukCorePatient(status string) map[string]any {
	p := patient("Smith")
	p["meta"] = map[string]any{"profile": []any{ukCorePatientProfile}}
	id := p["identifier"].([]any)[0].(map[string]any)
	id["extension"] = []any{map[string]any{
		"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
		"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
			"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": status}}},
	}}
	return p
}

// TestUnknownCodeInRequiredBinding: a code outside a required binding of a
// UK Core profile is refused with 422, and the OperationOutcome names the
// element, the code and the value set; nothing is stored.
func TestUnknownCodeInRequiredBinding(t *testing.T) {
	ts := newTestServer(t)
	ts.do("POST", "/fhir/Patient", ukCorePatient("01")).expect(t, http.StatusCreated)

	r := ts.do("POST", "/fhir/Patient", ukCorePatient("99")).expect(t, http.StatusUnprocessableEntity)
	if r.str("resourceType") != "OperationOutcome" {
		t.Fatalf("not an OperationOutcome: %s", r.raw)
	}
	issue := r.body["issue"].([]any)[0].(map[string]any)
	diag, _ := issue["diagnostics"].(string)
	for _, want := range []string{"99", "https://fhir.hl7.org.uk/ValueSet/UKCore-NHSNumberVerificationStatus", "required"} {
		if !strings.Contains(diag, want) {
			t.Errorf("diagnostics %q do not name %q", diag, want)
		}
	}
	if issue["code"] != "code-invalid" || issue["severity"] != "error" {
		t.Errorf("issue %v", issue)
	}
	if got := r.issueExpressions(); len(got) != 1 || got[0] != "Patient.identifier[0].extension[0].valueCodeableConcept" {
		t.Errorf("expression %v, want the element Patient.identifier[0].extension[0].valueCodeableConcept", got)
	}
	search := ts.do("GET", "/fhir/Patient", nil).expect(t, http.StatusOK)
	if entries, _ := search.body["entry"].([]any); len(entries) != 1 {
		t.Errorf("want only the valid Patient stored, found %d", len(entries))
	}

	// The same code, without the profile claimed, is not checked against it.
	plain := ukCorePatient("99")
	delete(plain, "meta")
	ts.do("POST", "/fhir/Patient", plain).expect(t, http.StatusCreated)
}

// TestValidateReportsInvariantsAndProfiles: $validate answers 200 with the
// failed invariant's key, and applies a profile named by the profile
// parameter.
func TestValidateReportsInvariantsAndProfiles(t *testing.T) {
	ts := newTestServer(t)
	bad := patient("Smith")
	bad["contact"] = []any{map[string]any{"gender": "male"}}
	r := ts.do("POST", "/fhir/Patient/$validate", bad).expect(t, http.StatusOK)
	if !strings.Contains(string(r.raw), "pat-1") || !strings.Contains(string(r.raw), `"invariant"`) {
		t.Errorf("$validate does not report pat-1: %s", r.raw)
	}
	// A write of the same resource is refused with 422.
	ts.do("POST", "/fhir/Patient", bad).expect(t, http.StatusUnprocessableEntity)

	// Without meta.profile the UK Core check applies only when asked for.
	plain := ukCorePatient("99")
	delete(plain, "meta")
	r = ts.do("POST", "/fhir/Patient/$validate", plain).expect(t, http.StatusOK)
	if strings.Contains(string(r.raw), `"error"`) {
		t.Errorf("no profile asked for, yet: %s", r.raw)
	}
	r = ts.do("POST", "/fhir/Patient/$validate?profile="+ukCorePatientProfile, plain).expect(t, http.StatusOK)
	if !strings.Contains(string(r.raw), "UKCore-NHSNumberVerificationStatus") {
		t.Errorf("profile in the query not applied: %s", r.raw)
	}
	params := map[string]any{"resourceType": "Parameters", "parameter": []any{
		map[string]any{"name": "resource", "resource": plain},
		map[string]any{"name": "profile", "valueUri": ukCorePatientProfile},
	}}
	r = ts.do("POST", "/fhir/Patient/$validate", params).expect(t, http.StatusOK)
	if !strings.Contains(string(r.raw), "UKCore-NHSNumberVerificationStatus") {
		t.Errorf("profile in the Parameters not applied: %s", r.raw)
	}
}

// TestCapabilityStatementListsUKCoreProfiles: each resource type lists
// the UK Core profiles validated for it.
func TestCapabilityStatementListsUKCoreProfiles(t *testing.T) {
	ts := newTestServer(t)
	r := ts.do("GET", "/fhir/metadata", nil).expect(t, http.StatusOK)
	rest := r.body["rest"].([]any)[0].(map[string]any)
	found := map[string]bool{}
	for _, x := range rest["resource"].([]any) {
		res := x.(map[string]any)
		list, _ := res["supportedProfile"].([]any)
		for _, p := range list {
			found[res["type"].(string)+" "+p.(string)] = true
		}
	}
	for _, want := range []string{
		"Patient " + ukCorePatientProfile,
		"Observation https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-VitalSigns-BMI",
		"MedicationRequest https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest",
	} {
		if !found[want] {
			t.Errorf("supportedProfile lacks %s", want)
		}
	}
}
