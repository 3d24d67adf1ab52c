package clinical

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The forms an issue prints on (FP10.Form).
const (
	FormFP10SS = "FP10SS"
	// FormFP10MDA is the blue instalment form, computer-printed: in
	// England the only form a Schedule 2 drug, buprenorphine or diazepam
	// may be dispensed from in instalments (NHSBSA), for at most 14 days
	// (MaxInstalmentDays), one drug to a form.
	FormFP10MDA = "FP10MDA-SS"
)

// FP10Instalments is an instalment prescription's schedule as the
// FP10MDA-SS prints it: the NHSBSA asks the prescriber to give the number
// of instalments and the interval between them, and the form has room
// for the dates of dispensing, which gpcloud prints as a grid of the
// collections so that the pharmacist does not count days.
type FP10Instalments struct {
	// Count is the number of instalments (one a day); Amount each one's
	// amount in figures and words, "60 (sixty) ml".
	Count  int
	Amount string
	// Interval is how often: "Daily", with the collection days and the
	// Home Office's wording for a closure when the pharmacy is closed on
	// some days.
	Interval string
	// Start is the first instalment's date, "Friday 12/06/2026"; End
	// the last's.
	Start, End string
	// Collections are the visits to the pharmacy, in order.
	Collections []FP10Collection
	// Supervised is supervised consumption: each dose taken under the
	// pharmacist's supervision.
	Supervised bool
}

// FP10Collection is one visit: its day ("Fri"), date (dd/mm/yyyy), the
// amount handed over and how many days' instalments that is (more than
// one before a closure).
type FP10Collection struct {
	Day, Date, Amount string
	Days              int
}

// fp10Instalments is an instalment issue's schedule (nil for any other
// issue).
func fp10Instalments(issue fhir.Resource) *FP10Instalments {
	in, ok := InstalmentsOf(issue)
	if !ok {
		return nil
	}
	dr := mapOf(issue["dispenseRequest"])
	unit := str(mapOf(dr["quantity"]), "unit")
	days := intOf(mapOf(dr["expectedSupplyDuration"])["value"])
	amount, _ := strconv.Atoi(in.Amount)
	// "60 (sixty) ml", "2 (two) tablets": the unit as the quantity has it.
	_, units, _ := strings.Cut(supplyText(amount, unit), " ")
	out := &FP10Instalments{Count: days, Supervised: in.Supervised == "yes",
		Amount: strings.TrimSpace(fmt.Sprintf("%d (%s) %s", amount, NumberWords(amount), units))}
	out.Interval = "Daily, one instalment each day"
	if in.Interval == "days" {
		var names []string
		for _, d := range in.Days {
			names = append(names, ChoiceLabel(Weekdays, d))
		}
		out.Interval = "Daily, collected on " + joinAnd(names) + "; instalments due on days the pharmacy is closed to be dispensed on the day before the closure"
	}
	start, err := time.ParseInLocation("2006-01-02", in.Start, London)
	if err != nil {
		out.Start = in.Start
		return out
	}
	out.Start = start.Format("Monday 02/01/2006")
	if days > 0 {
		out.End = start.AddDate(0, 0, days-1).Format("Monday 02/01/2006")
	}
	for _, c := range Collections(start, days, in.Interval, in.Days) {
		out.Collections = append(out.Collections, FP10Collection{Day: c.Date.Format("Mon"), Date: c.Date.Format("02/01/2006"),
			Amount: supplyText(c.Days*amount, unit), Days: c.Days})
	}
	return out
}
