package fhirpath

import (
	"reflect"
	"testing"
)

// TestInputMatchesEvaluate: evaluations on one prepared Input, one after
// another (an error among them, scopes in where() and select(), %resource
// and a node as the focus), give what separate Evaluate and EvaluateNode
// calls give: nothing of one evaluation is left for the next.
func TestInputMatchesEvaluate(t *testing.T) {
	patient := decode(t, patientJSON)
	exprs := []string{
		"Patient.name.given",
		"name.where(use = 'official').given.select($this + '!')",
		"name.given.where($index > 0)",
		"name.single().given", // an error: two names
		"%resource.id",
		"identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value",
		"generalPractitioner.resolve()",
		"contained.ofType(Practitioner).name.family",
		"birthDate.extension.value",
		"deceased.exists() and deceased = false",
		"aggregate($this + $total, 0)",
	}
	for _, opts := range []*Options{nil, {AsFilter: true}} {
		in := NewInput(patient, opts)
		for round := range 2 {
			for _, src := range exprs {
				e, err := Compile(src)
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				want, wantErr := e.Evaluate(patient, opts)
				got, gotErr := e.EvaluateInput(in)
				if !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) {
					t.Errorf("round %d, %s: EvaluateInput = %v, %v; Evaluate = %v, %v", round, src, got, gotErr, want, wantErr)
				}
				name := ResourceNode(patient)
				if names, _ := mustCompile(t, "name").Evaluate(patient, nil); len(names) > 0 {
					name = names[0].(*Node)
				}
				want, wantErr = e.EvaluateNode(name, patient, opts)
				got, gotErr = e.EvaluateNodeInput(name, in)
				if !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) {
					t.Errorf("round %d, %s on a name: EvaluateNodeInput = %v, %v; EvaluateNode = %v, %v", round, src, got, gotErr, want, wantErr)
				}
			}
		}
	}
}

func mustCompile(t *testing.T, src string) *Expr {
	t.Helper()
	e, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
