package fhir

import (
	"testing"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{Resource{"resourceType": "Patient", "id": "p", "active": true}, `{"resourceType":"Patient","active":true,"id":"p"}`},
		{map[string]any{"resourceType": "Basic"}, `{"resourceType":"Basic"}`},
		{map[string]any{"b": 1, "a": "<div>&</div>"}, `{"a":"<div>&</div>","b":1}`},
		{[]any{"x"}, `["x"]`},
	}
	for _, tt := range tests {
		got, err := Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	r := Resource{"resourceType": "Patient", "id": "p"}
	Marshal(r)
	if len(r) != 2 {
		t.Error("Marshal changed its input")
	}
	back, err := Unmarshal([]byte(`{"resourceType":"Observation","valueQuantity":{"value":1.50}}`))
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := Marshal(back); string(out) != `{"resourceType":"Observation","valueQuantity":{"value":1.50}}` {
		t.Errorf("decimal precision or order lost: %s", out)
	}
}
