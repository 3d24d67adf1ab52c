package oracle

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// fixtures are small hand-written resources; each case below names the
// ids it expects.
var fixtures = []string{
	// Patients.
	`{"resourceType":"Patient","id":"p1","gender":"male","birthDate":"1980-05-15","deceasedBoolean":false,
	  "name":[{"family":"Müller","given":["Jürgen","Karl"],"prefix":["Dr."],"text":"Dr. Jürgen Müller"}],
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"},{"value":"LOCAL1"}],
	  "address":[{"city":"São Paulo","postalCode":"SW1A 1AA"}]}`,
	`{"resourceType":"Patient","id":"p2","gender":"female","birthDate":"1990-02","deceasedDateTime":"2020-01-01T10:00:00Z",
	  "name":[{"family":"Smith","given":["Anne"],"suffix":["PhD"]}],
	  "identifier":[{"system":"urn:oid:1.2","value":"A-1"},{"system":"urn:x","value":"a,b"}],
	  "address":[{"city":"London"}]}`,
	`{"resourceType":"Patient","id":"p3","birthDate":"1990-02-28","deceasedBoolean":true,
	  "name":[{"family":"Smithson","given":["Zoë"]}]}`,
	`{"resourceType":"Patient","id":"p4","gender":"male","birthDate":"2001",
	  "name":[{"family":"Núñez","given":["José"]}]}`,

	// Observations.
	`{"resourceType":"Observation","id":"o1","status":"final",
	  "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"},{"system":"http://snomed.info/sct","code":"364075005"}]},
	  "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
	  "subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"},
	  "effectiveDateTime":"2020-03-15T10:30:00+02:00",
	  "valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
	`{"resourceType":"Observation","id":"o2","status":"amended",
	  "code":{"coding":[{"code":"8867-4"}]},
	  "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
	  "subject":{"reference":"http://other.example/fhir/Patient/p2"},
	  "effectivePeriod":{"start":"2020-03-01","end":"2020-04-10"},
	  "valueQuantity":{"value":5.35,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}`,
	`{"resourceType":"Observation","id":"o3","status":"final",
	  "code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},
	  "subject":{"reference":"Group/g1"},"effectiveInstant":"2021-01-01T00:00:00.123Z",
	  "valueQuantity":{"value":5.45,"unit":"mg","system":"http://other-units","code":"mg"}}`,
	`{"resourceType":"Observation","id":"o4","status":"preliminary",
	  "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
	  "subject":{"reference":"urn:uuid:abc"},"effectivePeriod":{"start":"2019-12-31T23:00:00-05:00"}}`,
	`{"resourceType":"Observation","id":"o5","status":"final","code":{"text":"free text"},
	  "subject":{"reference":"Patient/p1/_history/2"},"effectiveDateTime":"2020",
	  "valueQuantity":{"value":5.4,"unit":"mmol/L"}}`,

	// Conditions.
	`{"resourceType":"Condition","id":"c1",
	  "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
	  "code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},
	  "category":[{"coding":[{"code":"problem-list-item"}]}],
	  "subject":{"reference":"Patient/p1"},"onsetDateTime":"2010-06"}`,
	`{"resourceType":"Condition","id":"c2",
	  "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"resolved"}]},
	  "code":{"coding":[{"system":"http://snomed.info/sct","code":"195662009"}]},
	  "subject":{"reference":"Patient/p2"},"onsetPeriod":{"start":"2015-01-01","end":"2015-02-01"}}`,
	`{"resourceType":"Condition","id":"c3","code":{"coding":[{"code":"44054006"}]},"subject":{"reference":"Patient/p3"}}`,

	// Encounters.
	`{"resourceType":"Encounter","id":"e1","status":"finished",
	  "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
	  "type":[{"coding":[{"system":"http://snomed.info/sct","code":"185349003"}]}],
	  "subject":{"reference":"Patient/p1"},"period":{"start":"2020-03-15T09:00:00Z","end":"2020-03-15T11:00:00Z"}}`,
	`{"resourceType":"Encounter","id":"e2","status":"in-progress",
	  "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"EMER"},
	  "subject":{"reference":"Patient/p2"},"period":{"start":"2020-03-16T08:00:00Z"}}`,

	// Medication requests.
	`{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order",
	  "subject":{"reference":"Patient/p1"},"authoredOn":"2021-06-01T12:00:00Z",
	  "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"313782"}]}}`,
	`{"resourceType":"MedicationRequest","id":"m2","status":"stopped","intent":"plan",
	  "subject":{"reference":"Patient/p2"},"authoredOn":"2021-07","medicationReference":{"reference":"Medication/med1"}}`,

	// Procedures.
	`{"resourceType":"Procedure","id":"pr1","status":"completed",
	  "code":{"coding":[{"system":"http://snomed.info/sct","code":"80146002"}]},"subject":{"reference":"Patient/p1"},
	  "performedPeriod":{"start":"2018-01-01T08:00:00Z","end":"2018-01-01T09:00:00Z"}}`,
	`{"resourceType":"Procedure","id":"pr2","status":"completed",
	  "code":{"coding":[{"system":"http://snomed.info/sct","code":"80146002"}]},"subject":{"reference":"Patient/p2"},
	  "performedDateTime":"2019-05-05"}`,

	// Immunizations.
	`{"resourceType":"Immunization","id":"i1","status":"completed",
	  "vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140"}]},
	  "patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2020-10-01"}`,
	`{"resourceType":"Immunization","id":"i2","status":"not-done",
	  "vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"208"}]},
	  "patient":{"reference":"Patient/p2"},"occurrenceDateTime":"2021-01-15T10:00:00Z"}`,
}

var cases = []struct {
	typ, query, want string // query is a URL query string; want lists ids
}{
	// string: default starts-with, case- and accent-insensitive.
	{"Patient", "name=smith", "p2,p3"},
	{"Patient", "name=SMITHS", "p3"},
	{"Patient", "name=mull", "p1"},
	{"Patient", "name=MÜLL", "p1"},
	{"Patient", "name=dr", "p1"},           // prefix and text
	{"Patient", "name=phd", "p2"},          // suffix
	{"Patient", "name=dr.%20jurgen", "p1"}, // text
	{"Patient", "name=zoe", "p3"},
	{"Patient", "name=nunez", "p4"},
	{"Patient", "name=ller", ""}, // not a prefix
	{"Patient", "name=smith,nunez", "p2,p3,p4"},
	{"Patient", "name=smith&name=smiths", "p3"}, // repeated parameter: AND
	{"Patient", "name=", "p1,p2,p3,p4"},         // empty value: ignored
	{"Patient", "family=smith", "p2,p3"},
	{"Patient", "given=karl", "p1"},
	{"Patient", "given=smith", ""},
	{"Patient", "address-city=sao", "p1"},
	{"Patient", "address-city=S%C3%83O%20p", "p1"},
	{"Patient", "address-postalcode=sw1a", "p1"},
	// string :contains and :exact.
	{"Patient", "name:contains=ller", "p1"},
	{"Patient", "name:contains=MITH", "p2,p3"},
	{"Patient", "family:contains=%C3%BCn", "p4"}, // ún via ün
	{"Patient", "family:exact=Smith", "p2"},
	{"Patient", "family:exact=smith", ""},
	{"Patient", "family:exact=M%C3%BCller", "p1"},
	{"Patient", "family:exact=Muller", ""},

	// token.
	{"Patient", "gender=male", "p1,p4"},
	{"Patient", "gender=male,female", "p1,p2,p4"},
	{"Patient", "gender=MALE", ""}, // case-sensitive
	{"Patient", "gender=%7Cmale", "p1,p4"},
	{"Patient", "gender=http://hl7.org/fhir/administrative-gender%7Cmale", ""},
	{"Patient", "gender:not=male", "p2,p3"}, // p3 has no gender
	{"Patient", "identifier=9000000009", "p1"},
	{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number%7C9000000009", "p1"},
	{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number%7C", "p1"},
	{"Patient", "identifier=%7CLOCAL1", "p1"},
	{"Patient", "identifier=%7C9000000009", ""},
	{"Patient", "identifier=urn:oid:1.2%7CA-1", "p2"},
	{"Patient", `identifier=urn:x%7Ca\,b`, "p2"}, // escaped comma
	{"Patient", "identifier:not=urn:oid:1.2%7C", "p1,p3,p4"},
	{"Patient", "deceased=true", "p2,p3"},
	{"Patient", "deceased=false", "p1,p4"},
	{"Patient", "deceased:not=true", "p1,p4"},
	{"Patient", "_id=p1,p3", "p1,p3"},
	{"Patient", "_id=p1&_id=p3", ""},
	{"Patient", "_id:not=p1", "p2,p3,p4"},
	{"Patient", "_id=o1", ""}, // other types never match
	{"Observation", "code=8867-4", "o1,o2,o4"},
	{"Observation", "code=http://loinc.org%7C8867-4", "o1,o4"},
	{"Observation", "code=%7C8867-4", "o2"},
	{"Observation", "code=http://snomed.info/sct%7C", "o1"},
	{"Observation", "code=http://loinc.org%7C8867-4,http://loinc.org%7C2339-0", "o1,o3,o4"},
	{"Observation", "code=8867-4&code=364075005", "o1"},
	{"Observation", "code:not=8867-4", "o3,o5"},
	{"Observation", "category=vital-signs", "o1"},
	{"Observation", "category=http://terminology.hl7.org/CodeSystem/observation-category%7Claboratory", "o2"},
	{"Observation", "status=final,amended", "o1,o2,o3,o5"},
	{"Observation", "status:not=final", "o2,o4"},
	{"Condition", "code=44054006", "c1,c3"},
	{"Condition", "code=http://snomed.info/sct%7C44054006", "c1"},
	{"Condition", "clinical-status=active", "c1"},
	{"Condition", "clinical-status:not=active", "c2,c3"},
	{"Condition", "category=problem-list-item", "c1"},
	{"Encounter", "class=AMB", "e1"},
	{"Encounter", "class=http://terminology.hl7.org/CodeSystem/v3-ActCode%7CEMER", "e2"},
	{"Encounter", "type=http://snomed.info/sct%7C185349003", "e1"},
	{"Encounter", "status=in-progress", "e2"},
	{"MedicationRequest", "code=313782", "m1"},
	{"MedicationRequest", "intent=plan", "m2"},
	{"Procedure", "code=80146002", "pr1,pr2"},
	{"Immunization", "vaccine-code=http://hl7.org/fhir/sid/cvx%7C140", "i1"},
	{"Immunization", "status:not=completed", "i2"},

	// reference.
	{"Observation", "subject=Patient/p1", "o1,o5"}, // o5 carries /_history/2
	{"Observation", "subject=p1", "o1,o5"},
	{"Observation", "subject=Patient/p2", "o2"}, // absolute reference
	{"Observation", "subject=http://other.example/fhir/Patient/p2", "o2"},
	{"Observation", "subject=http://gp.example/fhir/Patient/p1", ""}, // absolute values match only the same URL
	{"Observation", "subject:Patient=p1", "o1,o5"},
	{"Observation", "subject:Group=g1", "o3"},
	{"Observation", "subject:Group=p1", ""},
	{"Observation", "subject=abc", ""}, // urn:uuid is unresolved
	{"Observation", "subject=urn:uuid:abc", ""},
	{"Observation", "patient=p1", "o1,o5"},
	{"Observation", "patient=g1", ""}, // a Group is no patient
	{"Observation", "encounter=Encounter/e1", "o1"},
	{"Condition", "patient=Patient/p2", "c2"},
	{"Condition", "subject=p3", "c3"},
	{"Encounter", "subject:Patient=p2", "e2"},
	{"Encounter", "patient=p1&status=finished", "e1"},
	{"MedicationRequest", "status=active&patient=p1", "m1"},
	{"Procedure", "patient=p2", "pr2"},
	{"Immunization", "patient=Patient/p2", "i2"},

	// date.
	{"Patient", "birthdate=1990", "p2,p3"},
	{"Patient", "birthdate=1990-02", "p2,p3"},
	{"Patient", "birthdate=eq1990-02-28", "p3"}, // p2's month is not inside the day
	{"Patient", "birthdate=ne1990-02-28", "p1,p2,p4"},
	{"Patient", "birthdate=gt1990-02-15", "p2,p3,p4"},
	{"Patient", "birthdate=lt1990-02-15", "p1,p2"},
	{"Patient", "birthdate=ge1990-03", "p4"},
	{"Patient", "birthdate=le1980-05-15", "p1"},
	{"Patient", "birthdate=sa1990-02-27", "p3,p4"},
	{"Patient", "birthdate=eb1990-02-28", "p1"},
	{"Patient", "birthdate=2001-06", ""},
	{"Patient", "birthdate=ge2001-06", "p4"},
	{"Observation", "date=2020-03", "o1"},
	{"Observation", "date=2020", "o1,o2,o5"},
	{"Observation", "date=2020-03-15T08:30:00Z", "o1"},
	{"Observation", "date=2020-03-15T10:30:00%2B02:00", "o1"},
	{"Observation", "date=2020-03-15T08:30Z", "o1"},
	{"Observation", "date=2020-03-15T08:30", "o1"}, // no zone: UTC
	{"Observation", "date=ge2021", "o3,o4"},        // o4 has an open end
	{"Observation", "date=gt2020-12-31", "o3,o4"},
	{"Observation", "date=lt2020-01-01T04:00:00Z", "o5"}, // o4 starts 04:00Z
	{"Observation", "date=le2020-01-01T04:00:00Z", "o4,o5"},
	{"Observation", "date=sa2020-03-15", "o3"},
	{"Observation", "date=eb2020-03-16", "o1"},
	{"Observation", "date=ne2020", "o3,o4"},
	{"Observation", "date=2021-01-01T00:00:00Z", "o3"},
	{"Observation", "date=2021-01-01T00:00:00.123Z", "o3"},
	{"Observation", "date=2021-01-01T00:00:00.12Z", "o3"},
	{"Observation", "date=2021-01-01T00:00:00.1234Z", ""},
	{"Condition", "onset-date=2010", "c1"},
	{"Condition", "onset-date=2015-01", ""}, // the period runs into February
	{"Condition", "onset-date=le2015-01-15", "c1,c2"},
	{"Condition", "onset-date=ge2015-02-01", "c2"},
	{"Encounter", "date=2020-03-15", "e1"},
	{"Encounter", "date=2020-03", "e1"},
	{"Encounter", "date=ge2020-03-17", "e2"},
	{"Encounter", "date=lt2020-03-16", "e1"},
	{"Encounter", "date=gt2020-03-15T10:00:00Z", "e1,e2"},
	{"MedicationRequest", "authoredon=2021-06", "m1"},
	{"MedicationRequest", "authoredon=ge2021-07-15", "m2"},
	{"Procedure", "date=2018-01-01", "pr1"},
	{"Procedure", "date=lt2019", "pr1"},
	{"Immunization", "date=2021", "i2"},

	// quantity.
	{"Observation", "value-quantity=72", "o1"},
	{"Observation", "value-quantity=eq72", "o1"},
	{"Observation", "value-quantity=5.4", "o2,o5"}, // [5.35, 5.45)
	{"Observation", "value-quantity=5.40", "o5"},
	{"Observation", "value-quantity=5", "o2,o3,o5"},
	{"Observation", "value-quantity=ne5.4", "o1,o3"},
	{"Observation", "value-quantity=gt5.4", "o1,o3"},
	{"Observation", "value-quantity=lt5.4", "o2"},
	{"Observation", "value-quantity=ge5.4", "o1,o3,o5"},
	{"Observation", "value-quantity=le5.4", "o2,o5"},
	{"Observation", "value-quantity=-5", ""},
	{"Observation", "value-quantity=7.2e1", "o1"},
	{"Observation", "value-quantity=5.4%7Chttp://unitsofmeasure.org%7Cmmol/L", "o2"},
	{"Observation", "value-quantity=5.4%7C%7Cmmol/L", "o2,o5"}, // code or unit
	{"Observation", "value-quantity=5.45%7C%7Cmg", "o3"},
	{"Observation", "value-quantity=5.45%7Chttp://unitsofmeasure.org%7Cmg", ""},

	// :missing.
	{"Patient", "gender:missing=true", "p3"},
	{"Patient", "gender:missing=false", "p1,p2,p4"},
	{"Patient", "identifier:missing=true", "p3,p4"},
	{"Patient", "address-postalcode:missing=true", "p2,p3,p4"},
	{"Patient", "birthdate:missing=false", "p1,p2,p3,p4"},
	{"Patient", "deceased:missing=true", ""},
	{"Observation", "code:missing=true", "o5"}, // text only, no coding
	{"Observation", "subject:missing=true", "o4"},
	{"Observation", "patient:missing=true", "o3,o4"},
	{"Observation", "encounter:missing=false", "o1"},
	{"Observation", "value-quantity:missing=true", "o4"},
	{"Condition", "clinical-status:missing=true", "c3"},
	{"Condition", "onset-date:missing=true", "c3"},
	{"Encounter", "type:missing=true", "e2"},
	{"MedicationRequest", "code:missing=true", "m2"},

	// Result parameters are ignored.
	{"Patient", "_count=1&_sort=-name&_total=accurate&gender=female", "p2"},
	{"Patient", "", "p1,p2,p3,p4"},
}

// decode reads the fixtures with numbers as float64 or as json.Number.
func decode(t *testing.T, useNumber bool) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, f := range fixtures {
		dec := json.NewDecoder(bytes.NewReader([]byte(f)))
		if useNumber {
			dec.UseNumber()
		}
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("fixture %.40s: %v", f, err)
		}
		out = append(out, m)
	}
	return out
}

func TestMatch(t *testing.T) {
	for _, useNumber := range []bool{false, true} {
		resources := decode(t, useNumber)
		for _, tc := range cases {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatalf("%s: %v", tc.query, err)
			}
			got, err := Match(resources, tc.typ, q)
			if err != nil {
				t.Errorf("%s?%s (json.Number %v): %v", tc.typ, tc.query, useNumber, err)
				continue
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("%s?%s (json.Number %v) = %v, want [%s]", tc.typ, tc.query, useNumber, got, tc.want)
			}
		}
	}
}

func TestMatchErrors(t *testing.T) {
	resources := decode(t, true)
	for _, tc := range []struct{ typ, query string }{
		{"Patient", "unknown=x"},
		{"Immunization", "code=x"},
		{"Patient", "name:foo=x"},
		{"Patient", "gender:exact=male"},
		{"Patient", "gender:missing=maybe"},
		{"Patient", "birthdate=2020-13"},
		{"Patient", "birthdate=2020-02-30"},
		{"Patient", "birthdate=xx2020"},
		{"Patient", "birthdate=2020-01-01T25:00"},
		{"Patient", "birthdate:exact=2020"},
		{"Patient", "identifier=%7C"},
		{"Observation", "value-quantity=abc"},
		{"Observation", "value-quantity=5%7Cmg"},
		{"Observation", "value-quantity=ap5"},
		{"Observation", "subject:identifier=x"},
		{"Observation", "subject=patient/"},
	} {
		q, _ := url.ParseQuery(tc.query)
		if _, err := Match(resources, tc.typ, q); err == nil {
			t.Errorf("%s?%s: no error", tc.typ, tc.query)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Müller": "muller", "ÉLODIE": "elodie", "Núñez": "nunez", "François": "francois",
		"Søren": "soren", "Ångström": "angstrom", "Straße": "straße", "Łódź": "lodz",
		"Dvořák": "dvorak", "e\u0301": "e",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct{ in, lo, hi string }{
		{"2020", "2020-01-01T00:00:00Z", "2020-12-31T23:59:59.999999Z"},
		{"2020-02", "2020-02-01T00:00:00Z", "2020-02-29T23:59:59.999999Z"},
		{"2020-03-15", "2020-03-15T00:00:00Z", "2020-03-15T23:59:59.999999Z"},
		{"2020-03-15T10:30+02:00", "2020-03-15T08:30:00Z", "2020-03-15T08:30:59.999999Z"},
		{"2020-03-15T10:30:05", "2020-03-15T10:30:05Z", "2020-03-15T10:30:05.999999Z"},
		{"2020-03-15T10:30:05.5Z", "2020-03-15T10:30:05.5Z", "2020-03-15T10:30:05.599999Z"},
		{"2020-03-15T10:30:05.1234567Z", "2020-03-15T10:30:05.123456Z", "2020-03-15T10:30:05.123456Z"},
	} {
		got, err := parseDate(tc.in)
		if err != nil {
			t.Errorf("parseDate(%q): %v", tc.in, err)
			continue
		}
		lo, _ := parseDate(tc.lo)
		hi, _ := parseDate(tc.hi)
		if got.lo != lo.lo || got.hi != hi.lo {
			t.Errorf("parseDate(%q) = %v, want [%d, %d]", tc.in, got, lo.lo, hi.lo)
		}
	}
}
