package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

func TestUnionParams(t *testing.T) {
	cases := []struct {
		typ, code string
		want      []string
	}{
		{"Observation", "combo-code", []string{"code", "component-code"}},
		{"Observation", "combo-value-quantity", []string{"component-value-quantity", "value-quantity"}},
		{"Observation", "combo-value-concept", []string{"component-value-concept", "value-concept"}},
		{"Observation", "combo-data-absent-reason", []string{"component-data-absent-reason", "data-absent-reason"}},
		{"Observation", "combo-code-value-quantity", []string{"code-value-quantity", "component-code-value-quantity"}},
		{"Observation", "combo-code-value-concept", []string{"code-value-concept", "component-code-value-concept"}},
		{"Observation", "code", []string{"code"}},
		{"Observation", "value-quantity", []string{"value-quantity"}}, // two branches, no parameter for either alone
		{"Observation", "patient", []string{"subject"}},               // narrowed: narrow_test.go
		{"Observation", "subject", []string{"subject"}},
		{"Patient", "name", []string{"name"}},
	}
	for _, c := range cases {
		p := Lookup(c.typ, c.code)
		if p == nil {
			t.Fatalf("%s.%s not found", c.typ, c.code)
		}
		if got := p.StoredAs(); !slices.Equal(got, c.want) {
			t.Errorf("%s.%s stored as %v, want %v", c.typ, c.code, got, c.want)
		}
	}
	// Every union in R4: its parts are extracted, it is not, and nothing
	// beyond Observation's combo parameters is taken for one.
	var unions []string
	for _, typ := range definitions.ResourceTypes() {
		extracted := map[string]bool{}
		for _, p := range indexedParams(typ) {
			extracted[p.Code] = true
		}
		for _, p := range Params(typ) {
			if p.unionOf == nil {
				continue
			}
			unions = append(unions, typ+"."+p.Code)
			if extracted[p.Code] {
				t.Errorf("%s.%s is extracted, though stored as %v", typ, p.Code, p.unionOf)
			}
			for _, part := range p.unionOf {
				if !extracted[part] {
					t.Errorf("%s.%s is stored as %s, which is not extracted", typ, p.Code, part)
				}
			}
		}
	}
	for _, u := range unions {
		if !strings.HasPrefix(u, "Observation.combo-") {
			t.Errorf("unexpected union %s", u)
		}
	}
	if len(unions) != 6 {
		t.Errorf("unions %v, want Observation's six combo parameters", unions)
	}
}

func TestRootedBranches(t *testing.T) {
	cases := []struct {
		expr, typ string
		want      []string
	}{
		{"Observation.code | Observation.component.code", "Observation", []string{"Observation.code", "Observation.component.code"}},
		{"(Observation.value.ofType(Quantity)) | (Observation.value.ofType(SampledData))", "Observation", []string{"Observation.value.ofType(Quantity)", "Observation.value.ofType(SampledData)"}},
		{"AllergyIntolerance.code | Observation.code", "Observation", []string{"Observation.code"}},
		{"Observation | Observation.component", "Observation", []string{"Observation", "Observation.component"}},
		{"Observation.code.where(text = 'a | b')", "Observation", []string{"Observation.code.where(text = 'a | b')"}},
		{"(Observation.a) | (Observation.b).c", "Observation", nil}, // a branch it cannot root
		{"%resource.x | Observation.code", "Observation", nil},
	}
	for _, c := range cases {
		got := rootedBranches(c.expr, c.typ)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("rootedBranches(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
}
