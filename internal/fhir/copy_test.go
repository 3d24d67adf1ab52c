package fhir

import (
	"reflect"
	"testing"
)

func TestDeepCopy(t *testing.T) {
	orig := Resource{"resourceType": "Encounter", "participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner?identifier=a|1"}}}}
	cp := DeepCopy(orig).(Resource)
	if !reflect.DeepEqual(cp, orig) {
		t.Fatalf("copy %v differs from %v", cp, orig)
	}
	cp["participant"].([]any)[0].(map[string]any)["individual"].(map[string]any)["reference"] = "Practitioner/1"
	cp["status"] = "finished"
	if got := orig["participant"].([]any)[0].(map[string]any)["individual"].(map[string]any)["reference"]; got != "Practitioner?identifier=a|1" {
		t.Fatalf("changing the copy changed the original: %v", got)
	}
	if _, ok := orig["status"]; ok {
		t.Fatal("a member added to the copy appeared in the original")
	}
}
