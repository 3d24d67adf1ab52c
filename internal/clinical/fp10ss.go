package clinical

import (
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The FP10SS is the NHS prescription form a GP practice prints on while
// EPS is not connected (CLINICAL.md Prescribing 2): the only legal paper
// route. FP10 is what one issue prints as on it: every field the form
// has, already in the words and figures the form wants. Where each
// field goes on the sheet is internal/fp10's; what is printed, and when
// a prescription may not be printed at all, is decided here.

// FP10 is one prescription as the FP10SS prints it.
type FP10 struct {
	// Form is the form to print on: FormFP10SS, or FormFP10MDA (blue)
	// for an instalment prescription.
	Form string
	// PrescriptionID is the EPS prescription id with its check
	// character: printed, and as a Code 128 barcode.
	PrescriptionID string
	Patient        FP10Patient
	Items          []FP10Item
	// Days is the "Number of days' treatment", 0 when not recorded.
	Days int
	// Description heads the items: a repeat-dispensing batch or an
	// instalment prescription says so; "" otherwise.
	Description string
	Prescriber  FP10Prescriber
	Practice    FP10Practice
	// Date is the issue's date, dd/mm/yyyy.
	Date string
	// Instalments is an instalment prescription's schedule (FormFP10MDA
	// only), nil otherwise.
	Instalments *FP10Instalments
}

// FP10Patient is the patient's box (and the age and date of birth).
type FP10Patient struct {
	Name string
	// Address is at most five lines (PDS holds five), the postcode apart.
	Address   []string
	Postcode  string
	NHSNumber string
	// BirthDate is dd/mm/yyyy; Age the age on the date of issue (years
	// from 2, months or weeks below), which a prescription for a child
	// under 12 must give (Under12).
	BirthDate, Age string
	Under12        bool
}

// FP10Item is one prescribed item: the dm+d product name, the quantity
// (in words and figures for a Schedule 2 or 3 controlled drug), the dose
// on its own line and any further directions (instalments, a delayed
// prescription). Endorsements are the prescriber's ("SLS"), printed
// beside the item, as a prescriber endorses a paper prescription by hand.
type FP10Item struct {
	Product, Quantity, Dose string
	Directions              []string
	Endorsements            []string
}

// FP10Prescriber is the prescriber: name, professional code (GMC, NMC,
// GPhC, HCPC), their type as EPS codes it and whom they prescribe on
// behalf of.
type FP10Prescriber struct {
	Name, Code, Type, TypeCode, OnBehalf string
}

// FP10Practice is the practice's address box: three address lines, the
// postcode, the ODS code and the telephone number.
type FP10Practice struct {
	Name     string
	Address  []string
	Postcode string
	ODS      string
	Phone    string
}

// ODSSystem is the ODS code's identifier system.
const ODSSystem = "https://fhir.nhs.uk/Id/ods-organization-code"

// FP10Of is an issue as the FP10SS prints it, with its patient and the
// practice; the refusal says why it may not be printed ("" when it may):
// not an issue, cancelled or no longer active, no prescription id, or a
// prescriber without a professional code (the form must carry it).
func FP10Of(issue, patient, practice fhir.Resource) (FP10, string) {
	tok, ok := TokenOf(issue)
	switch {
	case !ok:
		return FP10{}, "This is not an issued prescription."
	case tok.Cancelled != "":
		return FP10{}, "This prescription was cancelled (" + tok.Cancelled + "): it cannot be printed."
	case !tok.Active:
		return FP10{}, "This prescription is no longer active: it cannot be printed."
	case tok.PrescriptionID == "":
		return FP10{}, "This prescription was issued before prescription ids were given: issue it again to print it on an FP10SS."
	}
	req := mapOf(issue["requester"])
	code := str(mapOf(req["identifier"]), "value")
	if code == "" {
		return FP10{}, "The prescriber's professional code (GMC, NMC, GPhC or HCPC number) is not recorded: an FP10SS must carry it. The practice admin records it on the prescriber's registration."
	}
	f := FP10{PrescriptionID: tok.PrescriptionID, Prescriber: FP10Prescriber{Name: str(req, "display"), Code: code}}
	for _, e := range list(issue, "extension") {
		switch e["url"] {
		case PrescriptionTypeURL:
			c := mapOf(e["valueCoding"])
			f.Prescriber.TypeCode = str(c, "code")
			f.Prescriber.Type = strings.TrimPrefix(str(c, "display"), "Primary Care Prescriber - ")
		case ResponsibleURL:
			f.Prescriber.OnBehalf = str(mapOf(e["valueReference"]), "display")
		}
	}
	if t, err := time.Parse(time.RFC3339, str(issue, "authoredOn")); err == nil {
		f.Date = t.In(London).Format("02/01/2006")
		f.Patient = fp10Patient(patient, t)
	} else {
		f.Patient = fp10Patient(patient, time.Time{})
	}
	f.Practice = fp10Practice(practice)
	dr := mapOf(issue["dispenseRequest"])
	f.Days = intOf(mapOf(dr["expectedSupplyDuration"])["value"])
	item := FP10Item{Product: tok.Medicine, Quantity: tok.Quantity, Dose: tok.Dose, Endorsements: Endorsements(issue)}
	if tok.QuantityWords != "" {
		// EPS's form: "28 (twenty-eight) capsule".
		n, unit, _ := strings.Cut(tok.Quantity, " ")
		item.Quantity = n + " (" + NumberWords(intOf(mapOf(dr["quantity"])["value"])) + ") " + unit
	}
	if tok.Delayed != "" {
		item.Directions = append(item.Directions, tok.Delayed)
	}
	if tok.Batch > 0 {
		f.Description = "Repeat dispensing: batch of " + strconv.Itoa(tok.Batch) + " issues"
	}
	f.Form = FormFP10SS
	if in := fp10Instalments(issue); in != nil {
		// The FP10MDA-SS prints the schedule in its own box, not as the
		// item's directions.
		f.Form, f.Instalments = FormFP10MDA, in
	}
	f.Items = []FP10Item{item}
	return f, ""
}

// fp10Patient is the patient's part of the form, the age on the date of
// issue.
func fp10Patient(p fhir.Resource, on time.Time) FP10Patient {
	b := BannerOf(p, on)
	out := FP10Patient{Name: formName(p), NHSNumber: b.NHSNumber, Postcode: b.Postcode}
	if birth, err := time.Parse("2006-01-02", str(p, "birthDate")); err == nil {
		out.BirthDate = birth.Format("02/01/2006")
		if !on.IsZero() {
			out.Age = strings.TrimSuffix(Age(birth, on), "y")
			out.Under12 = birth.AddDate(12, 0, 0).After(on)
		}
	}
	if addrs := list(p, "address"); len(addrs) > 0 && !RestrictedAddress(p) {
		out.Address = addressLines(addrs[0], 5)
	} else {
		// A restricted record's address (PDS's flag) is not printed, as
		// the banner does not show it (b.Postcode is "" then).
		out.Address = nil
	}
	return out
}

// formName is the patient's name in the form's order: title, forenames,
// surname (in capitals, as the record shows it).
func formName(p fhir.Resource) string {
	_, family, given, prefix := nameParts(p)
	parts := append(prefix, given...)
	if f := strings.TrimSpace(family); f != "" {
		parts = append(parts, strings.ToUpper(f))
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// fp10Practice is the practice's address box: the first three address
// lines (the form's), the postcode, ODS code and telephone.
func fp10Practice(org fhir.Resource) FP10Practice {
	out := FP10Practice{Name: str(org, "name")}
	for _, id := range list(org, "identifier") {
		if id["system"] == ODSSystem {
			out.ODS = str(id, "value")
		}
	}
	if addrs := list(org, "address"); len(addrs) > 0 {
		out.Address = addressLines(addrs[0], 3)
		out.Postcode = str(addrs[0], "postalCode")
	}
	for _, t := range list(org, "telecom") {
		if t["system"] == "phone" && out.Phone == "" {
			out.Phone = str(t, "value")
		}
	}
	return out
}

// addressLines are an address's lines, town and county, at most max.
func addressLines(a map[string]any, max int) []string {
	var out []string
	for _, l := range anyList(a["line"]) {
		if s, _ := l.(string); strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	for _, k := range []string{"city", "district"} {
		if s := strings.TrimSpace(str(a, k)); s != "" {
			out = append(out, s)
		}
	}
	if len(out) > max {
		out = out[:max]
	}
	return out
}
