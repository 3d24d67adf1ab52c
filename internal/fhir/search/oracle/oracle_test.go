package oracle

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func decodeAll(t *testing.T, docs ...string) []map[string]any {
	var out []map[string]any
	for _, d := range docs {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestMatch(t *testing.T) {
	res := decodeAll(t,
		`{"resourceType":"Patient","id":"a","name":[{"family":"Zoë","given":["Ann"]}],"gender":"female","birthDate":"1990-02-03","identifier":[{"system":"s","value":"1"}]}`,
		`{"resourceType":"Patient","id":"b","name":[{"family":"Zed"}],"gender":"male"}`,
		`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1"}]},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2020-05-05T10:00:00Z","valueQuantity":{"value":5.5,"system":"http://unitsofmeasure.org","code":"mg","unit":"mg"}}`,
		`{"resourceType":"Observation","id":"o2","status":"amended","code":{"coding":[{"code":"1"}]},"subject":{"reference":"Group/g"},"effectivePeriod":{"start":"2021-01-01"},"valueQuantity":{"value":10}}`,
	)
	tests := []struct {
		typ, query, want string
	}{
		{"Patient", "name=zo", "a"},
		{"Patient", "name=z", "a,b"},
		{"Patient", "family:exact=Zoë", "a"},
		{"Patient", "family:exact=zoe", ""},
		{"Patient", "name:contains=e", "a,b"},
		{"Patient", "gender=male", "b"},
		{"Patient", "gender:not=male", "a"},
		{"Patient", "identifier=s|1", "a"},
		{"Patient", "identifier=s|", "a"},
		{"Patient", "identifier=|1", ""},
		{"Patient", "birthdate=1990", "a"},
		{"Patient", "birthdate=gt1990-02-03", ""},
		{"Patient", "birthdate=ge1990-02-03", "a"},
		{"Patient", "birthdate:missing=true", "b"},
		{"Observation", "code=1", "o1,o2"},
		{"Observation", "code=http://loinc.org|1", "o1"},
		{"Observation", "code=|1", "o2"},
		{"Observation", "subject=Patient/a", "o1"},
		{"Observation", "subject=a", "o1"},
		{"Observation", "patient=g", ""},
		{"Observation", "subject:Group=g", "o2"},
		{"Observation", "date=2020-05", "o1"},
		{"Observation", "date=ge2022", "o2"},
		{"Observation", "date=lt2020-06", "o1"},
		{"Observation", "date=sa2020-12-31", "o2"},
		{"Observation", "date=eb2021", "o1"},
		{"Observation", "date=ne2020-05-05", "o2"},
		{"Observation", "value-quantity=5.5", "o1"},
		{"Observation", "value-quantity=6", "o1"},
		{"Observation", "value-quantity=gt6", "o2"},
		{"Observation", "value-quantity=le10", "o1,o2"},
		{"Observation", "value-quantity=5.5|http://unitsofmeasure.org|mg", "o1"},
		{"Observation", "value-quantity=5.5||mg", "o1"},
		{"Observation", "value-quantity=10|http://unitsofmeasure.org|mg", ""},
		{"Observation", "status=final,amended&code=1", "o1,o2"},
		{"Observation", "_id=o2", "o2"},
	}
	for _, tc := range tests {
		q, _ := url.ParseQuery(tc.query)
		got, err := Match(res, tc.typ, q)
		if err != nil {
			t.Fatalf("%s?%s: %v", tc.typ, tc.query, err)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s?%s = %v, want %s", tc.typ, tc.query, got, tc.want)
		}
	}
	if _, err := Match(res, "Patient", url.Values{"nope": {"x"}}); err == nil {
		t.Error("unknown parameter accepted")
	}
}
