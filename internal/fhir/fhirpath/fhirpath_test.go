package fhirpath

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

const patientJSON = `{"resourceType":"Patient","id":"p1",
 "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
 "name":[{"use":"official","family":"Smith","given":["Jo","Ann"]},{"use":"nickname","given":["Jojo"]}],
 "birthDate":"1980-02-29","_birthDate":{"extension":[{"url":"http://example.org/time","valueDateTime":"1980-02-29T10:00:00Z"}]},
 "deceasedBoolean":false,
 "contained":[{"resourceType":"Practitioner","id":"gp","name":[{"family":"Who"}]}],
 "generalPractitioner":[{"reference":"#gp"},{"reference":"Organization/o1"}]}`

const observationJSON = `{"resourceType":"Observation","id":"o1","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]},
 "subject":{"reference":"Patient/p1"},
 "effectivePeriod":{"start":"2024-01-01T10:00:00Z","end":"2024-01-01T11:00:00Z"},
 "valueQuantity":{"value":182.5,"unit":"cm","system":"http://unitsofmeasure.org","code":"cm"},
 "component":[{"code":{"text":"a"},"valueString":"x"},{"code":{"text":"b"},"valueInteger":3}]}`

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	r, err := fhir.Unmarshal([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEvaluate(t *testing.T) {
	patient, obs := decode(t, patientJSON), decode(t, observationJSON)
	tests := []struct {
		res  map[string]any
		expr string
		want string // the results' toString() joined by |
	}{
		{patient, "Patient.name.given", "Jo|Ann|Jojo"},
		{patient, "name.where(use = 'official').family", "Smith"},
		{patient, "Patient.name.family | Practitioner.name.family", "Smith"},
		{patient, "Patient.birthDate", "1980-02-29"},
		{patient, "Patient.birthDate.extension('http://example.org/time').value", "1980-02-29T10:00:00Z"},
		{patient, "Patient.deceased.exists() and Patient.deceased != true", "true"},
		{patient, "Patient.generalPractitioner.resolve().name.family", "Who"},
		{patient, "Patient.generalPractitioner.where(resolve() is Organization).reference", "Organization/o1"},
		{patient, "Patient.identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value", "9000000009"},
		{patient, "Patient.name.given.count() > 2", "true"},
		{patient, "Patient.name.first().given.join(' ')", "Jo Ann"},
		{patient, "today() > Patient.birthDate", "true"},
		{obs, "Observation.value", "182.5 'cm'"},
		{obs, "(Observation.value as Quantity).value", "182.5"},
		{obs, "Observation.value.ofType(Quantity).unit", "cm"},
		{obs, "Observation.effective.ofType(Period).start < Observation.effective.ofType(Period).end", "true"},
		{obs, "Observation.component.value.ofType(integer)", "3"},
		{obs, "Observation.subject.where(resolve() is Patient)", ""},
		{obs, "Observation.value > 1.5 'm'", "true"},
		{obs, "Observation.component.where(code.text = 'b').value + 2", "5"},
		{nil, "(1 | 2 | 2 | 3).distinct().count()", "3"},
		{nil, "@2024-01-31 + 1 month", "2024-03-02"},
		{nil, "'abc'.substring(1) & 'd'", "bcd"},
		{nil, "iif(1 > 2, 'a', 'b')", "b"},
		{nil, "1.5 ~ 1.50", "true"},
		{nil, "@2012-04-15 = @2012-04-15T10:00", ""},
	}
	for _, tc := range tests {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		out, err := e.Evaluate(tc.res, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		var parts []string
		for _, item := range out {
			v := Value(item)
			if n, ok := v.(*Node); ok {
				b, _ := json.Marshal(n.Value)
				parts = append(parts, string(b))
				continue
			}
			s, _ := convertString(v)
			parts = append(parts, s.(string))
		}
		if got := strings.Join(parts, "|"); got != tc.want && !(tc.want == "" && len(out) == 1) {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, src := range []string{"1 +", "name.where(", "'unterminated", "a.b(1,", "@", "1 2"} {
		if _, err := Compile(src); err == nil {
			t.Errorf("Compile(%q) succeeded", src)
		}
	}
	patient := decode(t, patientJSON)
	for _, src := range []string{"Patient.name.given + 1", "unknownFunction()", "Patient.name.single()", "%nope", "Patient.as(Nonsense)"} {
		if _, err := MustCompile(src).Evaluate(patient, nil); err == nil {
			t.Errorf("Evaluate(%q) succeeded", src)
		}
	}
}

// Every official search parameter expression compiles, and evaluates
// without error over every official example of its resource types.
func TestSearchParameterExpressions(t *testing.T) {
	compiled := map[string]*Expr{}
	for _, p := range definitions.AllSearchParameters() {
		if p.Expression == "" {
			continue
		}
		e, err := Compile(p.Expression)
		if err != nil {
			t.Errorf("%s: %v", p.URL, err)
			continue
		}
		compiled[p.URL] = e
	}
	dir := testdata.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "fhir-test-cases/r4/examples/*.json"))
	evaluated := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := fhir.Unmarshal(data)
		if err != nil {
			continue
		}
		for _, p := range definitions.SearchParameters(fhir.Resource(r).Type()) {
			if e := compiled[p.URL]; e != nil {
				if _, err := e.Evaluate(r, nil); err != nil {
					t.Errorf("%s on %s: %v", p.Code, filepath.Base(f), err)
				}
				evaluated++
			}
		}
	}
	t.Logf("%d expressions compiled, %d evaluations over %d examples", len(compiled), evaluated, len(files))
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"Patient.name.where(use = 'official').given.first()", "@2024-01-01T10:00:00.000+01:00 + 1 day",
		"(Observation.value as Quantity) > 5 'mg'", "iif($this.exists(), 1.5, {})", "%`ext-x`.length() mod 2", "a[0].b | c"} {
		f.Add(s)
	}
	patient := decode(f, patientJSON)
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src)
		if err != nil {
			return
		}
		_, _ = e.Evaluate(patient, nil) // must not panic
	})
}
