package jsonpatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/testdata"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

func TestApply(t *testing.T) {
	tests := []struct {
		name, doc, patch, want string // want "" means an error is expected
	}{
		{"add member", `{"a":1}`, `[{"op":"add","path":"/b","value":2}]`, `{"a":1,"b":2}`},
		{"add replaces member", `{"a":1}`, `[{"op":"add","path":"/a","value":[1]}]`, `{"a":[1]}`},
		{"add null", `{}`, `[{"op":"add","path":"/a","value":null}]`, `{"a":null}`},
		{"add into array", `{"a":[1,3]}`, `[{"op":"add","path":"/a/1","value":2}]`, `{"a":[1,2,3]}`},
		{"append with -", `{"a":[1]}`, `[{"op":"add","path":"/a/-","value":2}]`, `{"a":[1,2]}`},
		{"append at length", `{"a":[1]}`, `[{"op":"add","path":"/a/1","value":2}]`, `{"a":[1,2]}`},
		{"add past end", `{"a":[1]}`, `[{"op":"add","path":"/a/2","value":2}]`, ""},
		{"add missing parent", `{}`, `[{"op":"add","path":"/a/b","value":1}]`, ""},
		{"leading zero index", `{"a":[1,2]}`, `[{"op":"add","path":"/a/01","value":0}]`, ""},
		{"remove member", `{"a":1,"b":2}`, `[{"op":"remove","path":"/a"}]`, `{"b":2}`},
		{"remove array item", `{"a":[1,2,3]}`, `[{"op":"remove","path":"/a/1"}]`, `{"a":[1,3]}`},
		{"remove missing", `{}`, `[{"op":"remove","path":"/a"}]`, ""},
		{"remove with -", `{"a":[1]}`, `[{"op":"remove","path":"/a/-"}]`, ""},
		{"replace", `{"a":1}`, `[{"op":"replace","path":"/a","value":2}]`, `{"a":2}`},
		{"replace missing", `{}`, `[{"op":"replace","path":"/a","value":2}]`, ""},
		{"replace root", `{"a":1}`, `[{"op":"replace","path":"","value":{"b":1}}]`, `{"b":1}`},
		{"replace array item", `{"a":[1,2]}`, `[{"op":"replace","path":"/a/0","value":9}]`, `{"a":[9,2]}`},
		{"move", `{"a":{"x":1},"b":{}}`, `[{"op":"move","from":"/a/x","path":"/b/y"}]`, `{"a":{},"b":{"y":1}}`},
		{"move within array", `{"a":[1,2,3]}`, `[{"op":"move","from":"/a/0","path":"/a/2"}]`, `{"a":[2,3,1]}`},
		{"move into own child", `{"a":{"b":{}}}`, `[{"op":"move","from":"/a","path":"/a/b/c"}]`, ""},
		{"copy", `{"a":{"x":[1]}}`, `[{"op":"copy","from":"/a/x","path":"/b"}]`, `{"a":{"x":[1]},"b":[1]}`},
		{"test passes", `{"a":[1,{"b":"c"}]}`, `[{"op":"test","path":"/a","value":[1.0,{"b":"c"}]}]`, `{"a":[1,{"b":"c"}]}`},
		{"test fails", `{"a":1}`, `[{"op":"test","path":"/a","value":"1"}]`, ""},
		{"test null vs missing", `{}`, `[{"op":"test","path":"/a","value":null}]`, ""},
		{"escaped pointer", `{"a/b":1,"m~n":2}`, `[{"op":"remove","path":"/a~1b"},{"op":"replace","path":"/m~0n","value":3}]`, `{"m~n":3}`},
		{"all or nothing", `{"a":1}`, `[{"op":"add","path":"/b","value":2},{"op":"remove","path":"/zzz"}]`, ""},
		{"FHIR: add a name", `{"resourceType":"Patient","name":[{"family":"Smith"}]}`, `[{"op":"add","path":"/name/-","value":{"family":"Jones","use":"maiden"}}]`, `{"resourceType":"Patient","name":[{"family":"Smith"},{"family":"Jones","use":"maiden"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.patch))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			doc := decode(t, tt.doc)
			before := decode(t, tt.doc)
			got, err := p.Apply(doc)
			if !reflect.DeepEqual(doc, before) {
				t.Fatalf("Apply changed its input: %v", doc)
			}
			if tt.want == "" {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("got %v, %v; want an *Error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(got, decode(t, tt.want)) {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, patch := range []string{
		`{}`, `null`, `[1]`, `[{"path":"/a"}]`, `[{"op":"frob","path":"/a"}]`, `[{"op":"add","path":"/a"}]`,
		`[{"op":"add","value":1}]`, `[{"op":"move","path":"/a"}]`, `[{"op":"remove","path":"a"}]`,
		`[{"op":"remove","path":"/a~2"}]`, `[{"op":1,"path":"/a"}]`,
	} {
		if _, err := Parse([]byte(patch)); err == nil {
			t.Errorf("%s: accepted", patch)
		}
	}
	_, err := Parse([]byte(`[{"op":"remove","path":"/a"},{"op":"add","path":"/b"}]`))
	var pe *Error
	if !errors.As(err, &pe) || pe.Index != 1 || !strings.Contains(err.Error(), "operation 1") {
		t.Errorf("error does not name operation 1: %v", err)
	}
}

// TestOfficialCases runs the JSON Patch cases of the FHIR test suite.
func TestOfficialCases(t *testing.T) {
	dir := testdata.Dir(t)
	data, err := os.ReadFile(filepath.Join(dir, "fhir-test-cases/r4/patch/json-patch-tests.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Comment  string          `json:"comment"`
		Doc      json.RawMessage `json:"doc"`
		Patch    json.RawMessage `json:"patch"`
		Expected json.RawMessage `json:"expected"`
		Error    string          `json:"error"`
		Disabled bool            `json:"disabled"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range cases {
		if c.Disabled {
			continue
		}
		ran++
		p, err := Parse(c.Patch)
		if err == nil {
			_, err = func() (any, error) {
				got, err := p.Apply(decode(t, string(c.Doc)))
				if err == nil && c.Error == "" && !Equal(got, decode(t, string(c.Expected))) {
					t.Errorf("%s: got %v, want %s", c.Comment, got, c.Expected)
				}
				return got, err
			}()
		}
		if c.Error != "" && err == nil {
			t.Errorf("%s: no error, want %q", c.Comment, c.Error)
		}
		if c.Error == "" && err != nil {
			t.Errorf("%s: %v", c.Comment, err)
		}
	}
	if ran < 10 {
		t.Errorf("ran only %d official cases", ran)
	}
	t.Logf("%d official JSON Patch cases passed", ran)
}

// TestPDSPatches parses the NHS PDS example PATCH requests, which wrap the
// JSON Patch in {"patches": [...]}.
func TestPDSPatches(t *testing.T) {
	dir := testdata.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "pds-examples/requests/PatientPatch/*.json"))
	if len(files) == 0 {
		t.Skip("no PDS patch examples")
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var wrapper struct {
			Patches json.RawMessage `json:"patches"`
		}
		if err := json.Unmarshal(data, &wrapper); err != nil || wrapper.Patches == nil {
			continue
		}
		if _, err := Parse(wrapper.Patches); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}

func FuzzParseApply(f *testing.F) {
	f.Add([]byte(`[{"op":"add","path":"/a/-","value":1},{"op":"move","from":"/a/0","path":"/b"}]`), []byte(`{"a":[1,2]}`))
	f.Add([]byte(`[{"op":"test","path":"/a","value":1e99999}]`), []byte(`{"a":1}`))
	f.Add([]byte(`[{"op":"copy","from":"","path":"/x"}]`), []byte(`{"x":{"y":[]}}`))
	f.Fuzz(func(t *testing.T, patch, doc []byte) {
		p, err := Parse(patch)
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		dec2 := json.NewDecoder(bytes.NewReader(doc))
		dec2.UseNumber()
		var before any
		_ = dec2.Decode(&before)
		_, _ = p.Apply(v)
		if !reflect.DeepEqual(v, before) {
			t.Fatalf("Apply changed its input")
		}
	})
}
