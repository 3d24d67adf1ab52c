package fhirpath

import (
	"reflect"
	"testing"
)

func TestForType(t *testing.T) {
	obs := map[string]any{"resourceType": "Observation", "id": "o",
		"subject": map[string]any{"reference": "Patient/p"}, "focus": []any{map[string]any{"reference": "Patient/p"}},
		"valueQuantity": map[string]any{"value": 1}}
	for _, c := range []struct {
		src     string
		results int  // on the Observation, with and without pruning
		pruned  bool // whether ForType dropped a branch
	}{
		{"Observation.subject", 1, false},                     // no union
		{"Patient.link.other | Observation.subject", 1, true}, // another type's branch
		{"Observation.subject | Observation.focus", 1, false}, // one type: duplicates removed, as before
		{"Patient.link | Encounter.subject", 0, true},         // nothing left: empty
		{"Resource.id | Patient.id", 1, true},                 // an abstract root stays
		{"Patient.link.exists() | Observation.id", 2, false},  // exists() answers for empty: kept
		{"(Patient.deceased as boolean) | (Observation.value as Quantity)", 1, true},
		{"Patient.link.where(other.exists()).other | Observation.subject.where(resolve() is Patient)", 1, true},
		{"id | Patient.id", 1, true}, // a path of the focus stays
	} {
		e := MustCompile(c.src)
		f := e.ForType("Observation")
		if pruned := f != e; pruned != c.pruned {
			t.Errorf("%s: pruned %v, want %v", c.src, pruned, c.pruned)
		}
		want, err1 := e.Evaluate(obs, nil)
		got, err2 := f.Evaluate(obs, nil)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(want, got) || len(got) != c.results {
			t.Errorf("%s: official %v (%v), for the type %v (%v), want %d results", c.src, want, err1, got, err2, c.results)
		}
	}
}
