package clinical

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// result is an Observation as a laboratory's arrives: a LOINC code or a
// name only, a value, when it was taken.
func result(loinc, name string, value float64, unit, when, status string) fhir.Resource {
	code := map[string]any{"text": name}
	if loinc != "" {
		code["coding"] = []any{map[string]any{"system": "http://loinc.org", "code": loinc}}
	}
	return fhir.Resource{"resourceType": "Observation", "status": status, "code": code,
		"effectiveDateTime": when, "valueQuantity": map[string]any{"value": value, "unit": unit}}
}

// TestMonitoringLatestResults: the monitoring warning of a high-risk drug
// names the latest result of each test it needs, by LOINC or by name,
// and is raised to high when one is overdue or missing; results entered
// in error or of other tests do not count; other drugs read nothing.
func TestMonitoringLatestResults(t *testing.T) {
	// rxNow is 10 June 2026.
	for _, tc := range []struct {
		name, drug string
		results    []fhir.Resource
		severity   string
		want, not  []string
	}{
		{"warfarin with a recent INR", "Warfarin 1mg tablets",
			[]fhir.Resource{result("6301-6", "", 2.4, "", "2026-05-20T09:00:00Z", "final"), result("6301-6", "", 3.9, "", "2026-01-02", "final")},
			"moderate", []string{"Latest INR: 2.4 on 20-May-2026."}, []string{"3.9", "Overdue"}},
		{"warfarin, INR by name only, overdue", "Warfarin 1mg tablets",
			[]fhir.Resource{result("", "Serum INR", 2.1, "", "2026-01-05", "final")},
			"high", []string{"Overdue: no INR result in the last 12 weeks; the latest, 2.1, was on 05-Jan-2026 (22 weeks ago)."}, nil},
		{"warfarin, no INR", "Warfarin 1mg tablets",
			[]fhir.Resource{result("", "Serum sodium", 140, "mmol/L", "2026-06-01", "final")},
			"high", []string{"No INR result is recorded."}, []string{"140"}},
		{"entered in error does not answer", "Warfarin 1mg tablets",
			[]fhir.Resource{result("6301-6", "", 2.4, "", "2026-06-01", "entered-in-error")},
			"high", []string{"No INR result is recorded."}, nil},
		{"lithium keeps every digit", "Lithium carbonate 400mg modified-release tablets",
			[]fhir.Resource{result("14334-7", "", 0.45, "mmol/L", "2026-05-01", "final"), result("", "eGFR", 78, "mL/min/1.73m2", "2026-04-01", "final"),
				result("", "TSH", 2.2, "mU/L", "2026-03-01", "final")},
			"moderate", []string{"Latest lithium level: 0.45 mmol/L on 01-May-2026.", "Latest renal function (creatinine, eGFR): 78 mL/min/1.73m2", "Latest thyroid function (TSH): 2.2 mU/L"}, nil},
		{"a word inside another does not match", "Methotrexate 2.5mg tablets",
			[]fhir.Resource{result("", "Salt intake", 6, "g", "2026-06-01", "final"), result("", "Haemoglobin", 131, "g/L", "2026-06-01", "final"), result("", "Creatinine", 70, "umol/L", "2026-06-01", "final")},
			"high", []string{"No liver function (ALT) result is recorded.", "Latest full blood count (haemoglobin, white cells): 131 g/L"}, []string{" 6 g"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := MedicineFromDMD(terminology.Product{Code: "1", Name: tc.drug, Kind: "VMP"})
			in := SafetyInput{Medicine: m, Dose: "One tablet once a day", Now: rxNow, Results: tc.results, ResultsRead: true}
			var got Warning
			for _, w := range SafetyChecks(in, LocalInteractions{}) {
				if w.Kind == "monitoring" {
					got = w
				}
			}
			if got.Severity != tc.severity {
				t.Errorf("severity %q, want %q: %s", got.Severity, tc.severity, got.Text)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.Text, w) {
					t.Errorf("%q lacks %q", got.Text, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got.Text, w) {
					t.Errorf("%q has %q", got.Text, w)
				}
			}
		})
	}
	// A check whose caller did not read the results (recording a dose
	// given, a dose change) names the tests, and never says none is
	// recorded.
	warfarin := MedicineFromDMD(terminology.Product{Code: "1", Name: "Warfarin 1mg tablets", Kind: "VMP"})
	for _, w := range SafetyChecks(SafetyInput{Medicine: warfarin, Dose: "One tablet once a day", Now: rxNow}, LocalInteractions{}) {
		if w.Kind == "monitoring" && (w.Severity != "moderate" || strings.Contains(w.Text, "No INR")) {
			t.Errorf("results not read: %s %q", w.Severity, w.Text)
		}
	}
	// A value as the store decodes it keeps its digits and comparator.
	o := result("14334-7", "", 0, "mmol/L", "2026-06-01", "final")
	o["valueQuantity"] = map[string]any{"value": json.Number("0.450"), "comparator": "<", "unit": "mmol/L"}
	if got := resultValue(o); got != "<0.450 mmol/L" {
		t.Errorf("json.Number value: %q", got)
	}
	// A medicine that is not high-risk needs no results read.
	if ts := MonitoringTestsOf(LocalInteractions{}, MedicineFromDMD(terminology.Product{Code: "1", Name: "Amoxicillin 500mg capsules", Kind: "VMP"})); len(ts) != 0 {
		t.Errorf("amoxicillin's tests: %v", ts)
	}
	if ts := MonitoringTestsOf(LocalInteractions{}, MedicineFromDMD(terminology.Product{Code: "1", Name: "Warfarin 1mg tablets", Kind: "VMP"})); len(ts) != 1 {
		t.Errorf("warfarin's tests: %v", ts)
	}
}
