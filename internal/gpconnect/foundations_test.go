package gpconnect

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"

	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func patientSearch(nhs string) req {
	return req{method: "GET", path: "/fhir/Patient?identifier=" + NHSNumberSystem + "|" + nhs, interaction: "fhir:rest:search:patient-1", scope: "patient/*.read"}
}

// Foundations: the CapabilityStatement, finding a patient by NHS number
// (and not finding one the practice must not share), reads.
func TestFoundations(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			f := newFixture(t, o.Open)
			code, cs, _ := f.do(getMetadata)
			if code != 200 || cs["resourceType"] != "CapabilityStatement" || cs["fhirVersion"] != "3.0.1" {
				t.Fatalf("metadata: %d %v", code, cs)
			}

			for _, c := range []struct {
				name, nhs string
				status    int
				found     bool
				code      string
			}{
				{"rich record", nhsRich, 200, true, ""},
				{"sensitive", nhsSensitive, 200, false, ""},
				{"deceased", nhsDeceased, 200, false, ""},
				{"NHS number not traced", nhsUntraced, 200, false, ""},
				{"temporary resident (found and bookable)", nhsTemporary, 200, true, ""},
				{"dissented (still bookable)", nhsDissent, 200, true, ""},
				{"not registered here", nhsNowhere, 200, false, ""},
				{"invalid NHS number", "9434765918", 400, false, InvalidNHSNumber},
			} {
				code, b, _ := f.do(patientSearch(c.nhs))
				if code != c.status {
					t.Errorf("%s: %d %v", c.name, code, b)
					continue
				}
				if c.code != "" {
					if spineCode(b) != c.code {
						t.Errorf("%s: %v, want %s", c.name, b, c.code)
					}
					continue
				}
				pats := entriesOf(b, "Patient")
				if got := len(pats) == 1; got != c.found {
					t.Errorf("%s: found %v, want %v", c.name, got, c.found)
				}
				if c.found {
					p := pats[0]
					if str(list(obj(p["meta"])["profile"])[0]) != profilePatient {
						t.Errorf("%s: profile %v", c.name, p["meta"])
					}
					id := obj(list(p["identifier"])[0])
					ext := obj(list(id["extension"])[0])
					if ext["url"] != nhsVerificationExtURL || firstCode(ext["valueCodeableConcept"]) != "01" {
						t.Errorf("%s: NHS number %v", c.name, id)
					}
					reg := obj(list(p["extension"])[0])
					if reg["url"] != registrationExtURL {
						t.Errorf("%s: registration details %v", c.name, p["extension"])
					}
					wantType := "R"
					if c.nhs == nhsTemporary {
						wantType = "T"
					}
					var gotType string
					for _, part := range list(reg["extension"]) {
						if obj(part)["url"] == "registrationType" {
							gotType = firstCode(obj(part)["valueCodeableConcept"])
						}
					}
					if gotType != wantType {
						t.Errorf("%s: registration type %q, want %q", c.name, gotType, wantType)
					}
				}
			}
			wrongSystem := req{method: "GET", path: "/fhir/Patient?identifier=https://example.org/id|" + nhsRich, interaction: "fhir:rest:search:patient-1", scope: "patient/*.read"}
			if code, b, _ := f.do(wrongSystem); code != 400 || spineCode(b) != InvalidIdentifierSystem {
				t.Errorf("wrong system: %d %v", code, b)
			}
			extra := patientSearch(nhsRich)
			extra.path += "&name=Smith"
			if code, b, _ := f.do(extra); code != 422 || spineCode(b) != InvalidParameter {
				t.Errorf("unsupported parameter: %d %v", code, b)
			}

			for _, c := range []struct {
				name, path, interaction, scope, typ string
				status                              int
				code                                string
			}{
				{"patient", "/fhir/Patient/rich", "fhir:rest:read:patient-1", "patient/*.read", "Patient", 200, ""},
				{"sensitive patient", "/fhir/Patient/sensitive", "fhir:rest:read:patient-1", "patient/*.read", "", 404, PatientNotFound},
				{"deceased patient", "/fhir/Patient/deceased", "fhir:rest:read:patient-1", "patient/*.read", "", 404, PatientNotFound},
				{"no such patient", "/fhir/Patient/nobody", "fhir:rest:read:patient-1", "patient/*.read", "", 404, PatientNotFound},
				{"practitioner", "/fhir/Practitioner/gp1", "fhir:rest:read:practitioner-1", "organization/*.read", "Practitioner", 200, ""},
				{"organization", "/fhir/Organization/org1", "fhir:rest:read:organization-1", "organization/*.read", "Organization", 200, ""},
				{"location", "/fhir/Location/loc1", "fhir:rest:read:location-1", "organization/*.read", "Location", 200, ""},
				{"no such location", "/fhir/Location/nowhere", "fhir:rest:read:location-1", "organization/*.read", "", 404, NoRecordFound},
				{"practitioner by SDS id", "/fhir/Practitioner?identifier=" + SDSUserSystem + "|G1234567", "fhir:rest:search:practitioner-1", "organization/*.read", "Bundle", 200, ""},
				{"organization by ODS", "/fhir/Organization?identifier=" + ODSSystem + "|" + practiceODS, "fhir:rest:search:organization-1", "organization/*.read", "Bundle", 200, ""},
				{"not offered", "/fhir/Encounter/x", "fhir:rest:read:encounter-1", "patient/*.read", "", 501, NotImplemented},
			} {
				code, res, h := f.do(req{method: "GET", path: c.path, interaction: c.interaction, scope: c.scope})
				if code != c.status {
					t.Errorf("%s: %d %v", c.name, code, res)
					continue
				}
				if c.code != "" && spineCode(res) != c.code {
					t.Errorf("%s: %v, want %s", c.name, res, c.code)
				}
				if c.typ != "" && res["resourceType"] != c.typ {
					t.Errorf("%s: %v", c.name, res["resourceType"])
				}
				if c.typ == "Bundle" && len(entriesOf(res, "")) != 1 {
					t.Errorf("%s: %d entries", c.name, len(entriesOf(res, "")))
				}
				if c.typ != "" && c.typ != "Bundle" && h.Get("ETag") == "" {
					t.Errorf("%s: no ETag", c.name)
				}
			}
		})
	}
}

// Two records holding one NHS number are a duplicate for the practice to
// merge: the provider answers with neither rather than pick one.
func TestDuplicateNHSNumberRefused(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite)
	out, err := f.svc.Read(context.Background(), "Patient", "rich")
	if err != nil {
		t.Fatal(err)
	}
	dup, _ := fhir.Unmarshal(out.Version.Body)
	dup["id"] = "rich-duplicate"
	delete(dup, "meta")
	f.put(dup)
	code, b, _ := f.do(patientSearch(nhsRich))
	if code != 500 || len(entriesOf(b, "Patient")) != 0 {
		t.Errorf("search: %d %v", code, b)
	}
	code, b, _ = f.do(structuredReq(nhsRich, param("includeAllergies")))
	if code != 500 || len(entriesOf(b, "")) != 0 {
		t.Errorf("structured record: %d %v", code, b)
	}
}
