package clinical

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Instalment dispensing (E00098): a controlled drug used in treating
// addiction (methadone, buprenorphine, diazepam) prescribed as one
// prescription whose total the pharmacy hands over in instalments (the
// blue FP10MDA in England): the amount of each day's instalment, on
// which days the patient collects (every day, or the days the pharmacy
// is open, a closed day's instalment collected the day before), from a
// start date, for at most 14 days, with or without supervised
// consumption. The total must be the days times the daily amount, in
// words and figures like any Schedule 2 or 3 prescription.

// InstalmentCourse is the prescribing form's course for an instalment
// prescription.
const InstalmentCourse = "instalments"

// InstalmentURL is the instalment extension on a MedicationRequest: R4's
// dispenseRequest has the total (quantity), the days (expectedSupply-
// Duration) and the interval between dispensings (dispenseInterval) but
// no element for each instalment's amount, the collection days, the
// start date or supervised consumption, and we found none in UK Core or
// EPS (whose specification was not in reach; GP systems mark instalment
// prescriptions as not issued through EPS).
const InstalmentURL = "https://gpcloud.dev/fhir/StructureDefinition/instalment-dispensing"

// MaxInstalmentDays is the longest an instalment prescription may run:
// an FP10MDA provides at most 14 days' supply (NHSBSA knowledge base,
// "What drugs and how many days supply can be prescribed on an FP10 MDA
// form in England?"; the Misuse of Drugs Regulations 2001, reg 15,
// require the instalments' amount and interval to be given).
const MaxInstalmentDays = 14

// InstalmentAllowed reports a medicine that may be dispensed in
// instalments on an FP10MDA in England. The NHSBSA allows only Schedule 2
// controlled drugs, buprenorphine (with or without naloxone, Schedule 3)
// and diazepam (Schedule 4), besides diluents and water for injection,
// which a GP does not prescribe alone: so not every Schedule 3 drug
// (pregabalin, temazepam are refused). Buprenorphine and diazepam are
// known by dm+d's moiety (VTM), or the name when there is none.
// (dm+d's FP10_MDA flag says the same per pack; the loader keeps it on
// the AMPP but does not carry it to the VMP yet.)
func InstalmentAllowed(m Medicine) bool {
	if m.Schedule == 2 {
		return true
	}
	moiety := strings.ToLower(m.Moiety)
	if moiety == "" {
		moiety = strings.ToLower(m.Name)
	}
	return (m.Schedule == 3 && strings.HasPrefix(moiety, "buprenorphine")) || (m.Schedule == 4 && strings.HasPrefix(moiety, "diazepam"))
}

// Weekdays are the collection days' keys, Monday first, with their names.
var Weekdays = []Choice{{Key: "mon", Label: "Monday"}, {Key: "tue", Label: "Tuesday"}, {Key: "wed", Label: "Wednesday"},
	{Key: "thu", Label: "Thursday"}, {Key: "fri", Label: "Friday"}, {Key: "sat", Label: "Saturday"}, {Key: "sun", Label: "Sunday"}}

// InstalmentIntervals are the choices of when the patient collects.
var InstalmentIntervals = []Choice{{Key: "daily", Label: "Every day"},
	{Key: "days", Label: "Only on the days chosen (the pharmacy is closed on the others)"}}

// Instalments is what the prescriber enters for an instalment
// prescription, as typed: the total is the prescription's quantity and
// the number of days its duration.
type Instalments struct {
	// Amount is each day's instalment, in the medicine's unit.
	Amount string
	// Interval is "daily" or "days"; Days the collection days ("mon"...)
	// when "days".
	Interval string
	Days     []string
	// Start is the first day, YYYY-MM-DD ("" when not given or not a
	// date: the form reports it).
	Start string
	// Supervised is "yes" or "no".
	Supervised string
}

// checkInstalments adds the instalment prescription's errors to errs:
// a drug the FP10MDA may carry (InstalmentAllowed), at most 14 days, a whole amount, the total the
// days times the amount, the collection days (the first day among them),
// a start from today to 28 days ahead (a Schedule 2 or 3 prescription is
// valid 28 days), and supervised consumption answered.
func (p Prescription) checkInstalments(errs map[string]string, now time.Time) {
	in := p.Instalments
	if p.Delayed {
		errs["delayed"] = "A delayed prescription is an acute: select Acute, or clear Delayed"
	}
	if p.Medicine.Code != "" && !InstalmentAllowed(p.Medicine) {
		errs["course"] = "Instalment dispensing (FP10MDA) is only for Schedule 2 controlled drugs (such as methadone), buprenorphine and diazepam"
	}
	days, err := strconv.Atoi(strings.TrimSpace(p.Days))
	if err == nil && (days < 1 || days > MaxInstalmentDays) {
		errs["days"] = fmt.Sprintf("An instalment prescription is for 1 to %d days", MaxInstalmentDays)
	}
	amount, aerr := strconv.Atoi(strings.TrimSpace(in.Amount))
	switch {
	case aerr != nil || amount <= 0 || amount > 10000:
		errs["instalment-amount"] = "Enter each day's instalment as a whole number, for example 60"
	case err == nil && days >= 1 && days <= MaxInstalmentDays:
		if total, terr := strconv.Atoi(strings.TrimSpace(p.Quantity)); terr == nil && total != days*amount {
			errs["quantity"] = fmt.Sprintf("The total must be the days times each day's instalment: %d days of %d is %d", days, amount, days*amount)
		}
	}
	switch in.Interval {
	case "daily":
	case "days":
		if len(in.Days) == 0 {
			errs["instalment-days"] = "Choose the days the patient collects"
		} else if slices.ContainsFunc(in.Days, func(d string) bool { return ChoiceLabel(Weekdays, d) == "" }) {
			errs["instalment-days"] = "Choose the days from the list"
		}
	default:
		errs["instalment-interval"] = "Select when the patient collects"
	}
	today := now.In(London).Format("2006-01-02")
	switch start, serr := time.ParseInLocation("2006-01-02", in.Start, London); {
	case in.Start == "" || serr != nil:
		errs["instalment-start"] = "Enter the date of the first instalment"
	case in.Start < today:
		errs["instalment-start"] = "The first instalment cannot be in the past"
	case in.Start > now.AddDate(0, 0, 28).In(London).Format("2006-01-02"):
		errs["instalment-start"] = "The first instalment must be within 28 days: the prescription is valid for 28 days"
	case in.Interval == "days" && len(in.Days) > 0 && !slices.Contains(in.Days, weekdayKey(start)):
		errs["instalment-days"] = "The first instalment's day (" + start.Weekday().String() + ") must be a collection day"
	}
	if in.Supervised != "yes" && in.Supervised != "no" {
		errs["instalment-supervised"] = "Select whether each dose is taken under supervision"
	}
}

func weekdayKey(t time.Time) string { return Weekdays[(int(t.Weekday())+6)%7].Key }

// Collection is one visit to the pharmacy: the date and how many days'
// instalments are handed over.
type Collection struct {
	Date time.Time
	Days int
}

// Collections is the instalment schedule: from the start, each day's
// instalment collected on that day if it is a collection day, else on
// the last collection day before it (the closure's instalments collected
// before the closure). Days before the first collection day cannot be
// collected and are left out (Check refuses such a start).
func Collections(start time.Time, days int, interval string, on []string) []Collection {
	var out []Collection
	for i := 0; i < days; i++ {
		d := start.AddDate(0, 0, i)
		if interval != "days" || slices.Contains(on, weekdayKey(d)) || len(on) == 0 {
			out = append(out, Collection{Date: d, Days: 1})
		} else if len(out) > 0 {
			out[len(out)-1].Days++
		}
	}
	return out
}

// instalmentExtension is the instalment prescription's extension.
func (in Instalments) extension(unit string) map[string]any {
	amount, _ := strconv.Atoi(strings.TrimSpace(in.Amount))
	ext := []any{
		map[string]any{"url": "amount", "valueQuantity": map[string]any{"value": amount, "unit": unit}},
		map[string]any{"url": "interval", "valueCode": in.Interval},
		map[string]any{"url": "start", "valueDate": in.Start},
		map[string]any{"url": "supervised", "valueBoolean": in.Supervised == "yes"},
	}
	if in.Interval == "days" {
		for _, d := range Weekdays { // in the week's order
			if slices.Contains(in.Days, d.Key) {
				ext = append(ext, map[string]any{"url": "collectionDay", "valueCode": d.Key})
			}
		}
	}
	return map[string]any{"url": InstalmentURL, "extension": ext}
}

// withInstalments marks an authorisation as an instalment prescription:
// the extension, the interval between dispensings (a day), the directions
// as a note for any reader of the record.
func (p Prescription) withInstalments(res fhir.Resource) {
	res["extension"] = append(anyList(res["extension"]), p.Instalments.extension(p.Medicine.Unit))
	dr := res["dispenseRequest"].(map[string]any)
	dr["dispenseInterval"] = map[string]any{"value": 1, "unit": "day", "system": ucumSystem, "code": "d"}
	res["note"] = []any{map[string]any{"text": strings.Join(InstalmentDirections(res), ". ")}}
}

// InstalmentsOf reads an instalment prescription's instalments (ok false
// for any other prescription).
func InstalmentsOf(res fhir.Resource) (Instalments, bool) {
	for _, e := range list(res, "extension") {
		if e["url"] != InstalmentURL {
			continue
		}
		var in Instalments
		for _, sub := range anyList(e["extension"]) {
			m, _ := sub.(map[string]any)
			switch m["url"] {
			case "amount":
				in.Amount = strconv.Itoa(intOf(mapOf(m["valueQuantity"])["value"]))
			case "interval":
				in.Interval = str(m, "valueCode")
			case "start":
				in.Start = str(m, "valueDate")
			case "supervised":
				in.Supervised = "no"
				if m["valueBoolean"] == true {
					in.Supervised = "yes"
				}
			case "collectionDay":
				in.Days = append(in.Days, str(m, "valueCode"))
			}
		}
		return in, true
	}
	return Instalments{}, false
}

// IsInstalment reports an instalment prescription.
func IsInstalment(res fhir.Resource) bool {
	_, ok := InstalmentsOf(res)
	return ok
}

// InstalmentDirections are an instalment prescription's directions to
// the pharmacy, as the token and the form print them: the daily amount,
// the days and start, the collection days (with the Home Office's
// wording for a closure), and supervision; nil for any other.
func InstalmentDirections(res fhir.Resource) []string {
	in, ok := InstalmentsOf(res)
	if !ok {
		return nil
	}
	dr := mapOf(res["dispenseRequest"])
	unit := str(mapOf(dr["quantity"]), "unit")
	days := intOf(mapOf(dr["expectedSupplyDuration"])["value"])
	amount, _ := strconv.Atoi(in.Amount)
	start := in.Start
	if t, err := time.Parse("2006-01-02", in.Start); err == nil {
		start = t.Format("Monday 02/01/2006")
	}
	out := []string{fmt.Sprintf("Instalments: %s daily for %d days, starting %s", supplyText(amount, unit), days, start)}
	if in.Interval == "days" {
		var names []string
		for _, d := range in.Days {
			names = append(names, ChoiceLabel(Weekdays, d))
		}
		out = append(out, "Collect on "+joinAnd(names)+"; instalments due on days the pharmacy is closed to be dispensed on the day before the closure")
	} else {
		out = append(out, "Collect every day")
	}
	if in.Supervised == "yes" {
		out = append(out, "Supervised consumption: each dose to be taken under the pharmacist's supervision")
	} else {
		out = append(out, "Not supervised: the instalments are taken home")
	}
	return out
}

// joinAnd joins names as a list in words: "Monday, Tuesday and Friday".
func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
