package ukcore

import "testing"

func TestTables(t *testing.T) {
	p := Lookup("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient|2.6.1")
	if p == nil || p.Type != "Patient" || len(p.Elements) == 0 {
		t.Fatalf("UKCore-Patient: %+v", p)
	}
	if got := Profiles("Observation"); len(got) < 15 {
		t.Errorf("Observation profiles: %v", got)
	}
	ext := Lookup("https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory")
	if ext == nil || ext.Type != "Extension" || len(ext.Context) == 0 {
		t.Errorf("EthnicCategory extension: %+v", ext)
	}
	codes, ok := ValueSetCodes("https://fhir.hl7.org.uk/ValueSet/UKCore-EthnicCategory")
	if !ok || len(codes) < 10 {
		t.Errorf("EthnicCategory: %v %v", ok, codes)
	}
	if _, ok := ValueSetCodes("https://fhir.hl7.org.uk/ValueSet/UKCore-ConditionCode"); ok {
		t.Error("a SNOMED CT value set claims to be enumerable")
	}
}
