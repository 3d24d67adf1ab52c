package fhir

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/testdata"
)

// stdlibMarshal is what Marshal wrote before it had its own writer:
// encoding/json without HTML escaping, resourceType moved first. The
// writer must give the same bytes, or stored bodies and ETags computed
// over them would change under existing stores.
func stdlibMarshal(v any) ([]byte, error) {
	enc := func(v any) ([]byte, error) {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(v); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
	}
	m, isMap := v.(map[string]any)
	if r, ok := v.(Resource); ok {
		m, isMap = map[string]any(r), true
	}
	rt, isResource := m["resourceType"].(string)
	if !isMap || !isResource {
		return enc(v)
	}
	rest := map[string]any{}
	for k, e := range m {
		if k != "resourceType" {
			rest[k] = e
		}
	}
	body, err := enc(rest)
	if err != nil {
		return nil, err
	}
	head, _ := enc(rt)
	out := append([]byte(`{"resourceType":`), head...)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}

// checkSame fails t unless both writers agree on v (bytes, or both
// failing).
func checkSame(t testing.TB, name string, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, gotErr := MarshalSorted(v)
	if (wantErr == nil) != (gotErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("%s: MarshalSorted = %q, %v\nencoding/json  = %q, %v", name, got, gotErr, want, wantErr)
	}
	want, wantErr = stdlibMarshal(v)
	got, gotErr = Marshal(v)
	if (wantErr == nil) != (gotErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("%s: Marshal = %q, %v\nencoding/json = %q, %v", name, got, gotErr, want, wantErr)
	}
}

func TestWriteJSONMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"empty resource", Resource{"resourceType": "Basic"}},
		{"resourceType not a string", map[string]any{"resourceType": json.Number("1"), "a": "b"}},
		{"nested Resource", Resource{"resourceType": "Bundle", "entry": []any{map[string]any{"resource": Resource{"resourceType": "Patient", "id": "p"}}}}},
		{"nil map and slice", map[string]any{"m": map[string]any(nil), "s": []any(nil), "r": Resource(nil)}},
		{"empty key and skip", map[string]any{"": 1.0, "resourceType": "X", "a": []any{}}},
		{"escapes", map[string]any{"s": "<b>&amp;</b> \"q\" \\ \b\f\n\r\t \x00\x1f\x7f \u2028\u2029 é \xff\xfe end", "k<&>\n": true}},
		{"numbers", []any{json.Number(""), json.Number("-0.5e-10"), json.Number("12"), 0.0, math.Copysign(0, -1), 1e-7, 1e-6, 123456789.125, 1e20, 1e21, -1.5e300, 5e-324}},
		{"invalid number", []any{json.Number("1.")}},
		{"NaN", []any{math.NaN()}},
		{"infinite", map[string]any{"x": math.Inf(-1)}},
		{"other types", map[string]any{"raw": json.RawMessage(` {"b": 1, "a" : "<"} `), "ints": []int{1, 2}, "strs": map[string]string{"z": "&", "a": "y"}, "i": 3, "f32": float32(0.1)}},
		{"bad raw message", map[string]any{"raw": json.RawMessage(`{`)}},
		{"deep", deep(maxWriteDepth + 20)},
	}
	for _, tc := range tests {
		checkSame(t, tc.name, tc.v)
	}
}

func deep(n int) any {
	var v any = "leaf"
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			v = []any{v}
		} else {
			v = map[string]any{"n": v}
		}
	}
	return v
}

// TestWriteJSONMatchesOnSharedData compares the writers on every JSON
// example of the shared data and on Synthea patients' bundles, decoded
// both as stored bodies are (json.Number) and as plain JSON (float64).
func TestWriteJSONMatchesOnSharedData(t *testing.T) {
	dir := testdata.Dir(t)
	files := 0
	check := func(path string, data []byte) {
		if r, err := Unmarshal(data); err == nil {
			checkSame(t, path, r)
			files++
		}
		var plain any
		if json.Unmarshal(data, &plain) == nil {
			checkSame(t, path+" (float64)", plain)
		}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		check(path, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	synthea, _ := filepath.Glob(filepath.Join(dir, "synthea-r4", "*.json.gz"))
	for _, path := range synthea[:min(len(synthea), 5)] {
		check(path, testdata.Gunzip(t, path))
	}
	if files < 100 {
		t.Fatalf("compared %d files; the shared data should hold hundreds", files)
	}
}

// FuzzWriteJSON decodes arbitrary JSON both ways and checks the writers
// agree with encoding/json; a fuzzed string is also tried as a member's
// name and value, so that any bytes (invalid UTF-8 included) are escaped
// the same.
func FuzzWriteJSON(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","name":[{"text":"<Ann> & \u2028"}],"n":1.50,"b":true,"z":null}`))
	f.Add([]byte(`[1e-7, -0, 1E+400, "\ud800", {"":{}}]`))
	f.Add([]byte("\"\xff\x00<\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, "raw string", map[string]any{string(data): string(data), "resourceType": string(data)})
		if r, err := Unmarshal(data); err == nil {
			checkSame(t, "json.Number", map[string]any(r))
		}
		var plain any
		if json.Unmarshal(data, &plain) == nil {
			checkSame(t, "float64", plain)
		}
		var number any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&number) == nil {
			checkSame(t, "any with json.Number", number)
		}
	})
}

// BenchmarkMarshal compares the writer with encoding/json on a Synthea
// Observation-sized resource.
//
//	go test ./internal/fhir -run '^$' -bench Marshal -count 5
func BenchmarkMarshal(b *testing.B) {
	r, err := Unmarshal([]byte(`{"resourceType":"Observation","id":"8f3c6f4e-5b1a-4b8e-9a39-2f7c3c1d2e4f","meta":{"versionId":"1","lastUpdated":"2026-01-02T03:04:05.000000Z"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"Heart rate"},"subject":{"reference":"urn:uuid:1b2c3d4e-0000-4000-8000-000000000001"},"encounter":{"reference":"urn:uuid:1b2c3d4e-0000-4000-8000-000000000002"},"effectiveDateTime":"2019-05-02T10:11:12+01:00","issued":"2019-05-02T10:11:12.345+01:00","valueQuantity":{"value":72.5,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("writer", func(b *testing.B) {
		for b.Loop() {
			if _, err := Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := stdlibMarshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
