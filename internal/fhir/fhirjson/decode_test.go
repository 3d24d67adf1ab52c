package fhirjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func stdDecode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func TestDecodeValid(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, `"x"`, `0`, `-0`, `1.50`, `-12.5e+3`, `1E-7`, `true`, `false`, `null`,
		` { "a" : [ 1 , 2.0 , "three" , null , true , { } ] } `,
		`{"s":"tab\tnew\nquote\"slash\/back\\uni\u00e9 emoji \ud83d\ude00"}`,
		`{"lone":"\ud800 x \udc00"}`,
		`{"utf8":"Zoë — 東京"}`,
		`{"resourceType":"Patient","name":[{"given":["Jane"]}],"multipleBirthInteger":2,"deceasedBoolean":false}`,
	} {
		got, err := Decode([]byte(doc), Limits{})
		if err != nil {
			t.Errorf("%s: %v", doc, err)
			continue
		}
		want, _ := stdDecode([]byte(doc))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", doc, got, want)
		}
	}
	if v, _ := Decode([]byte(`1.500`), Limits{}); v != json.Number("1.500") {
		t.Errorf("decimal precision lost: %v", v)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		doc    string
		offset string // "offset N" the message must contain
		code   string
		lim    Limits
	}{
		{``, "", fhir.CodeStructure, Limits{}},
		{`   `, "", fhir.CodeStructure, Limits{}},
		{`{"a":1,}`, "offset 7", fhir.CodeStructure, Limits{}},
		{`{"a" 1}`, "offset 5", fhir.CodeStructure, Limits{}},
		{`{"a":1}x`, "offset 7", fhir.CodeStructure, Limits{}},
		{`[1,2`, "offset 4", fhir.CodeStructure, Limits{}},
		{`{"a":tru}`, "offset 5", fhir.CodeStructure, Limits{}},
		{`{"a":01}`, "offset 6", fhir.CodeStructure, Limits{}},
		{`{"a":1.}`, "offset 7", fhir.CodeStructure, Limits{}},
		{`{"a":-}`, "offset 6", fhir.CodeStructure, Limits{}},
		{`{"a":"x\qy"}`, "offset 7", fhir.CodeStructure, Limits{}},
		{`{"a":"x\u12"}`, "offset 9", fhir.CodeStructure, Limits{}},
		{"{\"a\":\"x\ny\"}", "offset 7", fhir.CodeStructure, Limits{}},
		{"{\"a\":\"\xff\"}", "offset 6", fhir.CodeStructure, Limits{}},
		{`{"a":"unterminated`, "offset 18", fhir.CodeStructure, Limits{}},
		{`{"a":1,"a":2}`, "offset 7", fhir.CodeStructure, Limits{}},
		{`[[[1]]]`, "offset 2", fhir.CodeTooLong, Limits{MaxDepth: 2}},
		{`{"a":"12345"}`, "offset 5", fhir.CodeTooLong, Limits{MaxStringBytes: 4}},
		{`{"a":"1\n345"}`, "offset 5", fhir.CodeTooLong, Limits{MaxStringBytes: 4}},
		{`{"12345":1}`, "offset 1", fhir.CodeTooLong, Limits{MaxStringBytes: 4}},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.doc), tt.lim)
		var fe *fhir.Error
		if !errors.As(err, &fe) {
			t.Errorf("%q: got %v, want a *fhir.Error", tt.doc, err)
			continue
		}
		if fe.Status != http.StatusBadRequest || fe.Issues[0].Code != tt.code || !strings.Contains(fe.Issues[0].Diagnostics, tt.offset) {
			t.Errorf("%q: got %d %s %q, want 400 %s with %q", tt.doc, fe.Status, fe.Issues[0].Code, fe.Issues[0].Diagnostics, tt.code, tt.offset)
		}
	}
}

func TestDepthLimitBoundary(t *testing.T) {
	lim := Limits{MaxDepth: 5}
	if _, err := Decode([]byte(`[[[[[1]]]]]`), lim); err != nil {
		t.Errorf("depth 5 refused: %v", err)
	}
	if _, err := Decode([]byte(`[[[[[[1]]]]]]`), lim); err == nil {
		t.Error("depth 6 accepted")
	}
}

// TestHostileNesting: a million '[' is refused at the limit, quickly and
// without allocating for the rest.
func TestHostileNesting(t *testing.T) {
	doc := bytes.Repeat([]byte{'['}, 1_000_000)
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := Decode(doc, Limits{}); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs > 1000 {
		t.Errorf("%.0f allocations refusing deep nesting", allocs)
	}
}

func TestDecodeResource(t *testing.T) {
	if r, err := DecodeResource([]byte(`{"resourceType":"Patient"}`), Limits{}); err != nil || r.Type() != "Patient" {
		t.Errorf("got %v, %v", r, err)
	}
	for _, doc := range []string{`[]`, `{"id":"x"}`, `{"resourceType":1}`, `"Patient"`} {
		if _, err := DecodeResource([]byte(doc), Limits{}); err == nil {
			t.Errorf("%s accepted as a resource", doc)
		}
	}
}

// FuzzDecode compares with encoding/json: whatever encoding/json accepts
// that is UTF-8 without duplicate keys, Decode must decode identically;
// whatever Decode accepts, encoding/json must too. Neither may panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x",null,true,{"b":-1.5e3}]}`, `"\ud83d\ude00"`, `[`, `{"a":1,"a":2}`, "\"\xff\"", `0.0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data, Limits{})
		want, stdErr := stdDecode(data)
		if err == nil {
			if stdErr != nil {
				t.Fatalf("Decode accepted what encoding/json refuses (%v): %q", stdErr, data)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("differs from encoding/json on %q:\n%#v\n%#v", data, got, want)
			}
			return
		}
		if stdErr == nil && utf8.Valid(data) && !strings.Contains(err.Error(), "duplicate") && !strings.Contains(err.Error(), "UTF-8") && !strings.Contains(err.Error(), "nesting") {
			t.Fatalf("Decode refused valid JSON %q: %v", data, err)
		}
	})
}

var benchDoc = []byte(`{"resourceType":"Observation","id":"f1a2b3c4","meta":{"versionId":"1","lastUpdated":"2024-01-02T03:04:05.123456Z"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel with all children optional"}],"text":"Blood pressure panel with all children optional"},"subject":{"reference":"Patient/6f1a2b3c-0000-4000-8000-000000000001"},"encounter":{"reference":"Encounter/6f1a2b3c-0000-4000-8000-000000000002"},"effectiveDateTime":"2012-01-23T17:45:49+00:00","issued":"2012-01-23T17:45:49.403+00:00","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4","display":"Diastolic Blood Pressure"}],"text":"Diastolic Blood Pressure"},"valueQuantity":{"value":82,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic Blood Pressure"}],"text":"Systolic Blood Pressure"},"valueQuantity":{"value":127.50,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}],"note":[{"text":"Taken at rest, left arm, \"seated\" \u2014 repeat in 3 months"}]}`)

func BenchmarkDecode(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(benchDoc, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibDecode is the yardstick: encoding/json with UseNumber.
func BenchmarkStdlibDecode(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stdDecode(benchDoc); err != nil {
			b.Fatal(err)
		}
	}
}
