package clinical

import (
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// Banner is what the patient banner on every record page shows, in the
// NHS's order: name as FAMILY, Given (Title), date of birth and age, sex,
// NHS number as 3-3-4, address, usual GP, and flags.
type Banner struct {
	ID        string
	Name      string // "SMITH, Jane (Mrs)"
	BirthDate string // "12-Mar-1970"
	Age       string // "56y", "4m", "12d"
	Sex       string // Female, Male, Other, Unknown
	NHSNumber string // "943 476 5919", "" when none
	Address   string
	Postcode  string
	UsualGP   string // a reference's display, or ""
	Deceased  bool
	// Deducted: no longer registered (Patient.active false).
	Deducted bool
	// Sensitive: the record is sealed (search.Sensitive); a clinician
	// gives a reason before it opens, and nobody else sees its content.
	Sensitive bool
	// BrokenGlass is the reason the user gave to open a sensitive record.
	BrokenGlass string
	// Record is what the banner says of the record itself (allergies,
	// alerts), nil until read.
	Record *BannerRecord
}

// BannerRecord is the part of the banner read from the record: the
// allergy status and the active alerts, each as the user may read them.
type BannerRecord struct {
	Allergies AllergyStatus
	// AllergiesHidden: the user's role may not read allergies.
	AllergiesHidden bool
	// Alerts are the active alerts' texts, shown on every record page.
	Alerts       []string
	AlertsHidden bool
}

// BannerRecordOf reads the banner's record part from the patient's
// AllergyIntolerances and Flags; hidden says which the user may not read.
func BannerRecordOf(allergies, flags []fhir.Resource, allergiesHidden, alertsHidden bool) *BannerRecord {
	r := &BannerRecord{Allergies: AllergyStatusOf(allergies), AllergiesHidden: allergiesHidden, AlertsHidden: alertsHidden}
	for _, f := range flags {
		if str(f, "status") == "active" {
			r.Alerts = append(r.Alerts, conceptText(f["code"]))
		}
	}
	return r
}

// BannerOf reads a Patient resource. now is today, for the age.
func BannerOf(p fhir.Resource, now time.Time) Banner {
	b := Banner{ID: p.ID(), Sex: sexLabel(str(p, "gender"))}
	b.Name = displayName(p)
	if d := str(p, "birthDate"); d != "" {
		if t, err := time.Parse("2006-01-02", d); err == nil {
			b.BirthDate = t.Format("02-Jan-2006")
			b.Age = Age(t, now)
		} else {
			b.BirthDate = d
		}
	}
	for _, id := range list(p, "identifier") {
		if id["system"] == NHSNumberSystem {
			if v, _ := id["value"].(string); v != "" {
				b.NHSNumber = FormatNHSNumber(v)
			}
		}
	}
	if addrs := list(p, "address"); len(addrs) > 0 {
		a := addrs[0]
		var parts []string
		for _, l := range anyList(a["line"]) {
			if s, ok := l.(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		if c, _ := a["city"].(string); c != "" {
			parts = append(parts, c)
		}
		b.Address = strings.Join(parts, ", ")
		b.Postcode, _ = a["postalCode"].(string)
	}
	for _, gp := range list(p, "generalPractitioner") {
		if d, _ := gp["display"].(string); d != "" {
			b.UsualGP = d
			break
		}
	}
	if v, ok := p["deceasedBoolean"].(bool); ok && v {
		b.Deceased = true
	}
	if _, ok := p["deceasedDateTime"]; ok {
		b.Deceased = true
	}
	if v, ok := p["active"].(bool); ok && !v {
		b.Deducted = true
	}
	if RestrictedAddress(p) { // PDS's restricted flag (registration.go)
		b.Address, b.Postcode = "Not shown: restricted record", ""
	}
	b.Sensitive = search.Sensitive(p)
	return b
}

// displayName is the official (else first) name as FAMILY, Given Given
// (Title).
func displayName(p fhir.Resource) string {
	names := list(p, "name")
	if len(names) == 0 {
		return "(no name recorded)"
	}
	n := names[0]
	for _, c := range names {
		if c["use"] == "official" {
			n = c
			break
		}
	}
	family, _ := n["family"].(string)
	var given, prefix []string
	for _, g := range anyList(n["given"]) {
		if s, ok := g.(string); ok {
			given = append(given, s)
		}
	}
	for _, g := range anyList(n["prefix"]) {
		if s, ok := g.(string); ok {
			prefix = append(prefix, s)
		}
	}
	out := strings.ToUpper(family)
	if len(given) > 0 {
		if out != "" {
			out += ", "
		}
		out += strings.Join(given, " ")
	}
	if len(prefix) > 0 {
		out += " (" + strings.Join(prefix, " ") + ")"
	}
	if out == "" {
		if t, _ := n["text"].(string); t != "" {
			return t
		}
		return "(no name recorded)"
	}
	return out
}

// Age says how old someone born on birth is on now, as clinicians write
// it: years from 2, months under 2 years, days under 4 weeks... kept to
// the common form: "56y", "18m", "3w", "5d".
func Age(birth, now time.Time) string {
	if now.Before(birth) {
		return ""
	}
	years := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		years-- // the birthday is still to come this year
	}
	if years >= 2 {
		return fmt.Sprintf("%dy", years)
	}
	months := (now.Year()-birth.Year())*12 + int(now.Month()) - int(birth.Month())
	if now.Day() < birth.Day() {
		months--
	}
	if months >= 1 {
		return fmt.Sprintf("%dm", months)
	}
	days := int(now.Sub(birth).Hours() / 24)
	if days >= 7 {
		return fmt.Sprintf("%dw", days/7)
	}
	return fmt.Sprintf("%dd", days)
}

func sexLabel(g string) string {
	switch g {
	case "female":
		return "Female"
	case "male":
		return "Male"
	case "other":
		return "Other"
	}
	return "Unknown"
}

func str(r map[string]any, k string) string {
	s, _ := r[k].(string)
	return s
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// list returns r[k] as a list of objects.
func list(r map[string]any, k string) []map[string]any {
	var out []map[string]any
	for _, v := range anyList(r[k]) {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
