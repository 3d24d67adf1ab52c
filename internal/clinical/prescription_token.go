package clinical

import (
	"fmt"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Token is what the printed prescription token shows of one issue. It is
// not an FP10SS: until EPS is connected the legal route is the NHSBSA
// form printed to its layout, which gpcloud does not yet do (hazard
// H-806), and the token says so.
type Token struct {
	ID, Medicine, Dose, Quantity, Prescriber, Date, ValidUntil string
	// QuantityWords is the quantity in words, which a Schedule 2 or 3
	// controlled drug's prescription must also give.
	QuantityWords string
	Schedule      int
	// Cancelled is the reason an issue was cancelled, "" while it stands;
	// Version is the issue's, for an If-Match cancel.
	Cancelled, Version string
	Active             bool
	// Delayed is what a delayed (back-up) prescription tells the patient,
	// "" for any other.
	Delayed string
	// PrescriptionID is the EPS prescription id ("" for an issue made
	// before ids were given), Status its dispensing status and Pharmacy
	// the nominated pharmacy ("" for none recorded).
	PrescriptionID, Status, Pharmacy string
	// Batch is a repeat-dispensing prescription's number of issues (this
	// and its repeats), 0 for any other.
	Batch, BatchRepeats int
	// Instalments are an instalment prescription's directions, nil for
	// any other.
	Instalments []string
}

// TokenOf reads an issue (intent order) for its token; false when res is
// not an issue.
func TokenOf(res fhir.Resource) (Token, bool) {
	if res.Type() != "MedicationRequest" || str(res, "intent") != "order" {
		return Token{}, false
	}
	t := Token{ID: res.ID(), Medicine: conceptText(res["medicationCodeableConcept"]), Dose: dosageText(res),
		Prescriber: refDisplay(res["requester"]), Date: day(str(res, "authoredOn")), Version: versionOf(res), Active: str(res, "status") == "active"}
	if IsDelayed(res) {
		t.Delayed = delayedNote
	}
	t.PrescriptionID, t.Status = PrescriptionIDOf(res), DispensingStatusOf(res)
	t.Instalments = InstalmentDirections(res)
	if IsRepeatDispensing(res) {
		t.BatchRepeats = intOf(mapOf(res["dispenseRequest"])["numberOfRepeatsAllowed"])
		t.Batch = t.BatchRepeats + 1
	}
	if dr := mapOf(res["dispenseRequest"]); dr != nil {
		t.Pharmacy = str(mapOf(dr["performer"]), "display")
	}
	if str(res, "status") == "cancelled" {
		t.Cancelled = str(mapOf(res["statusReason"]), "text")
		if t.Cancelled == "" {
			t.Cancelled = "Cancelled"
		}
	}
	if dr := mapOf(res["dispenseRequest"]); dr != nil {
		if q := mapOf(dr["quantity"]); q != nil {
			n := intOf(q["value"])
			t.Quantity = supplyText(n, str(q, "unit"))
			if t.Schedule = ScheduleOfPrescription(res); t.Schedule >= 2 && t.Schedule <= 3 {
				_, unit, _ := strings.Cut(t.Quantity, " ")
				t.QuantityWords = NumberWords(n) + " " + unit
			}
		}
		if vp := mapOf(dr["validityPeriod"]); vp != nil {
			t.ValidUntil = day(str(vp, "end"))
		}
	}
	return t, true
}

var (
	ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// NumberWords writes 0 to 9,999 in British English words ("one hundred
// and twelve"), for a controlled drug's quantity; larger numbers as
// figures.
func NumberWords(n int) string {
	switch {
	case n < 0 || n > 9999:
		return fmt.Sprint(n)
	case n < 20:
		return ones[n]
	case n < 100:
		if n%10 == 0 {
			return tens[n/10]
		}
		return tens[n/10] + "-" + ones[n%10]
	case n < 1000:
		s := ones[n/100] + " hundred"
		if n%100 != 0 {
			s += " and " + NumberWords(n%100)
		}
		return s
	}
	s := ones[n/1000] + " thousand"
	switch r := n % 1000; {
	case r == 0:
	case r < 100:
		s += " and " + NumberWords(r)
	default:
		s += " " + NumberWords(r)
	}
	return strings.TrimSpace(s)
}
