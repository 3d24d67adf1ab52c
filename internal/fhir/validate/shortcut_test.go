package validate

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/testdata"
)

// issuesWith validates res with the shortcuts on or off.
func issuesWith(res fhir.Resource, on bool) any {
	if !on {
		saved := shortcuts
		shortcuts = nil
		defer func() { shortcuts = saved }()
	}
	v := &validator{codes: DefinitionCodes{}}
	v.resource(map[string]any(res), res.Type())
	// The members of an object are walked in map order: compare the
	// issues as a set.
	var out []string
	for _, is := range v.issues {
		out = append(out, fmt.Sprintf("%+v", is))
	}
	sort.Strings(out)
	return []any{out, v.unevaluated}
}

// TestShortcutsMatchFHIRPath validates every Synthea resource and the
// hand-made edges with the shortcuts and without them (FHIRPath alone):
// the issues must be the same.
func TestShortcutsMatchFHIRPath(t *testing.T) {
	period := func(start, end string) string {
		return `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"` + start + `","end":"` + end + `"}}`
	}
	docs := map[string]string{
		"dates in order":           period("2020-01-01", "2020-01-02"),
		"dates reversed":           period("2020-01-02", "2020-01-01"),
		"months reversed":          period("2020-02", "2020-01"),
		"years reversed":           period("2021", "2020"),
		"precisions differ":        period("2020-01-02", "2020-01"),
		"times in order":           period("2020-01-01T10:00:00+01:00", "2020-01-01T10:30:00+01:00"),
		"times reversed":           period("2020-01-01T10:30:00+01:00", "2020-01-01T10:00:00+01:00"),
		"times equal":              period("2020-01-01T10:00:00Z", "2020-01-01T10:00:00Z"),
		"Z reversed":               period("2020-01-01T10:30:00Z", "2020-01-01T10:00:00Z"),
		"zones differ, in order":   period("2020-01-01T10:30:00+02:00", "2020-01-01T10:00:00+01:00"),
		"zones differ, reversed":   period("2020-01-01T10:00:00-01:00", "2020-01-01T10:30:00+01:00"),
		"Z against an offset":      period("2020-01-01T10:30:00Z", "2020-01-01T10:00:00+00:00"),
		"fractions":                period("2020-01-01T10:00:00.5Z", "2020-01-01T10:00:00.4Z"),
		"fractions, one longer":    period("2020-01-01T10:00:00.5Z", "2020-01-01T10:00:00.45Z"),
		"four-digit fractions":     period("2020-01-01T10:00:00.1234Z", "2020-01-01T10:00:00.1233Z"),
		"fraction against offset":  period("2020-01-01T10:00:00.1234Z", "2020-01-01T10:00:00+00:00"),
		"leap second":              period("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"),
		"date against a dateTime":  period("2020-01-02", "2020-01-01T10:00:00Z"),
		"not a date":               period("yesterday", "today"),
		"start only":               `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"2020-01-01"}}`,
		"end with an extension":    `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"2020-01-02","_end":{"extension":[{"url":"http://example.org/x","valueString":"y"}]}}}`,
		"a number for a date":      `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":2020,"end":2019}}`,
		"local reference found":    `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp"}],"generalPractitioner":[{"reference":"#gp"}]}`,
		"local reference missing":  `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp"}],"generalPractitioner":[{"reference":"#other"},{"reference":"#gp"}]}`,
		"local, nothing contained": `{"resourceType":"Patient","generalPractitioner":[{"reference":"#gp"}]}`,
		"hash alone":               `{"resourceType":"Patient","generalPractitioner":[{"reference":"#"}]}`,
		"empty reference":          `{"resourceType":"Patient","generalPractitioner":[{"reference":""}]}`,
		"a number for a reference": `{"resourceType":"Patient","generalPractitioner":[{"reference":7}]}`,
		"display only":             `{"resourceType":"Patient","generalPractitioner":[{"display":"Dr A"}]}`,
		"relative and absolute":    `{"resourceType":"Patient","generalPractitioner":[{"reference":"Practitioner/1"},{"reference":"http://x.org/fhir/Practitioner/2"}]}`,
	}
	failures := 0
	for name, doc := range docs {
		res := decode(t, doc)
		with, without := issuesWith(res, true), issuesWith(res, false)
		if !reflect.DeepEqual(with, without) {
			t.Errorf("%s: with the shortcuts %+v, FHIRPath alone %+v", name, with, without)
		}
		if len(with.([]any)[0].([]string)) > 0 {
			failures++
		}
	}
	if failures == 0 {
		t.Fatal("no hand-made case failed validation: the test proves nothing about failing invariants")
	}
	dir := testdata.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "synthea-r4", "*.json.gz"))
	if len(files) == 0 {
		t.Fatalf("no Synthea bundles under %s", dir)
	}
	n := 0
	for _, f := range files {
		b, err := fhir.Unmarshal(testdata.Gunzip(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range b["entry"].([]any) {
			res := fhir.Resource(e.(map[string]any)["resource"].(map[string]any))
			if with, without := issuesWith(res, true), issuesWith(res, false); !reflect.DeepEqual(with, without) {
				t.Fatalf("%s %s/%s: with the shortcuts %+v, FHIRPath alone %+v", filepath.Base(f), res.Type(), res.ID(), with, without)
			}
			n++
		}
	}
	t.Logf("%d Synthea resources validate alike", n)
}
