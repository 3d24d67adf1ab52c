package search

import (
	"slices"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

func TestNarrowedParams(t *testing.T) {
	cases := []struct {
		typ, code string
		parts     []string
		target    string
	}{
		{"Observation", "patient", []string{"subject"}, "Patient"},
		{"Condition", "patient", []string{"subject"}, "Patient"},
		{"AuditEvent", "patient", []string{"agent", "entity"}, "Patient"},
		{"Encounter", "practitioner", []string{"participant"}, "Practitioner"},
		{"Appointment", "location", []string{"actor"}, "Location"},
		{"Person", "relatedperson", []string{"link"}, "RelatedPerson"},
		// Not narrowed: their own elements, or a union of several types.
		{"Observation", "subject", []string{"subject"}, ""},
		{"Claim", "patient", []string{"patient"}, ""},
		{"Immunization", "patient", []string{"patient"}, ""},
		{"Patient", "general-practitioner", []string{"general-practitioner"}, ""},
		{"Observation", "performer", []string{"performer"}, ""},
		{"Observation", "code", []string{"code"}, ""},
	}
	for _, c := range cases {
		p := Lookup(c.typ, c.code)
		if p == nil {
			t.Fatalf("%s.%s not found", c.typ, c.code)
		}
		if got, target := p.StoredAs(), p.StoredTarget(); !slices.Equal(got, c.parts) || target != c.target {
			t.Errorf("%s.%s stored as %v naming %q, want %v naming %q", c.typ, c.code, got, target, c.parts, c.target)
		}
		if Narrowed(c.typ, c.code) != (c.target != "") {
			t.Errorf("%s.%s: narrowed %v", c.typ, c.code, Narrowed(c.typ, c.code))
		}
	}
	// Every narrowed parameter of R4: a reference parameter of one target,
	// whose parts are stored reference parameters that can name it.
	n := 0
	for _, typ := range definitions.ResourceTypes() {
		for _, p := range Params(typ) {
			if p.narrowed == nil {
				continue
			}
			n++
			if p.Type != "reference" || len(p.Targets) != 1 || p.Targets[0] != p.StoredTarget() {
				t.Errorf("%s.%s narrowed to %s, targets %v", typ, p.Code, p.StoredTarget(), p.Targets)
			}
			for _, part := range p.StoredAs() {
				q := Lookup(typ, part)
				if q == nil || q.Type != "reference" || q.narrowed != nil || q.unionOf != nil || !slices.Contains(q.Targets, p.StoredTarget()) {
					t.Errorf("%s.%s is stored as %s, which does not hold its rows", typ, p.Code, part)
				}
			}
		}
	}
	if n != 48 {
		t.Errorf("%d narrowed parameters, want R4's 48", n)
	}
}

func TestStoredParams(t *testing.T) {
	cases := []struct {
		typ    string
		codes  []string
		target string
		want   []string
	}{
		{"Observation", []string{"subject", "performer"}, "Patient", []string{"subject", "performer"}},
		{"Encounter", []string{"patient"}, "Patient", []string{"subject"}},
		{"Encounter", []string{"practitioner", "participant"}, "Practitioner", []string{"participant"}},
		{"Encounter", []string{"patient", "subject"}, "Patient", []string{"subject"}},
		{"Encounter", []string{"patient"}, "Group", []string{}}, // narrowed to another type: names no Group
		{"AuditEvent", []string{"patient"}, "Patient", []string{"agent", "entity"}},
		// None narrowed: the access condition reads them as they are.
		{"Patient", PracticeParams, "Organization", PracticeParams},
	}
	for _, c := range cases {
		if got := StoredParams(c.typ, c.codes, c.target); !slices.Equal(got, c.want) {
			t.Errorf("StoredParams(%s, %v, %s) = %v, want %v", c.typ, c.codes, c.target, got, c.want)
		}
	}
}

// TestStoredParamsOfCompartments: every type's Patient compartment
// parameters map to stored parameters (the access condition reads them).
func TestStoredParamsOfCompartments(t *testing.T) {
	for _, typ := range definitions.ResourceTypes() {
		params := definitions.PatientCompartment(typ)
		if len(params) > 0 && len(StoredParams(typ, params, "Patient")) == 0 {
			t.Errorf("%s: the compartment's %v map to no stored parameter", typ, params)
		}
	}
}

// TestNarrowedRowsMatchResolve: over the shared data's resources, a
// narrowed parameter's extracted references are exactly its parts'
// references that name its target type: the rows a search reads are the
// rows it used to store.
func TestNarrowedRowsMatchResolve(t *testing.T) {
	// Synthea's bundles refer by urn:uuid, which names no type: refer as
	// a stored resource does (Type/id), as a transaction rewrites them.
	resources := sharedResources(t)
	literal := map[string]string{}
	for _, res := range resources {
		if id, ok := res["id"].(string); ok {
			literal["urn:uuid:"+id] = res["resourceType"].(string) + "/" + id
		}
	}
	for _, res := range resources {
		rewriteReferences(res, literal)
	}
	checked := 0
	for _, res := range resources {
		rt, _ := res["resourceType"].(string)
		v := Extract(res)
		for _, p := range Params(rt) {
			if p.narrowed == nil {
				continue
			}
			var own, derived []string
			for _, r := range v.References {
				key := r.TargetType + "/" + r.TargetID + " " + r.URL
				switch {
				case r.Param == p.Code:
					own = append(own, key)
				case slices.Contains(p.StoredAs(), r.Param) && r.TargetType == p.StoredTarget():
					derived = append(derived, key)
				}
			}
			slices.Sort(own)
			own = slices.Compact(own)
			slices.Sort(derived)
			derived = slices.Compact(derived)
			if !slices.Equal(own, derived) {
				t.Errorf("%s/%v %s: extracted %v, its parts' rows naming %s %v", rt, res["id"], p.Code, own, p.StoredTarget(), derived)
			}
			if len(own) > 0 {
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no narrowed parameter had a value in the shared data")
	}
	t.Logf("%d narrowed parameters with values checked over %d resources", checked, len(resources))
}

// rewriteReferences replaces the references named in literal, in place.
func rewriteReferences(v any, literal map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "reference" && literal[s] != "" {
				x[k] = literal[s]
				continue
			}
			rewriteReferences(e, literal)
		}
	case []any:
		for _, e := range x {
			rewriteReferences(e, literal)
		}
	}
}
