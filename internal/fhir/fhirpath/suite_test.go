package fhirpath

import (
	"encoding/xml"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// The official FHIRPath suite for R4 (fhir-test-cases/r4/fhirpath).
type suiteFile struct {
	Groups []struct {
		Name  string      `xml:"name,attr"`
		Tests []suiteTest `xml:"test"`
	} `xml:"group"`
}

type suiteTest struct {
	Name       string `xml:"name,attr"`
	InputFile  string `xml:"inputfile,attr"`
	Predicate  string `xml:"predicate,attr"`
	Mode       string `xml:"mode,attr"`
	Expression struct {
		Text    string `xml:",chardata"`
		Invalid string `xml:"invalid,attr"`
	} `xml:"expression"`
	Outputs []struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	} `xml:"output"`
}

// knownFailures lists the official tests gpcloud does not pass, with the
// reason, so that a regression (a new failure) or a fix (a listed test
// passing) shows up.
var knownFailures = map[string]string{
	"HighBoundaryDateTimeMillisecond1": "the suite expects 08:00:59.999 for an hour-precision time; the boundary of an hour is 08:59:59.999",
	"HighBoundaryDateTimeMillisecond3": "as HighBoundaryDateTimeMillisecond1",
	"HighBoundaryDecimal15":            "0.0034 has a high boundary of 0.00345, which is 0.1 at one place rounded up; the suite expects 0.0",
	"HighBoundaryDecimal16":            "as HighBoundaryDecimal15, negated",
	"LowBoundaryDecimal15":             "expects a negative zero (-0.0), which exact decimals cannot represent",
	"testDollarOrderNotAllowed":        "checkOrderedFunctions (an error for skip() on an unordered collection) is not implemented",
	"testFHIRPathIsFunction2":          "the suite wants gender.is(string) true but gender.as(string) empty (testFHIRPathAsFunction11); gpcloud treats code as not a string for both",
	"testFHIRPathIsFunction8":          "the JSON observation-example has no patient-age extension (only the XML one does)",
	"testFHIRPathIsFunction9":          "as testFHIRPathIsFunction8",
	"testFHIRPathIsFunction10":         "as testFHIRPathIsFunction8",
	"testPolymorphismAsB":              "a static (semantic) check that Period has no unit; gpcloud evaluates and returns empty",
	"testQuantity4":                    "4 'g' ~ 4040 'mg': equivalence at the least precise operand's precision of a converted unit is not implemented",
	"testQuantity9":                    "multiplying units (cm * m = m2) needs a UCUM engine",
}

// missingInputs are example files the suite uses that shared/data does not
// carry as JSON; their tests are skipped and counted separately.
func TestOfficialSuite(t *testing.T) {
	dir := testdata.Dir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "fhir-test-cases/r4/fhirpath/tests-fhir-r4.xml"))
	if err != nil {
		t.Skipf("official FHIRPath suite not in shared data: %v", err)
	}
	var suite suiteFile
	if err := xml.Unmarshal(raw, &suite); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]map[string]any{}
	load := func(name string) (map[string]any, bool) {
		if r, ok := inputs[name]; ok {
			return r, r != nil
		}
		jsonName := strings.TrimSuffix(name, ".xml")
		jsonName = strings.TrimSuffix(jsonName, ".json") + ".json"
		data, err := os.ReadFile(filepath.Join(dir, "fhir-test-cases/r4/examples", jsonName))
		if err != nil {
			inputs[name] = nil
			return nil, false
		}
		r, err := fhir.Unmarshal(data)
		if err != nil {
			t.Fatalf("%s: %v", jsonName, err)
		}
		inputs[name] = r
		return r, true
	}
	var total, passed, skipped int
	var unexpected, fixed []string
	for _, g := range suite.Groups {
		for _, tc := range g.Tests {
			total++
			var input map[string]any
			if tc.InputFile != "" {
				r, ok := load(tc.InputFile)
				if !ok {
					skipped++
					continue
				}
				input = r
			}
			err := runSuiteTest(tc, input)
			reason, known := knownFailures[tc.Name]
			switch {
			case err == nil:
				passed++
				if known {
					fixed = append(fixed, tc.Name)
				}
			case !known:
				unexpected = append(unexpected, tc.Name+": "+err.Error()+" ["+tc.Expression.Text+"]")
			default:
				_ = reason
			}
		}
	}
	run := total - skipped
	t.Logf("FHIRPath suite: %d tests, %d skipped (input file not available as JSON), %d of %d run passed (%.1f%%; %.1f%% of all)",
		total, skipped, passed, run, 100*float64(passed)/float64(run), 100*float64(passed)/float64(total))
	sort.Strings(unexpected)
	for _, u := range unexpected {
		t.Errorf("unexpected failure: %s", u)
	}
	for _, f := range fixed {
		t.Errorf("%s now passes: remove it from knownFailures", f)
	}
}

func runSuiteTest(tc suiteTest, input map[string]any) error {
	opts := &Options{Strict: tc.Mode == "strict", Now: time.Now()}
	e, err := Compile(tc.Expression.Text)
	if tc.Expression.Invalid != "" {
		if err != nil {
			return nil
		}
		if _, err := e.Evaluate(input, opts); err != nil {
			return nil
		}
		return errorf("expected an error (%s)", tc.Expression.Invalid)
	}
	if err != nil {
		return err
	}
	out, err := e.Evaluate(input, opts)
	if err != nil {
		return err
	}
	if tc.Predicate == "true" {
		out = []any{len(out) > 0}
	}
	if len(out) != len(tc.Outputs) {
		return errorf("got %d items %v, want %d", len(out), render(out), len(tc.Outputs))
	}
	for i, want := range tc.Outputs {
		if !outputMatches(out[i], want.Type, strings.TrimSpace(want.Text)) {
			return errorf("item %d: got %v, want %s %q", i, render(out[i:i+1]), want.Type, want.Text)
		}
	}
	return nil
}

func errorf(format string, args ...any) error {
	return &suiteError{msg: sprintf(format, args...)}
}

type suiteError struct{ msg string }

func (e *suiteError) Error() string { return e.msg }

func render(c []any) []string {
	var out []string
	for _, item := range c {
		v := primitiveValue(item)
		if s, ok := convertString(v); ok {
			out = append(out, sprintf("%s(%s)", systemTypeName(v), s))
		} else {
			out = append(out, sprintf("%T", v))
		}
	}
	return out
}

func outputMatches(item any, typ, text string) bool {
	v := primitiveValue(item)
	switch typ {
	case "boolean":
		b, ok := v.(bool)
		return ok && (text == "true") == b
	case "integer":
		i, ok := v.(int64)
		return ok && sprintf("%d", i) == text
	case "decimal":
		d, ok := v.(Decimal)
		want, ok2 := new(big.Rat).SetString(text)
		return ok && ok2 && d.r.Cmp(want) == 0
	case "date", "dateTime", "time":
		d, ok := v.(DateTime)
		return ok && "@"+timePrefix(d)+d.String() == text
	case "Quantity":
		q, ok := v.(Quantity)
		return ok && q.String() == text
	case "":
		switch x := v.(type) {
		case DateTime:
			return "@"+timePrefix(x)+x.String() == text
		}
	}
	s, ok := convertString(v)
	return ok && s == text
}

func timePrefix(d DateTime) string {
	if d.Kind == kindTime {
		return "T"
	}
	return ""
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
