package stu3

import (
	"strings"
	"testing"
)

// The tables hold STU3, not R4: the elements R4 renamed or dropped are
// there, in STU3's order.
func TestSTU3Elements(t *testing.T) {
	cases := []struct {
		typ, parent string
		want        []string // names in order (a subsequence of the children)
		absent      []string
	}{
		{"AllergyIntolerance", "AllergyIntolerance", []string{"identifier", "clinicalStatus", "verificationStatus", "type", "category", "criticality", "code", "patient", "onset", "assertedDate", "recorder", "asserter", "lastOccurrence", "note", "reaction"}, []string{"recordedDate", "encounter"}},
		{"Immunization", "Immunization", []string{"status", "notGiven", "vaccineCode", "patient", "encounter", "date", "primarySource", "practitioner", "explanation", "vaccinationProtocol"}, []string{"occurrence", "performer", "statusReason"}},
		{"Observation", "Observation", []string{"subject", "context", "effective", "issued", "performer", "value", "dataAbsentReason", "interpretation", "comment"}, []string{"encounter", "note"}},
		{"CapabilityStatement", "CapabilityStatement", []string{"fhirVersion", "acceptUnknown", "format"}, nil},
		{"Dosage", "Dosage", []string{"sequence", "text", "additionalInstruction", "timing", "asNeeded", "site", "route", "method", "dose", "maxDosePerPeriod"}, []string{"doseAndRate"}},
	}
	for _, c := range cases {
		typ := Lookup(c.typ)
		if typ == nil {
			t.Fatalf("no %s", c.typ)
		}
		var names []string
		for _, e := range typ.Children(c.parent) {
			names = append(names, e.Name)
		}
		i := 0
		for _, n := range names {
			if i < len(c.want) && n == c.want[i] {
				i++
			}
		}
		if i != len(c.want) {
			t.Errorf("%s: children %v do not hold %v in order", c.parent, names, c.want)
		}
		for _, a := range c.absent {
			if e, _ := typ.Child(c.parent, a); e != nil {
				t.Errorf("%s.%s is not STU3", c.parent, a)
			}
		}
	}
	if e, typ := Lookup("Observation").Child("Observation", "valueQuantity"); e == nil || typ != "Quantity" || !e.Choice {
		t.Errorf("valueQuantity: %v %q", e, typ)
	}
	if r := Lookup("positiveInt").Regex; r == "" {
		t.Error("positiveInt has no regex")
	}
}

func TestProfilesAndBindings(t *testing.T) {
	p := ProfileByURL("https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1")
	if p == nil || p.Type != "AllergyIntolerance" {
		t.Fatalf("allergy profile: %+v", p)
	}
	if c := p.Constraints["AllergyIntolerance.verificationStatus"]; c == nil || c.Fixed != "unconfirmed" {
		t.Errorf("verificationStatus: %+v", c)
	}
	if c := p.Constraints["AllergyIntolerance.assertedDate"]; c == nil || c.Min != 1 {
		t.Errorf("assertedDate: %+v", c)
	}
	found := false
	for _, s := range p.Extensions["AllergyIntolerance"] {
		found = found || strings.HasSuffix(s.URL, "Extension-CareConnect-GPC-AllergyIntoleranceEnd-1")
	}
	if !found {
		t.Errorf("allergy end extension not named: %v", p.Extensions)
	}
	for _, u := range []string{
		"CareConnect-GPC-Patient-1", "CareConnect-GPC-Practitioner-1", "CareConnect-GPC-Organization-1", "CareConnect-GPC-Location-1",
		"CareConnect-GPC-MedicationStatement-1", "CareConnect-GPC-MedicationRequest-1", "CareConnect-GPC-Medication-1",
		"CareConnect-GPC-ProblemHeader-Condition-1", "CareConnect-GPC-Observation-1", "CareConnect-GPC-Immunization-1",
		"CareConnect-GPC-Encounter-1", "CareConnect-GPC-List-1", "CareConnect-GPC-DocumentReference-1", "GPConnect-Slot-1",
		"GPConnect-Schedule-1", "GPConnect-Appointment-1", "GPConnect-OperationOutcome-1", "GPConnect-StructuredRecord-Bundle-1",
	} {
		if ProfileByURL("https://fhir.nhs.uk/STU3/StructureDefinition/"+u) == nil {
			t.Errorf("no profile %s", u)
		}
	}
	x := ExtensionByURL("https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1")
	if x == nil || len(x.Children) != 4 || x.Children[0].URL != "registrationPeriod" || x.Children[0].Value[0].Code != "Period" {
		t.Errorf("registration details: %+v", x)
	}
	e := Lookup("Appointment").Element("Appointment.status")
	if e == nil || e.ValueSet == "" || !InValueSet(e.ValueSet, "", "arrived") || InValueSet(e.ValueSet, "", "checked-in") {
		t.Errorf("Appointment.status binding: %+v", e)
	}
}
