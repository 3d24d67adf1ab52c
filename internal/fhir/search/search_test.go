package search

import (
	"net/url"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Brontë": "bronte", "  ØRSTED  Hans ": "orsted hans", "Çelik": "celik", "Straße": "straße", "Mc\tDonald": "mc donald",
		"Zoe\u0308": "zoe",                // a combining diaeresis is dropped
		"a \u0308":  "a", "\u0308 a": "a", // no space is left for a dropped accent
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExtract(t *testing.T) {
	res, err := fhir.Unmarshal([]byte(`{"resourceType":"Observation","id":"o","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic"}],"text":"BP"},
		"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2024-01-01","end":"2024-01-02T10:00:00Z"},
		"valueQuantity":{"value":120.5,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"},
		"meta":{"lastUpdated":"2024-05-01T00:00:00Z","tag":[{"system":"urn:t","code":"x"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	v := Extract(res)
	has := func(ok bool, what string) {
		if !ok {
			t.Errorf("missing %s in %+v", what, v)
		}
	}
	find := func(param string) (tokens []TokenValue) {
		for _, tok := range v.Tokens {
			if tok.Param == param {
				tokens = append(tokens, tok)
			}
		}
		return tokens
	}
	codes := find("code")
	has(len(codes) == 2 && codes[0].System == "http://loinc.org" && codes[0].Code == "8480-6" && codes[0].Text == "systolic" && codes[1].Text == "bp", "code tokens")
	has(len(find("_tag")) == 1, "_tag")
	has(len(find("status")) == 1, "status")
	var subject, patient bool
	for _, r := range v.References {
		subject = subject || r.Param == "subject" && r.TargetType == "Patient" && r.TargetID == "p1"
		patient = patient || r.Param == "patient" && r.TargetID == "p1"
	}
	has(subject && patient, "subject and patient references")
	var date, updated bool
	for _, d := range v.Dates {
		date = date || d.Param == "date" && d.Lo == 1704067200000000 && d.Hi == 1704189600999999
		updated = updated || d.Param == "_lastUpdated"
	}
	has(date, "date range of the Period (start of day to the end second)")
	has(updated, "_lastUpdated")
	var q bool
	for _, x := range v.Quantities {
		q = q || x.Param == "value-quantity" && x.Value == 120.5 && x.Code == "mm[Hg]" && x.Lo == 120.45 && x.Hi == 120.55
	}
	has(q, "value-quantity with its precision range")
}

func TestParse(t *testing.T) {
	parse := func(typ, query string) (*Query, []Ignored, error) {
		params, err := url.ParseQuery(query)
		if err != nil {
			t.Fatal(err)
		}
		return Parse([]string{typ}, params, ParseOptions{DefaultCount: 10, MaxCount: 50, BaseURL: "https://gp.example/fhir"})
	}
	good := []struct {
		typ, query string
		check      func(*Query) bool
	}{
		{"Patient", "name=smith", func(q *Query) bool { return q.Filters[0].Values[0].Text == "smith" }},
		{"Patient", "name:exact=Smith", func(q *Query) bool { return q.Filters[0].Values[0].Text == "Smith" }},
		{"Patient", "identifier=a|b,c", func(q *Query) bool {
			v := q.Filters[0].Values
			return len(v) == 2 && v[0].System == "a" && v[0].Code == "b" && v[0].HasSystem && v[1].Code == "c" && !v[1].HasSystem
		}},
		{"Patient", `identifier=a\|b`, func(q *Query) bool { return q.Filters[0].Values[0].Code == "a|b" }},
		{"Patient", `name=a\,b`, func(q *Query) bool { return len(q.Filters[0].Values) == 1 && q.Filters[0].Values[0].Text == "a,b" }},
		{"Observation", "subject=https://gp.example/fhir/Patient/1", func(q *Query) bool {
			v := q.Filters[0].Values[0]
			return v.RefType == "Patient" && v.RefID == "1"
		}},
		{"Observation", "subject=http://other.example/fhir/Patient/1", func(q *Query) bool { return q.Filters[0].Values[0].URL != "" }},
		{"Observation", "date=ge2024-01", func(q *Query) bool { return q.Filters[0].Values[0].Prefix == "ge" }},
		{"Observation", "value-quantity=le5.4|http://unitsofmeasure.org|mg", func(q *Query) bool {
			v := q.Filters[0].Values[0]
			return v.Prefix == "le" && v.Num == 5.4 && v.System == "http://unitsofmeasure.org" && v.Code == "mg"
		}},
		{"Observation", "subject:Patient.name=x", func(q *Query) bool {
			f := q.Filters[0]
			return f.Chain != nil && f.Chain.Targets[0] == "Patient" && f.Chain.Next.Param.Code == "name"
		}},
		{"Patient", "_has:Observation:patient:code=1", func(q *Query) bool { return q.Filters[0].Has.Type == "Observation" }},
		{"Patient", "_count=500&_sort=-birthdate,name&_total=accurate", func(q *Query) bool {
			return q.Count == 50 && len(q.Sort) == 2 && q.Sort[0].Desc && q.Total == "accurate"
		}},
		{"Patient", "_revinclude:iterate=Observation:subject", func(q *Query) bool { return q.RevInclude[0].Iterate }},
		{"Patient", "_include=*", func(q *Query) bool { return q.Include[0].Param == nil }},
	}
	for _, tc := range good {
		q, ignored, err := parse(tc.typ, tc.query)
		if err != nil || len(ignored) > 0 || !tc.check(q) {
			t.Errorf("%s?%s: %+v, ignored %v, %v", tc.typ, tc.query, q, ignored, err)
		}
	}
	for _, query := range []string{"birthdate=2024-13", "birthdate=zz2024", "_count=-1", "_total=some", "active:missing=maybe",
		"_sort=nope", "_include=Patient", "_has:Nope:x:y=1", "general-practitioner=a/b/c",
		"identifier=|", "identifier=a,|", "general-practitioner:identifier=|"} {
		if _, _, err := parse("Patient", query); err == nil {
			t.Errorf("Patient?%s parsed", query)
		}
	}
	for _, query := range []string{"colour=red", "name:fuzzy=x", "_contained=true", "near=1|2|3|km"} {
		if _, ignored, err := parse("Location", query); err != nil || len(ignored) != 1 {
			t.Errorf("Location?%s: ignored %v, err %v", query, ignored, err)
		}
	}
}

// Every official parameter is in the registry, and every non-special,
// non-composite one is supported.
func TestRegistry(t *testing.T) {
	n, supported := 0, 0
	for _, rt := range definitions.ResourceTypes() {
		for _, p := range Params(rt) {
			n++
			if p.Supported() {
				supported++
			} else if p.Type != "special" && p.Type != "composite" && p.Code != "_id" && p.Expression != "" {
				t.Errorf("%s.%s (%s) not supported", rt, p.Code, p.Type)
			}
		}
	}
	t.Logf("%d parameter bindings over all types, %d supported", n, supported)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"name=smith", "subject:Patient.name=x", "_has:Observation:patient:code=1", "date=ge2024-01-01T10:00:00Z",
		"value-quantity=5.4|http://unitsofmeasure.org|mg", `identifier=a\|b,c`, "_sort=-date&_include=Observation:subject",
		"subject.organization.partof.partof.partof.partof.name=x", "_has:Observation:subject:_has:Provenance:target:agent=x",
		"focus._id=1,2,3&focus.focus._id=4", "code=a%00", "name=%FF,b"} {
		f.Add("Observation", s)
	}
	f.Fuzz(func(t *testing.T, typ, query string) {
		params, err := url.ParseQuery(query)
		if err != nil || !definitions.IsResourceType(typ) {
			return
		}
		_, _, _ = Parse([]string{typ}, params, ParseOptions{DefaultCount: 10, MaxCount: 100}) // must not panic
	})
}

// FuzzNormalize: Normalize is idempotent, and a string it keeps as it
// is (the no-copy path) is one it would have built the same.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a b", "a  b", " a", "a ", "Brontë", "Mc\tDonald", "zoe\u0308", "x\u00a0y", "\x85"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q", s, n, n, again)
		}
		if normalized(s) && n != s {
			t.Fatalf("normalized(%q) but Normalize gives %q", s, n)
		}
	})
}

func TestOnePatient(t *testing.T) {
	ref := func(param, typ, id string) ReferenceValue {
		return ReferenceValue{Param: param, TargetType: typ, TargetID: id}
	}
	tests := []struct {
		name string
		refs []ReferenceValue
		want string
	}{
		{"no references", nil, ""},
		{"one patient", []ReferenceValue{ref("subject", "Patient", "p1"), ref("patient", "Patient", "p1"), ref("encounter", "Encounter", "e1")}, "p1"},
		{"the subject alone is not the patient parameter", []ReferenceValue{ref("subject", "Patient", "p1")}, ""},
		{"the same patient twice (agent and entity)", []ReferenceValue{ref("patient", "Patient", "p1"), ref("patient", "Patient", "p1")}, "p1"},
		{"two patients", []ReferenceValue{ref("patient", "Patient", "p1"), ref("patient", "Patient", "p2")}, ""},
		{"a patient parameter naming a Group", []ReferenceValue{ref("patient", "Group", "g1")}, ""},
		{"a reference without an id (contained)", []ReferenceValue{ref("patient", "Patient", "")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Values{References: tt.refs}
			if got := v.OnePatient(); got != tt.want {
				t.Errorf("OnePatient = %q, want %q", got, tt.want)
			}
		})
	}
}
