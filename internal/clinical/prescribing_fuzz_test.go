package clinical

import (
	"strings"
	"testing"
)

// FuzzParseDose: any dose text parses without panic into non-negative
// amounts, and the FHIR Dosage written from it always keeps the text.
func FuzzParseDose(f *testing.F) {
	for _, s := range []string{"One tablet three times a day", "Two puffs when required, up to four times a day",
		"2 tablets 4 times a day", "half a tablet", "1.5 tablets once a day", "up to 99999999999 times a day", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d := ParseDose(text)
		if d.Amount < 0 || d.PerDay < 0 || d.MaxPerDay < 0 || d.UnitsPerDay() < 0 {
			t.Fatalf("%q: negative %+v", text, d)
		}
		out := dosage(text, "tablet")
		if out["text"] != strings.TrimSpace(text) {
			t.Fatalf("%q: text %v", text, out["text"])
		}
		_ = Prescription{Medicine: Medicines[0], Dose: text, Quantity: "1", Days: "1", Course: "acute"}.Check(rxNow)
	})
}

// BenchmarkSafetyChecks: a patient with 40 current medicines and 15
// allergies (the measure: p95 under 10 ms).
func BenchmarkSafetyChecks(b *testing.B) {
	in := SafetyInput{Medicine: med(ibuprofen), Dose: "One tablet three times a day", Quantity: 84, Days: 28, Now: rxNow}
	for i := 0; i < 40; i++ {
		in.Medications = append(in.Medications, rxCurrent(Medicines[i%len(Medicines)].Code, i%2 == 0, "2026-06-01"))
	}
	for i := 0; i < 15; i++ {
		in.Allergies = append(in.Allergies, rxAllergy("91936005", "Allergy to penicillin", "active"))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		SafetyChecks(in, LocalInteractions{})
	}
}
