package clinical

import (
	"slices"
	"strings"
	"testing"
)

// TestCommonDoses: doses are suggested by the product's form, a brand's
// supplier in brackets ignored, none for methotrexate or an unknown
// form; every suggestion for a countable form is read by the dose
// parser (amount and times a day), every "when required" one has its
// maximum (CLINICAL.md Prescribing 6), and none uses a Latin
// abbreviation.
func TestCommonDoses(t *testing.T) {
	for _, tc := range []struct {
		names []string
		first string
		n     int
	}{
		{[]string{"Amoxicillin 500mg capsules"}, "One capsule once a day", 5},
		{[]string{"Paracetamol 500mg tablets (Teva UK Ltd)"}, "One tablet once a day", 9},
		{[]string{"Salbutamol 100micrograms/dose inhaler CFC free"}, "", 0},
		{[]string{"Salbutamol 100micrograms/dose inhaler"}, "Two puffs twice a day", 4},
		{[]string{"Lactulose 3.1-3.7g/5ml oral solution"}, "5ml once a day", 7},
		{[]string{"Methotrexate 2.5mg tablets"}, "", 0},
		{[]string{"Hydroxocobalamin 1mg/1ml solution for injection ampoules"}, "", 0},
		{[]string{"Amoxicillin 250mg capsules", "Amoxicillin 500mg capsules", "Amoxicillin 125mg/5ml oral suspension"}, "One capsule once a day", 12},
	} {
		got := CommonDoses(tc.names...)
		if len(got) != tc.n || tc.n > 0 && got[0] != tc.first {
			t.Errorf("%v: %d %v", tc.names, len(got), got)
		}
	}
	for _, f := range commonDoseForms {
		for _, d := range f.doses {
			p := ParseDose(d)
			countable := slices.ContainsFunc([]string{"tablet", "capsule", "puff", "sachet"}, func(u string) bool { return strings.Contains(lower(d), u) })
			if countable && (p.Amount == 0 || p.PerDay == 0 && !p.AsNeeded) {
				t.Errorf("%q is not read: %+v", d, p)
			}
			if p.AsNeeded && p.MaxPerDay == 0 {
				t.Errorf("%q: when required with no maximum", d)
			}
			if !p.AsNeeded && !strings.Contains(d, "as often") && p.PerDay == 0 {
				t.Errorf("%q: no times a day", d)
			}
			for _, latin := range []string{" od", " bd", " tds", " qds", " prn", " nocte", " mane"} {
				if strings.Contains(" "+lower(d), latin+" ") || strings.HasSuffix(" "+lower(d), latin) {
					t.Errorf("%q uses %q", d, latin)
				}
			}
		}
	}
}
