package gpconnect

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/pds"
	"github.com/gpcloud/gpcloud/internal/store"
)

// fakePDS is the stand-in holding national demographics for tests: the
// numbers it knows are traced and verified.
type fakePDS map[string]fhir.Resource

func (fakePDS) Connected() bool { return false }

func (f fakePDS) Lookup(_ context.Context, nhs string) (pds.Trace, error) {
	if p, ok := f[nhs]; ok {
		return pds.Trace{Records: []fhir.Resource{p}, Verified: true}, nil
	}
	return pds.Trace{}, nil
}

const nhsVisitor = "9434765900" // on PDS, not registered here

func registerReq(nhs, family, birth string) req {
	return req{method: "POST", path: "/fhir/Patient/$gpc.registerpatient", interaction: "fhir:operation:gpc.registerpatient-1", scope: "patient/*.write",
		body: map[string]any{"resourceType": "Parameters", "parameter": []any{map[string]any{"name": "registerPatient", "resource": map[string]any{
			"resourceType": "Patient", "identifier": []any{map[string]any{"system": NHSNumberSystem, "value": nhs}},
			"name":   []any{map[string]any{"use": "official", "family": family, "given": []any{"Alex"}}},
			"gender": "male", "birthDate": birth}}}}}
}

// Registering a temporary resident: the demographics must match a
// verified trace; the patient is then found and can be booked, but the
// structured record stays for regular registrations.
func TestRegisterPatient(t *testing.T) { forEachStore(t, testRegisterPatient) }

func testRegisterPatient(t *testing.T, open func(testing.TB) store.Store) {
	f := newFixture(t, open)
	f.provider.opts.PDS = fakePDS{
		nhsVisitor: {"resourceType": "Patient", "gender": "male", "birthDate": "1990-05-06",
			"name":    []any{map[string]any{"use": "official", "family": "Visitor", "given": []any{"Alex"}, "prefix": []any{"Mr"}}},
			"address": []any{map[string]any{"line": []any{"1 Beach Road"}, "city": "Whitby", "postalCode": "YO21 3AA"}}},
		nhsRich: {"resourceType": "Patient", "gender": "male", "birthDate": "1970-01-01",
			"name": []any{map[string]any{"use": "official", "family": "Test-rich"}}},
		nhsNowhere: {"resourceType": "Patient", "gender": "male", "birthDate": "1950-01-01", "deceasedDateTime": "2026-01-01",
			"name": []any{map[string]any{"use": "official", "family": "Gone"}}},
	}
	for _, c := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"demographics differ from PDS", registerReq(nhsVisitor, "Visiter", "1990-05-06"), 400, InvalidDemographics},
		{"birth date differs", registerReq(nhsVisitor, "Visitor", "1990-06-05"), 400, InvalidDemographics},
		{"not on PDS", registerReq("9434765811", "Visitor", "1990-05-06"), 400, InvalidDemographics},
		{"deceased on PDS", registerReq(nhsNowhere, "Gone", "1950-01-01"), 400, InvalidDemographics},
		{"invalid NHS number", registerReq("9434765901", "Visitor", "1990-05-06"), 400, InvalidNHSNumber},
		{"already has a record", registerReq(nhsRich, "Test-rich", "1970-01-01"), 409, DuplicateRejected},
		{"registered", registerReq(nhsVisitor, "Visitor", "1990-05-06"), 200, ""},
		{"registered twice", registerReq(nhsVisitor, "Visitor", "1990-05-06"), 409, DuplicateRejected},
	} {
		code, b, _ := f.do(c.r)
		if code != c.status || spineCode(b) != c.code {
			t.Errorf("%s: %d %s %v", c.name, code, spineCode(b), b)
			continue
		}
		if c.code == "" {
			pats := entriesOf(b, "Patient")
			if len(pats) != 1 || str(obj(list(pats[0]["address"])[0])["city"]) != "Whitby" {
				t.Errorf("registered: %v", b)
			}
		}
	}
	_, found, _ := f.do(patientSearch(nhsVisitor))
	pats := entriesOf(found, "Patient")
	if len(pats) != 1 {
		t.Fatalf("the registered patient is not found")
	}
	_, slots, _ := f.do(f.slotSearch(""))
	r := bookReq
	r.body = bookingBody(pats[0].ID(), entriesOf(slots, "Slot")[0])
	if code, b, _ := f.do(r); code != 201 {
		t.Errorf("booking the temporary resident: %d %v", code, b)
	}
	if code, b, _ := f.do(structuredReq(nhsVisitor, param("includeAllergies"))); code != 404 || spineCode(b) != PatientNotFound {
		t.Errorf("structured record of a temporary resident: %d %v", code, b)
	}
	// Without PDS nothing is registered.
	f.provider.opts.PDS = nil
	if code, b, _ := f.do(registerReq("9434765811", "Anyone", "1990-05-06")); code != 400 || spineCode(b) != InvalidDemographics {
		t.Errorf("without PDS: %d %v", code, b)
	}
}
