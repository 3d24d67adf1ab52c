package gpconnect

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/gpconnect/stu3validate"
)

// knownDeviations are issues the validator finds in what the provider
// sends on purpose, each with the reason (README, GP Connect deviations).
// A match is on the issue's path suffix and a part of its message.
var knownDeviations = []struct{ pathSuffix, message, why string }{
	{".valueUnsignedInt", "not a type this extension takes (positiveInt)",
		"numberOfRepeatPrescriptionsIssued before a first issue: the specification's page says it MUST be 0, the profile types it positiveInt"},
	{"(Immunization).extension", "Extension-CareConnect-VaccinationProcedure-1 required by the profile",
		"the record keeps the vaccine product given, not the vaccination procedure (README)"},
	{"(MedicationRequest).extension[0].valueCodeableConcept", "CareConnect-PrescriptionType-1 (a required binding): ",
		"a medicine prescribed elsewhere: no prescription type is recorded, so the type is the text No information available (README)"},
}

func knownDeviation(i stu3validate.Issue) bool {
	for _, d := range knownDeviations {
		if strings.HasSuffix(i.Path, d.pathSuffix) && strings.Contains(i.Message, d.message) {
			return true
		}
	}
	return false
}

// validatingHandler passes every request to h and checks each body the
// provider answers with (JSON, or XML read back as STU3) against the STU3
// definitions and GP Connect profiles: everything the tests see the
// provider send is validated.
// Benchmarks are not slowed by it.
func validatingHandler(t testing.TB, h http.Handler) http.Handler {
	if _, bench := t.(*testing.B); bench {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		_, _ = w.Write(body)
		what := r.Method + " " + r.URL.Path
		switch ct := rec.Header().Get("Content-Type"); {
		case strings.Contains(ct, "fhir+xml"):
			// XML: read back as STU3 (which refuses an element STU3 does
			// not have), then checked as its JSON.
			res, err := fhirxml.DecodeWith(body, fhirxml.Options{Schema: stu3Schema{}})
			if err != nil {
				t.Errorf("%s: the XML is not STU3: %v", what, err)
				return
			}
			body, _ = json.Marshal(res)
		case !strings.Contains(ct, "json") || len(body) == 0 || body[0] != '{':
			return
		}
		checkSTU3(t, what, body)
	})
}

// checkSTU3 reports (as test errors) what the validator finds in body
// beyond the known deviations.
func checkSTU3(t testing.TB, what string, body []byte) {
	issues, err := stu3validate.JSON(body)
	if err != nil {
		t.Errorf("%s: the body is not JSON: %v", what, err)
		return
	}
	for _, i := range issues {
		if !knownDeviation(i) {
			t.Errorf("%s: not valid GP Connect STU3: %s", what, i)
		}
	}
}

// recordingTB keeps the errors reported to it.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The hook reports what is not STU3, in JSON and in XML, and passes the
// body on unchanged.
func TestValidatingHandler(t *testing.T) {
	for _, c := range []struct {
		ct, body string
		want     string // a part of the error; "" for none
	}{
		{"application/fhir+json", `{"resourceType":"Patient","gender":"female"}`, ""},
		{"application/fhir+json", `{"resourceType":"Immunization","status":"completed","notGiven":false,"vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/p"},"primarySource":true,"occurrenceDateTime":"2020"}`, "Immunization.occurrenceDateTime: unknown element"},
		{"application/fhir+xml", `<Patient xmlns="http://hl7.org/fhir"><gender value="female"/></Patient>`, ""},
		{"application/fhir+xml", `<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><text value="x"/></code><note><text value="r4"/></note></Observation>`, "the XML is not STU3"},
		{"text/plain", `not FHIR`, ""},
	} {
		rec := &recordingTB{TB: t}
		h := validatingHandler(rec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", c.ct)
			_, _ = w.Write([]byte(c.body))
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
		if w.Body.String() != c.body {
			t.Errorf("the body changed: %s", w.Body)
		}
		got := strings.Join(rec.errs, "\n")
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s %s: errors %q, want %q", c.ct, c.body, got, c.want)
		}
	}
}
