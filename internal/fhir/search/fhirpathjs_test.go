package search

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/fhirpath"
)

// TestExpressionsAgainstFhirpathJS evaluates every search parameter
// expression over Synthea resources with gpcloud's engine and with HL7's
// fhirpath.js (interop/fhirpath), and requires the same values. resolve()
// is left out: fhirpath.js cannot resolve references without a server.
func TestExpressionsAgainstFhirpathJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: fhirpath.js cross-check skipped")
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "../../../interop/fhirpath")
	if _, err := os.Stat(filepath.Join(dir, "node_modules/fhirpath")); err != nil {
		t.Skip("fhirpath.js not installed (cd interop/fhirpath && npm ci): cross-check skipped")
	}
	resources := syntheaResources(t, 6)
	type job struct {
		resource map[string]any
		params   []*Param
	}
	var jobs []job
	var input bytes.Buffer
	for _, r := range resources {
		var ps []*Param
		var exprs []string
		for _, p := range indexedParams(r["resourceType"].(string)) {
			if p.Type == "composite" || strings.Contains(p.Expression, "resolve()") {
				continue
			}
			ps = append(ps, p)
			exprs = append(exprs, p.Expression)
		}
		line, _ := json.Marshal(map[string]any{"resource": r, "expressions": exprs})
		input.Write(line)
		input.WriteByte('\n')
		jobs = append(jobs, job{r, ps})
	}
	cmd := exec.Command(node, filepath.Join(dir, "eval.mjs"))
	cmd.Stdin = &input
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fhirpath.js: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	compared, mismatches := 0, 0
	for i := 0; sc.Scan(); i++ {
		var line struct {
			Results []json.RawMessage `json:"results"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		j := jobs[i]
		for k, p := range j.params {
			var theirs []any
			if err := json.Unmarshal(line.Results[k], &theirs); err != nil {
				t.Errorf("%s: fhirpath.js: %s", p.Expression, line.Results[k])
				continue
			}
			ours, err := p.extract.Evaluate(j.resource, nil) // as Extract evaluates it
			if err != nil {
				t.Errorf("%s on %s: %v", p.Expression, j.resource["id"], err)
				continue
			}
			a, b := canonicalItems(ours), canonicalJS(theirs)
			compared++
			if strings.Join(a, "\n") != strings.Join(b, "\n") {
				mismatches++
				if mismatches <= 10 {
					t.Errorf("%s on %s/%s:\n gpcloud     %v\n fhirpath.js %v", p.Expression, j.resource["resourceType"], j.resource["id"], a, b)
				}
			}
		}
	}
	t.Logf("%d expression evaluations over %d resources compared with fhirpath.js; %d differ", compared, len(jobs), mismatches)
}

// canonicalItems renders gpcloud's results as sorted canonical JSON.
func canonicalItems(items []any) []string {
	out := []string{}
	for _, it := range items {
		var v any
		if n, ok := it.(*fhirpath.Node); ok {
			out = append(out, canonicalJSON(n.Value))
			continue
		}
		switch x := it.(type) {
		case fhirpath.DateTime:
			v = x.String()
		case int64:
			v = float64(x)
		case fhirpath.Decimal:
			f, _ := strconv.ParseFloat(x.String(), 64)
			v = f
		default:
			v = x
		}
		out = append(out, canonicalJSON(v))
	}
	sort.Strings(out)
	return out
}

func canonicalJS(items []any) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, canonicalJSON(it))
	}
	sort.Strings(out)
	return out
}

// canonicalJSON marshals with numbers as float64 (json.Number keeps the
// written form, JavaScript does not).
func canonicalJSON(v any) string {
	b, _ := json.Marshal(normalizeNumbers(v))
	return string(b)
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normalizeNumbers(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = normalizeNumbers(e)
		}
		return a
	}
	return v
}
