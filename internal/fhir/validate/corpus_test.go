package validate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// TestOfficialExamplesValidate validates the official R4 examples: all pass
// but the four that break R4 rules themselves.
func TestOfficialExamplesValidate(t *testing.T) {
	dir := testdata.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "fhir-test-cases/r4/examples/*.json"))
	if len(files) < 50 {
		t.Fatalf("found %d official examples under %s", len(files), dir)
	}
	// The official examples that break R4 rules themselves; the HTTP corpus
	// test lists the UK Core ones too.
	invalid := map[string]bool{
		"bundle-questionnaire.json":       true, // nested items without linkId
		"codesystem-example.json":         true, // csd-1: the code chol-mass is defined twice
		"devicemetric-example.json":       true, // parent references a DeviceDefinition
		"deviceusestatement-example.json": true, // reasonReference to a Procedure
		"medicationrequest0301.json":      true, // dispenseRequest.performer references a Practitioner
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := fhir.Unmarshal(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		issues := Resource(res)
		name := filepath.Base(f)
		switch {
		case invalid[name] && len(issues) == 0:
			t.Errorf("%s is known to be invalid but passed", name)
		case !invalid[name] && len(issues) > 0:
			t.Errorf("%s: %+v", name, issues)
		}
	}
}

// TestUnevaluatedInvariants checks that the FHIRPath engine evaluates every
// R4 invariant the official examples reach: one it cannot evaluate is
// passed, so a gap would silently weaken validation.
func TestUnevaluatedInvariants(t *testing.T) {
	dir := testdata.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "fhir-test-cases/r4/examples/*.json"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		res, err := fhir.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		v := &validator{codes: DefinitionCodes{}}
		v.resource(map[string]any(res), res.Type())
		if len(v.unevaluated) > 0 {
			t.Errorf("%s: invariants not evaluated: %v", filepath.Base(f), v.unevaluated)
		}
	}
}

// TestDom3MatchesFHIRPath checks the native dom-3 against its FHIRPath
// expression on every example and on hand-made cases.
func TestDom3MatchesFHIRPath(t *testing.T) {
	var src string
	for _, c := range definitions.Constraints("Patient", "Patient") {
		if c.Key == "dom-3" {
			src = c.Expression
		}
	}
	expr := fhirpath.MustCompile(src)
	check := func(name string, res map[string]any) {
		out, err := expr.EvaluateNode(fhirpath.ResourceNode(res), res, invariantOptions)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := len(out) == 1 && fhirpath.Value(out[0]) == true
		if got := dom3(res); got != want {
			t.Errorf("%s: native dom-3 %v, FHIRPath %v", name, got, want)
		}
	}
	for name, doc := range map[string]string{
		"no contained":     `{"resourceType":"Patient"}`,
		"referenced":       `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp"}],"generalPractitioner":[{"reference":"#gp"}]}`,
		"not referenced":   `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp"}]}`,
		"refers to parent": `{"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"Provenance","id":"p","target":[{"reference":"#"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"display":"x"}}]}]}`,
		"no id":            `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner"}]}`,
		"canonical":        `{"resourceType":"Questionnaire","status":"draft","contained":[{"resourceType":"ValueSet","id":"vs","status":"draft"}],"item":[{"linkId":"1","type":"choice","answerValueSet":"#vs"}]}`,
		"one of two":       `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"a"},{"resourceType":"Practitioner","id":"b"}],"generalPractitioner":[{"reference":"#a"}]}`,
	} {
		check(name, decode(t, doc))
	}
	dir := testdata.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "fhir-test-cases/r4/examples/*.json"))
	xmls, _ := filepath.Glob(filepath.Join(dir, "ukcore-examples/*.xml"))
	for _, f := range append(files, xmls...) {
		data, _ := os.ReadFile(f)
		var res fhir.Resource
		var err error
		if filepath.Ext(f) == ".xml" {
			res, err = fhirxml.Decode(data)
		} else {
			res, err = fhir.Unmarshal(data)
		}
		if err != nil {
			t.Fatal(err)
		}
		check(filepath.Base(f), res)
	}
}
