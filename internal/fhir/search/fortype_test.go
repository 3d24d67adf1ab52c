package search

import (
	"reflect"
	"testing"
)

// TestExtractExpressionsMatchOfficial: every parameter Extract evaluates
// in its form for one type (fhirpath.Expr.ForType, the union branches of
// other types dropped) gives what the official expression gives, over
// Synthea resources and the R4 examples (every type they hold), including
// the composites and the expressions that resolve() references.
func TestExtractExpressionsMatchOfficial(t *testing.T) {
	resources := sharedResources(t)
	compared, pruned := 0, 0
	for _, r := range resources {
		rt, _ := r["resourceType"].(string)
		for _, p := range indexedParams(rt) {
			if p.extract != p.expr {
				pruned++
			}
			want, wantErr := p.expr.Evaluate(r, nil)
			got, gotErr := p.extract.Evaluate(r, nil)
			if (wantErr == nil) != (gotErr == nil) || !reflect.DeepEqual(want, got) {
				t.Errorf("%s %s (%s): official %v %v, for the type %v %v", rt, p.Code, p.Expression, want, wantErr, got, gotErr)
			}
			compared++
		}
	}
	if compared < 1000 || pruned == 0 {
		t.Fatalf("compared %d evaluations, %d of them pruned: the test checks too little", compared, pruned)
	}
	t.Logf("%d resources, %d evaluations compared, %d of them with other types' branches dropped", len(resources), compared, pruned)
}
