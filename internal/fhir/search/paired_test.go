package search

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestPaired(t *testing.T) {
	tests := []struct {
		name, query string
		want        string // the composite's code, "" for none
		values      int
	}{
		{"code and value", "code=http://loinc.org|4548-4&value-quantity=gt48", "code-value-quantity", 1},
		{"code without a system", "code=4548-4&value-quantity=le7.5", "code-value-quantity", 1},
		{"either order", "value-quantity=gt48&code=http://loinc.org|4548-4", "code-value-quantity", 1},
		{"values' product", "code=a,b&value-quantity=gt1,lt0", "code-value-quantity", 4},
		{"code and concept", "code=http://loinc.org|72166-2&value-concept=http://snomed.info/sct|8517006", "code-value-concept", 1},
		{"a unit", "code=4548-4&value-quantity=gt48|http://unitsofmeasure.org|%25", "", 0},
		{"a unit without a system", "code=4548-4&value-quantity=gt48||mmol", "", 0},
		{"a system only", "code=http://loinc.org|&value-quantity=gt48", "", 0},
		{"a concept's system only", "code=4548-4&value-concept=http://snomed.info/sct|", "", 0},
		{"a modifier", "code:not=4548-4&value-quantity=gt48", "", 0},
		{"text", "code:text=glucose&value-quantity=gt48", "", 0},
		{"missing", "code=4548-4&value-quantity:missing=true", "", 0},
		{"components", "component-code=8480-6&component-value-quantity=gt140", "", 0},
		{"combo", "combo-code=8480-6&combo-value-quantity=gt140", "", 0},
		{"value-string reads more than its composite", "code=4548-4&value-string=high", "", 0},
		{"value-date reads another type", "code=4548-4&value-date=ge2020", "", 0},
		{"a chain", "subject:Patient.name=Smith&value-quantity=gt48", "", 0},
		{"too many values", "code=a,b,c,d,e&value-quantity=1,2,3,4", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, _, err := Parse([]string{"Observation"}, params, ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(q.Filters) != 2 {
				t.Fatalf("%d filters", len(q.Filters))
			}
			got := Paired("Observation", q.Filters[0], q.Filters[1])
			if back := Paired("Observation", q.Filters[1], q.Filters[0]); (back == nil) != (got == nil) {
				t.Fatalf("paired one way (%v) and not the other (%v)", got != nil, back != nil)
			}
			switch {
			case tt.want == "" && got != nil:
				t.Fatalf("paired as %s", got.Param.Code)
			case tt.want != "" && got == nil:
				t.Fatalf("not paired, want %s", tt.want)
			case got != nil && (got.Param.Code != tt.want || len(got.Values) != tt.values):
				t.Fatalf("paired as %s with %d values, want %s with %d", got.Param.Code, len(got.Values), tt.want, tt.values)
			}
		})
	}
}

// pairs are a resource's values of two parameters, crossed, or its rows of
// a composite, in one comparable form.
func pairs(v Values, first, second string) []string {
	var firsts, seconds []string
	for _, t := range v.Tokens {
		if t.Param == first && t.Code != "" {
			firsts = append(firsts, t.System+"|"+t.Code)
		}
		if t.Param == second && t.Code != "" {
			seconds = append(seconds, t.System+"|"+t.Code)
		}
	}
	for _, q := range v.Quantities {
		if q.Param == second {
			seconds = append(seconds, fmt.Sprintf("%s|%s|%v", q.System, q.Code, q.Value))
		}
	}
	for _, str := range v.Strings {
		if str.Param == second {
			seconds = append(seconds, "|"+str.Norm)
		}
	}
	for _, d := range v.Dates {
		if d.Param == second {
			seconds = append(seconds, fmt.Sprintf("%d|%d", d.Lo, d.Hi))
		}
	}
	var out []string
	for _, f := range firsts {
		for _, s := range seconds {
			out = append(out, f+"$"+s)
		}
	}
	return sortedSet(out)
}

func compositeRows(v Values, composite, secondKind string) []string {
	var out []string
	for _, c := range v.Composites {
		if c.Param != composite {
			continue
		}
		second := c.System + "|" + c.Code
		switch secondKind {
		case "quantity":
			second = fmt.Sprintf("%s|%s|%v", c.System, c.Code, c.Lo)
		case "date":
			second = fmt.Sprintf("%d|%d", int64(c.Lo), int64(c.Hi))
		}
		out = append(out, c.FirstSystem+"|"+c.FirstCode+"$"+second)
	}
	return sortedSet(out)
}

func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// pairingCases are Observations shaped to tell a composite from the pair
// of its parts: codings and text, units, SampledData, components, a value
// of another type, none.
var pairingCases = []string{
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"},{"system":"http://snomed.info/sct","code":"43396009"}],"text":"HbA1c"},"valueQuantity":{"value":48.5,"unit":"mmol/mol","system":"http://unitsofmeasure.org","code":"mmol/mol"}}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"code":"4548-4"}]},"valueQuantity":{"value":7,"unit":"%"}}`,
	`{"resourceType":"Observation","status":"final","code":{"text":"no coding"},"valueQuantity":{"value":1}}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueSampledData":{"origin":{"value":60},"period":1000,"dimensions":1,"data":"60 61 62"}}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"72166-2"}]},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"8517006"},{"system":"http://snomed.info/sct","display":"no code"}],"text":"Ex-smoker"}}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":140}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":90}}]}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"valueRange":{"low":{"value":40},"high":{"value":50}}}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"dataAbsentReason":{"coding":[{"code":"unknown"}]}}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"valueString":"high"}`,
	`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"82810-3"}]},"valueDateTime":"2020-01-02"}`,
}

// TestPairedCompositesAgree checks each listed composite against its two
// parameters, row by row: a resource's composite rows must be exactly the
// pairs of its two parameters' values, on the cases above, the Synthea
// bundles and the R4 examples (when the shared data is present).
func TestPairedCompositesAgree(t *testing.T) {
	var resources []map[string]any
	for _, c := range pairingCases {
		r, err := fhir.Unmarshal([]byte(c))
		if err != nil {
			t.Fatal(err)
		}
		resources = append(resources, r)
	}
	checked := 0
	check := func(resources []map[string]any) {
		for _, r := range resources {
			if r["resourceType"] != "Observation" {
				continue
			}
			v := Extract(r)
			for _, pc := range pairedComposites {
				kind := Lookup(pc.typ, pc.second).Type
				want, got := pairs(v, pc.first, pc.second), compositeRows(v, pc.composite, kind)
				if !slices.Equal(want, got) {
					t.Errorf("%s of %v: %s rows %q, its parts' pairs %q", pc.composite, r["id"], pc.composite, got, want)
				}
				if len(want) > 0 {
					checked++
				}
			}
		}
	}
	check(resources)
	if checked < 3 {
		t.Fatalf("only %d of the cases had pairs", checked)
	}
	for _, pc := range pairedComposites {
		if pairedComposite(pc.typ, Lookup(pc.typ, pc.first), Lookup(pc.typ, pc.second)) == nil {
			t.Errorf("%s is listed but its definition is not the shape the list relies on", pc.composite)
		}
	}
	check(sharedResources(t))
	t.Logf("%d resources' pairs checked", checked)
}

// TestUnlistedCompositesDiffer shows why the composites not listed are
// not read for their parts: on one of the cases each reads other values
// than its parts' pairs.
func TestUnlistedCompositesDiffer(t *testing.T) {
	unlisted := []struct{ composite, first, second, kind string }{
		{"code-value-string", "code", "value-string", "string"},
		{"component-code-value-quantity", "component-code", "component-value-quantity", "quantity"},
		{"code-value-date", "code", "value-date", "date"},
	}
	for _, u := range unlisted {
		differs := false
		for _, c := range pairingCases {
			r, err := fhir.Unmarshal([]byte(c))
			if err != nil {
				t.Fatal(err)
			}
			v := Extract(r)
			want := pairs(v, u.first, u.second)
			if !slices.Equal(want, compositeRows(v, u.composite, u.kind)) {
				differs = true
			}
		}
		if !differs {
			t.Errorf("%s agrees with its parts on every case: list it, or add the case that tells them apart", u.composite)
		}
	}
}
