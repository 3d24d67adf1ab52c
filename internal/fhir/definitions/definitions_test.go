package definitions

import (
	"testing"
)

func TestResourceTypes(t *testing.T) {
	types := ResourceTypes()
	if len(types) != 146 {
		t.Errorf("got %d R4 resource types, want 146 (the R4 schema's list)", len(types))
	}
	for _, name := range []string{"Patient", "Observation", "Bundle", "MedicationRequest", "AppointmentResponse"} {
		if !IsResourceType(name) {
			t.Errorf("IsResourceType(%q) = false", name)
		}
	}
	for _, name := range []string{"Resource", "DomainResource", "SubscriptionStatus", "Project", "HumanName", "string", ""} {
		if IsResourceType(name) {
			t.Errorf("IsResourceType(%q) = true", name)
		}
	}
}

func TestElements(t *testing.T) {
	tests := []struct {
		typ, path  string
		min, max   int
		summary    bool
		types      string
		choice     bool
		valueSet   string
		targetsOf0 []string
	}{
		{"Patient", "Patient.name", 0, -1, true, "HumanName", false, "", nil},
		{"Patient", "Patient.gender", 0, 1, true, "code", false, "http://hl7.org/fhir/ValueSet/administrative-gender", nil},
		{"Patient", "Patient.id", 0, 1, true, "string", false, "", nil},
		{"Patient", "Patient.deceased[x]", 0, 1, true, "boolean dateTime", true, "", nil},
		{"Patient", "Patient.generalPractitioner", 0, -1, false, "Reference", false, "", []string{"Organization", "Practitioner", "PractitionerRole"}},
		{"Observation", "Observation.status", 1, 1, true, "code", false, "http://hl7.org/fhir/ValueSet/observation-status", nil},
		{"Questionnaire", "Questionnaire.item.item.linkId", 1, 1, false, "string", false, "", nil},
		{"HumanName", "HumanName.given", 0, -1, true, "string", false, "", nil},
	}
	for _, tt := range tests {
		e := Lookup(tt.typ).Element(tt.path)
		if e == nil {
			t.Errorf("%s: not found", tt.path)
			continue
		}
		var codes string
		for i, ty := range e.Types {
			if i > 0 {
				codes += " "
			}
			codes += ty.Code
		}
		if e.Min != tt.min || e.Max != tt.max || e.IsSummary != tt.summary || codes != tt.types || e.Choice != tt.choice {
			t.Errorf("%s = min %d max %d summary %t types %q choice %t", tt.path, e.Min, e.Max, e.IsSummary, codes, e.Choice)
		}
		if tt.valueSet != "" && (e.Binding == nil || e.Binding.ValueSet != tt.valueSet || e.Binding.Strength != "required") {
			t.Errorf("%s binding = %+v", tt.path, e.Binding)
		}
		if tt.targetsOf0 != nil && len(e.Types[0].Targets) != len(tt.targetsOf0) {
			t.Errorf("%s targets = %v, want %v", tt.path, e.Types[0].Targets, tt.targetsOf0)
		}
	}
	if n := len(Lookup("Patient").Children("Patient")); n < 20 {
		t.Errorf("Patient has %d top-level elements", n)
	}
	if n := len(Lookup("Questionnaire").Children("Questionnaire.item.item")); n == 0 {
		t.Error("content reference children not resolved")
	}
	if Lookup("dateTime").Regex == "" || Lookup("dateTime").Kind != KindPrimitive {
		t.Error("dateTime primitive regex missing")
	}
}

func TestValueSets(t *testing.T) {
	codes, ok := ValueSetCodes("http://hl7.org/fhir/ValueSet/administrative-gender")
	if !ok || len(codes) != 4 {
		t.Fatalf("administrative-gender = %v, %t", codes, ok)
	}
	if _, ok := ValueSetCodes("http://hl7.org/fhir/ValueSet/mimetypes"); ok {
		t.Error("mimetypes (BCP-13) cannot be enumerated, but ValueSetCodes says it is known")
	}
}

func TestSearchParameters(t *testing.T) {
	if n := len(AllSearchParameters()); n != 1378 {
		t.Errorf("%d search parameters, want 1378", n)
	}
	found := map[string]string{}
	for _, p := range SearchParameters("Patient") {
		found[p.Code] = p.Type
	}
	for code, typ := range map[string]string{"identifier": "token", "birthdate": "date", "_id": "token", "_lastUpdated": "date", "general-practitioner": "reference", "_text": "string"} {
		if found[code] != typ {
			t.Errorf("Patient search parameter %s = %q, want %q", code, found[code], typ)
		}
	}
	for _, p := range SearchParameters("Bundle") {
		if p.Code == "_text" {
			t.Error("Bundle is not a DomainResource but got _text")
		}
	}
}

func TestPatientCompartment(t *testing.T) {
	if got := PatientCompartment("Observation"); len(got) == 0 {
		t.Error("Observation has no patient compartment params")
	}
	if got := PatientCompartment("Organization"); len(got) != 0 {
		t.Errorf("Organization compartment params = %v", got)
	}
}

func BenchmarkLookupElement(b *testing.B) {
	Lookup("Patient")
	for b.Loop() {
		Lookup("Observation").Element("Observation.component.value[x]")
	}
}
