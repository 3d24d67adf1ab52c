package clinical

import (
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/terminology"
)

// TestMonitoring: the stand-in's high-risk drugs raise a monitoring
// warning when prescribed; others do not; the stand-in names no
// knowledge base.
func TestMonitoring(t *testing.T) {
	var kb KnowledgeBase = LocalInteractions{}
	if kb.Name() != "" || kb.Connected() {
		t.Error("the stand-in claims to be a knowledge base")
	}
	for _, tc := range []struct {
		name, vtm, want string
	}{
		{"Methotrexate 2.5mg tablets", "", "full blood count"},
		{"Lithium carbonate 400mg modified-release tablets", "", "serum level"},
		{"Priadel 400mg modified-release tablets", "Lithium carbonate", "serum level"}, // a brand, by its VTM
		{"Priadel 400mg modified-release tablets", "", ""},
		{"Warfarin 1mg tablets", "", "INR"},
		{"Apixaban 5mg tablets", "", "renal function"},
		{"Azathioprine 50mg tablets", "", "shared-care"},
		{"Amoxicillin 500mg capsules", "Amoxicillin", ""},
	} {
		m := MedicineFromDMD(terminology.Product{Code: "1", Name: tc.name, Kind: "VMP", VTMName: tc.vtm})
		ws := SafetyChecks(SafetyInput{Medicine: m, Dose: "One tablet once a day", Now: rxNow}, kb)
		got := ""
		for _, w := range ws {
			if w.Kind == "monitoring" {
				got = w.Text
			}
		}
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
