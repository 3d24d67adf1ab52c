package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

func TestBadInput(t *testing.T) {
	ts := newTestServer(t)
	malformed := ts.do("POST", "/fhir/Patient", `{"resourceType":"Patient",}`).expect(t, http.StatusBadRequest)
	if !strings.Contains(string(malformed.raw), "offset") {
		t.Errorf("malformed JSON error does not give the offset: %s", malformed.raw)
	}
	deep := `{"resourceType":"Patient","extension":` + strings.Repeat(`[{"extension":`, 5000) + `[]` + strings.Repeat(`}]`, 5000) + `}`
	ts.do("POST", "/fhir/Patient", deep).expect(t, http.StatusBadRequest)

	unknown := ts.do("POST", "/fhir/Patient", map[string]any{"resourceType": "Patient", "nmae": []any{}}).expect(t, http.StatusBadRequest)
	if exprs := unknown.issueExpressions(); len(exprs) == 0 || !strings.Contains(exprs[0], "Patient.nmae") {
		t.Errorf("unknown element: %s", unknown.raw)
	}
	badDate := ts.do("POST", "/fhir/Patient", map[string]any{"resourceType": "Patient", "birthDate": "1980-13-01"}).expect(t, http.StatusBadRequest)
	if exprs := badDate.issueExpressions(); len(exprs) == 0 || exprs[0] != "Patient.birthDate" {
		t.Errorf("bad date: %s", badDate.raw)
	}
	missing := ts.do("POST", "/fhir/Observation", map[string]any{"resourceType": "Observation", "status": "final"}).expect(t, http.StatusUnprocessableEntity)
	if exprs := strings.Join(missing.issueExpressions(), " "); !strings.Contains(exprs, "Observation.code") {
		t.Errorf("missing code: %s", missing.raw)
	}
	ts.do("POST", "/fhir/Patient", "").expect(t, http.StatusBadRequest)
	ts.do("POST", "/fhir/Patient", `<Patient xmlns="http://hl7.org/fhir"/>`, "Content-Type", "application/fhir+xml").expect(t, http.StatusUnsupportedMediaType)
	ts.do("GET", "/fhir/metadata", nil, "Accept", "application/fhir+xml").expect(t, http.StatusNotAcceptable)
	ts.do("GET", "/fhir/metadata?_format=xml", nil).expect(t, http.StatusNotAcceptable)
	ts.do("GET", "/fhir/metadata", nil, "Accept", "application/json").expect(t, http.StatusOK)
}

func TestBodyLimit(t *testing.T) {
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServerOn(t, st, httpapi.Options{MaxBodyBytes: 1024})
	big := map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": strings.Repeat("x", 2000)}}}
	resp := ts.do("POST", "/fhir/Patient", big).expect(t, http.StatusRequestEntityTooLarge)
	if resp.str("resourceType") != "OperationOutcome" {
		t.Errorf("413 body: %s", resp.raw)
	}
}

func TestValidateOperation(t *testing.T) {
	ts := newTestServer(t)
	ok := ts.do("POST", "/fhir/Patient/$validate", patient("V")).expect(t, http.StatusOK)
	if ok.str("resourceType") != "OperationOutcome" {
		t.Fatal(string(ok.raw))
	}
	bad := ts.do("POST", "/fhir/Patient/$validate", map[string]any{"resourceType": "Patient", "gender": 3}).expect(t, http.StatusOK)
	if !strings.Contains(string(bad.raw), `"severity":"error"`) {
		t.Errorf("$validate of an invalid resource: %s", bad.raw)
	}
	params := map[string]any{"resourceType": "Parameters", "parameter": []any{map[string]any{"name": "resource", "resource": patient("P")}}}
	ts.do("POST", "/fhir/Patient/$validate", params).expect(t, http.StatusOK)
	if h := ts.do("GET", "/fhir/_history", nil).body["entry"].([]any); len(h) != 0 {
		t.Error("$validate stored something")
	}
}

func TestHealthAndMetadata(t *testing.T) {
	ts := newTestServer(t)
	ts.do("GET", "/healthz", nil).expect(t, http.StatusOK)
	ts.do("GET", "/readyz", nil).expect(t, http.StatusOK)
	cs := ts.do("GET", "/fhir/metadata", nil).expect(t, http.StatusOK)
	if cs.str("fhirVersion") != "4.0.1" || cs.str("resourceType") != "CapabilityStatement" {
		t.Fatalf("metadata: %.300s", cs.raw)
	}
	rest := cs.body["rest"].([]any)[0].(map[string]any)
	resources := rest["resource"].([]any)
	if len(resources) != 146 {
		t.Errorf("%d resource types, want 146 (R4)", len(resources))
	}
	formats := cs.body["format"].([]any)
	for _, f := range formats {
		if strings.Contains(f.(string), "xml") {
			t.Errorf("CapabilityStatement claims XML: %v", formats)
		}
	}
	var patientEntry map[string]any
	for _, r := range resources {
		if r.(map[string]any)["type"] == "Patient" {
			patientEntry = r.(map[string]any)
		}
	}
	got := map[string]bool{}
	for _, i := range patientEntry["interaction"].([]any) {
		got[i.(map[string]any)["code"].(string)] = true
	}
	for _, want := range []string{"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"} {
		if !got[want] {
			t.Errorf("Patient interaction %s missing", want)
		}
	}
	if len(rest["interaction"].([]any)) != 4 { // transaction, batch, history-system, search-system
		t.Errorf("system interactions: %v", rest["interaction"])
	}
}
