package fhirxml

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

const patientXML = `<?xml version="1.0" encoding="UTF-8"?>
<Patient xmlns="http://hl7.org/fhir">
  <!-- a comment is dropped -->
  <id value="p1"/>
  <text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Jane <b>Smith</b></p></div></text>
  <contained><Practitioner><id value="gp"/><name><family value="Who"/></name></Practitioner></contained>
  <extension url="https://example.org/x"><valueQuantity><value value="1.50"/><unit value="kg"/></valueQuantity></extension>
  <identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9000000009"/></identifier>
  <active value="true"/>
  <name><given value="Jane"/><given id="g2"><extension url="https://example.org/y"><valueString value="z"/></extension></given><given value="Ann"/></name>
  <birthDate value="1980-02-29"><extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime"><valueDateTime value="1980-02-29T10:00:00Z"/></extension></birthDate>
  <multipleBirthInteger value="2"/>
</Patient>`

const patientJSON = `{"resourceType":"Patient","id":"p1",
 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Jane <b>Smith</b></p></div>"},
 "contained":[{"resourceType":"Practitioner","id":"gp","name":[{"family":"Who"}]}],
 "extension":[{"url":"https://example.org/x","valueQuantity":{"value":1.50,"unit":"kg"}}],
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
 "active":true,
 "name":[{"given":["Jane",null,"Ann"],"_given":[null,{"id":"g2","extension":[{"url":"https://example.org/y","valueString":"z"}]},null]}],
 "birthDate":"1980-02-29","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1980-02-29T10:00:00Z"}]},
 "multipleBirthInteger":2}`

func TestDecodeMatchesJSON(t *testing.T) {
	got, err := Decode([]byte(patientXML))
	if err != nil {
		t.Fatal(err)
	}
	want, err := fhir.Unmarshal([]byte(patientJSON))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		t.Errorf("got  %s\nwant %s", g, patientJSON)
	}
	// The decimal keeps its exact text.
	q := got["extension"].([]any)[0].(map[string]any)["valueQuantity"].(map[string]any)
	if q["value"] != json.Number("1.50") {
		t.Errorf("decimal is %#v, want 1.50", q["value"])
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"not XML":            `{"resourceType":"Patient"}`,
		"unknown resource":   `<Nope xmlns="http://hl7.org/fhir"/>`,
		"wrong namespace":    `<Patient xmlns="urn:x"/>`,
		"unknown element":    `<Patient xmlns="http://hl7.org/fhir"><foo value="1"/></Patient>`,
		"bad boolean":        `<Patient xmlns="http://hl7.org/fhir"><active value="yes"/></Patient>`,
		"bad number":         `<Patient xmlns="http://hl7.org/fhir"><multipleBirthInteger value="two"/></Patient>`,
		"text content":       `<Patient xmlns="http://hl7.org/fhir"><gender>male</gender></Patient>`,
		"empty container":    `<Patient xmlns="http://hl7.org/fhir"><contained></contained></Patient>`,
		"primitive no value": `<Patient xmlns="http://hl7.org/fhir"><gender/></Patient>`,
		"truncated":          `<Patient xmlns="http://hl7.org/fhir"><name><family value="x"/>`,
	} {
		if _, err := Decode([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		} else if !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: error %q does not name the line", name, err)
		}
	}
}

// TestUKCoreExamples reads every UK Core XML example and compares it with
// its JSON conversion, which must agree except where the converter wrote
// a decimal as a string (counted, not failed).
func TestUKCoreExamples(t *testing.T) {
	dir := filepath.Join(testdata.Dir(t), "ukcore-examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) == 0 {
		t.Skipf("no UK Core XML examples under %s", dir)
	}
	decimalsAsStrings := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		got, err := Decode(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		jdata, err := os.ReadFile(strings.TrimSuffix(f, ".xml") + ".json")
		if err != nil {
			continue
		}
		want, err := fhir.Unmarshal(jdata)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fhir.DropComments(want)
		if path, ok := diff(map[string]any(got), map[string]any(want), ""); !ok {
			if path == "decimal" {
				decimalsAsStrings++
				continue
			}
			t.Errorf("%s: XML and JSON differ at %s", filepath.Base(f), path)
		}
	}
	t.Logf("%d XML examples read; %d JSON conversions hold decimals as strings", len(files), decimalsAsStrings)
}

// diff compares two decoded documents, treating a number in a and the
// same text as a string in b as the converter's decimal mistake.
func diff(a, b any, path string) (string, bool) {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return path + " (members)", false
		}
		decimal := false
		for k, v := range a {
			p, ok := diff(v, bm[k], path+"."+k)
			if !ok && p != "decimal" {
				return p, false
			}
			decimal = decimal || !ok
		}
		if decimal {
			return "decimal", false
		}
		return "", true
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return path + " (length)", false
		}
		decimal := false
		for i := range a {
			p, ok := diff(a[i], bl[i], path)
			if !ok && p != "decimal" {
				return p, false
			}
			decimal = decimal || !ok
		}
		if decimal {
			return "decimal", false
		}
		return "", true
	case json.Number:
		if s, ok := b.(string); ok && s == string(a) {
			return "decimal", false
		}
	}
	if reflect.DeepEqual(a, b) {
		return "", true
	}
	return path, false
}

// FuzzDecode checks that the reader never panics, whatever the input.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(patientXML))
	f.Add([]byte(`<Bundle xmlns="http://hl7.org/fhir"><entry><resource><Patient><id value="1"/></Patient></resource></entry></Bundle>`))
	f.Add([]byte(`<Questionnaire xmlns="http://hl7.org/fhir"><item><item><linkId value="1"/></item></item></Questionnaire>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Decode(data)
	})
}

// An element that reuses another's definition (Questionnaire.item.item)
// is read with that definition's children.
func TestContentReference(t *testing.T) {
	r, err := Decode([]byte(`<Questionnaire xmlns="http://hl7.org/fhir"><status value="active"/>
	  <item><linkId value="1"/><type value="group"/><item><linkId value="1.1"/><type value="string"/></item></item></Questionnaire>`))
	if err != nil {
		t.Fatal(err)
	}
	items, _ := r["item"].([]any)
	inner, _ := items[0].(map[string]any)["item"].([]any)
	if len(inner) != 1 || inner[0].(map[string]any)["linkId"] != "1.1" {
		t.Fatalf("got %v", r)
	}
}
