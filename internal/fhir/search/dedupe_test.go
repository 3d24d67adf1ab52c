package search

import (
	"fmt"
	"slices"
	"testing"
)

func TestUnique(t *testing.T) {
	long := make([]int, 0, 100)
	for i := range 100 {
		long = append(long, i%40) // past the scan's 32: the map's path
	}
	wantLong := make([]int, 40)
	for i := range wantLong {
		wantLong[i] = i
	}
	for _, c := range []struct{ in, want []int }{
		{nil, nil},
		{[]int{1}, []int{1}},
		{[]int{1, 1}, []int{1}},
		{[]int{2, 1, 2, 3, 1}, []int{2, 1, 3}},
		{long, wantLong},
	} {
		if got := unique(slices.Clone(c.in)); !slices.Equal(got, c.want) {
			t.Errorf("unique(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestExtractNoDuplicateRows: an AuditEvent with two entities of one
// type yields one entity-type row for it, as it yields one per value.
func TestExtractNoDuplicateRows(t *testing.T) {
	entity := func(code, ref string) map[string]any {
		return map[string]any{
			"type": map[string]any{"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": code},
			"what": map[string]any{"reference": ref},
		}
	}
	ev := map[string]any{
		"resourceType": "AuditEvent",
		"type":         map[string]any{"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
		"recorded":     "2026-12-02T10:00:00Z",
		"agent":        []any{map[string]any{"requestor": true}},
		"source":       map[string]any{"observer": map[string]any{"display": "gpcloud"}},
		"entity":       []any{entity("1", "Patient/p1"), entity("2", "Observation/o1"), entity("2", "Observation/o2")},
	}
	v := Extract(ev)
	counts := map[string]int{}
	for _, tok := range v.Tokens {
		counts[fmt.Sprint(tok)]++
	}
	for row, n := range counts {
		if n > 1 {
			t.Errorf("token row %s extracted %d times", row, n)
		}
	}
	var types []string
	for _, tok := range v.Tokens {
		if tok.Param == "entity-type" {
			types = append(types, tok.Code)
		}
	}
	if slices.Sort(types); !slices.Equal(types, []string{"1", "2"}) {
		t.Errorf("entity-type rows %v, want [1 2]", types)
	}
	var refs int
	for _, r := range v.References {
		if r.Param == "entity" {
			refs++
		}
	}
	if refs != 3 {
		t.Errorf("%d entity references, want 3 (distinct targets stay)", refs)
	}
}

// TestConceptTextRows: a CodeableConcept's text has a row of its own
// only when no coded row of the parameter carries it as its display
// (normalised); that row would answer :text as the coding's row does.
func TestConceptTextRows(t *testing.T) {
	coding := func(code, display string) map[string]any {
		c := map[string]any{"system": "http://loinc.org", "code": code}
		if display != "" {
			c["display"] = display
		}
		return c
	}
	for _, c := range []struct {
		name string
		code map[string]any
		want []string // the code rows, as code:text
	}{
		{"text repeats the display", map[string]any{"coding": []any{coding("8480-6", "Systolic BP")}, "text": "Systolic BP"},
			[]string{"8480-6:systolic bp"}},
		{"text repeats it but for case and accents", map[string]any{"coding": []any{coding("8480-6", "Systolic BP")}, "text": "SYSTÓLIC bp"},
			[]string{"8480-6:systolic bp"}},
		{"text repeats the second coding's display", map[string]any{"coding": []any{coding("1", "One"), coding("2", "Two")}, "text": "two"},
			[]string{"1:one", "2:two"}},
		{"text differs", map[string]any{"coding": []any{coding("8480-6", "Systolic BP")}, "text": "Blood pressure, top number"},
			[]string{"8480-6:systolic bp", ":blood pressure, top number"}},
		{"coding without display", map[string]any{"coding": []any{coding("8480-6", "")}, "text": "Systolic BP"},
			[]string{"8480-6:", ":systolic bp"}},
		{"text alone", map[string]any{"text": "Systolic BP"}, []string{":systolic bp"}},
		{"a display alone, repeated by the coded", map[string]any{"coding": []any{map[string]any{"display": "Two"}, coding("2", "Two")}},
			[]string{"2:two"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := Extract(map[string]any{"resourceType": "Observation", "status": "final", "code": c.code})
			var got []string
			for _, tok := range v.Tokens {
				if tok.Param == "code" {
					got = append(got, tok.Code+":"+tok.Text)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("code rows %q, want %q", got, c.want)
			}
		})
	}
}
