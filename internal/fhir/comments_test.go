package fhir

import (
	"reflect"
	"testing"
)

func TestDropComments(t *testing.T) {
	in, _ := Unmarshal([]byte(`{"resourceType":"Patient","fhir_comments":["a"],
		"_gender":{"fhir_comments":["b"]},
		"_birthDate":{"fhir_comments":["c"],"extension":[{"url":"x","valueString":"y"}]},
		"name":[{"fhir_comments":["d"],"given":["A","B"],"_given":[{"fhir_comments":["e"]},{"fhir_comments":["f"]}]}],
		"address":[{"line":["1","2"],"_line":[{"fhir_comments":["g"]},{"id":"k"}]}]}`))
	want, _ := Unmarshal([]byte(`{"resourceType":"Patient",
		"_birthDate":{"extension":[{"url":"x","valueString":"y"}]},
		"name":[{"given":["A","B"]}],
		"address":[{"line":["1","2"],"_line":[null,{"id":"k"}]}]}`))
	if n := DropComments(in); n != 7 {
		t.Errorf("removed %d comments, want 7", n)
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got %v\nwant %v", in, want)
	}
	untouched, _ := Unmarshal([]byte(`{"resourceType":"Patient","_gender":{}}`))
	if DropComments(untouched) != 0 || len(untouched) != 2 {
		t.Errorf("an object without comments was changed: %v", untouched)
	}
}
