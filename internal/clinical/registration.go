package clinical

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Registration: a patient joins the practice's list. It writes, in one
// transaction, the Patient (UK Core Patient: NHS number with its
// verification status, name, birth date, sex, address, telecom, the
// GMS1's questions as UK Core and core extensions, generalPractitioner
// the usual GP, managingOrganization the practice) and the registration
// as an EpisodeOfCare (type the registration type, period its start and
// end, managingOrganization the practice, careManager the usual GP).
// Leaving (deduction) finishes the EpisodeOfCare with a reason and marks
// the Patient inactive; re-registering adds a new EpisodeOfCare. GP
// Connect's registration details (type, period, preferred surgery) map
// from the EpisodeOfCare.

// Code systems and extensions registration writes.
const (
	// RegistrationTypeSystem is GP Connect's registration type (R, T,
	// IN, ...), what its Patient's registrationDetails carries.
	RegistrationTypeSystem = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-RegistrationType-1"
	NHSVerificationURL     = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
	NHSVerificationSystem  = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
	EthnicCategoryURL      = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
	EthnicCategorySystem   = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
	BirthPlaceURL          = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
	InterpreterURL         = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
	// gpcloud's own, where neither UK Core nor FHIR has one (see README).
	ArmedForcesURL        = "https://gpcloud.dev/fhir/StructureDefinition/armed-forces"
	ArmedForcesSystem     = "https://gpcloud.dev/fhir/CodeSystem/armed-forces"
	ContactConsentURL     = "https://gpcloud.dev/fhir/StructureDefinition/contact-consent"
	PreviousPracticeURL   = "https://gpcloud.dev/fhir/StructureDefinition/previous-practice"
	AccessibleFormatURL   = "https://gpcloud.dev/fhir/StructureDefinition/accessible-format"
	AccessibleFormatCodes = "https://gpcloud.dev/fhir/CodeSystem/accessible-format"
	DeathNotificationURL  = "https://gpcloud.dev/fhir/StructureDefinition/death-notification"
	DeductionReasonURL    = "https://gpcloud.dev/fhir/StructureDefinition/deduction-reason"
	DeductionReasonSystem = "https://gpcloud.dev/fhir/CodeSystem/deduction-reason"
)

// NHS number verification statuses (UK Core, England). Without PDS a
// number typed at the desk is "present but not traced"; only a PDS trace
// makes it "present and verified", which GP Connect requires.
const (
	NHSVerified  = "01"
	NHSNotTraced = "02"
)

var nhsVerificationDisplay = map[string]string{NHSVerified: "Number present and verified", NHSNotTraced: "Number present but not traced"}

// RegistrationType is one kind of registration: regular (GMS), a
// temporary resident (up to three months) or immediately necessary
// treatment (up to 14 days).
type RegistrationType struct {
	Key, Code, Label, Hint string
	// Months and Days bound how long it lasts; both 0: until deducted.
	Months, Days int
}

// RegistrationTypes are the types a practice registers.
var RegistrationTypes = []RegistrationType{
	{Key: "regular", Code: "R", Label: "Regular", Hint: "Joins the practice's list (GMS)"},
	{Key: "temporary", Code: "T", Label: "Temporary resident", Hint: "In the area for more than 24 hours and up to 3 months: ends after 3 months", Months: 3},
	{Key: "immediately-necessary", Code: "IN", Label: "Immediately necessary treatment", Hint: "Treatment needed now, up to 14 days: ends after 14 days", Days: 14},
}

// RegistrationTypeOf finds a type by key or GP Connect code.
func RegistrationTypeOf(s string) (RegistrationType, bool) {
	for _, t := range RegistrationTypes {
		if t.Key == s || t.Code == s {
			return t, true
		}
	}
	return RegistrationType{}, false
}

// End is when a registration of this type starting at start ends by
// itself (zero: it does not).
func (t RegistrationType) End(start time.Time) time.Time {
	switch {
	case t.Months > 0:
		return start.AddDate(0, t.Months, 0)
	case t.Days > 0:
		return start.AddDate(0, 0, t.Days)
	}
	return time.Time{}
}

// DeductionReasons are why a patient leaves the list (the reasons PCRM,
// formerly NHAIS, deducts for, in the desk's words).
var DeductionReasons = []Choice{
	{"registered-elsewhere", "Registered with another practice"},
	{"moved-away", "Moved out of the practice area"},
	{"died", "Died"},
	{"embarkation", "Left the UK (embarkation)"},
	{"patient-request", "At the patient's request"},
	{"practice-request", "At the practice's request (removal)"},
	{"temporary-ended", "Temporary registration ended"},
	{"other", "Other reason"},
}

// Practice is the practice a patient registers with.
type Practice struct {
	ID, Name string
	// Lines, Town and Postcode are its address: a patient of no fixed
	// abode is registered there.
	Lines          []string
	Town, Postcode string
}

// Ref is the practice as a reference.
func (p Practice) Ref() Ref { return Ref{Reference: "Organization/" + p.ID, Display: p.Name} }

// Registration is what the desk registers: the patient's details and
// the registration's own.
type Registration struct {
	Demographics
	Type string // a RegistrationType key
	// UsualGP is the named accountable GP: one of Clinicians.
	UsualGP          string
	PreviousPractice string
	// PreviousAddress and PreviousPostcode are where the patient lived
	// before (GMS1).
	PreviousAddress, PreviousPostcode string
	StartDay, StartMonth, StartYear   string

	// Set by Check.
	Start time.Time
	GP    Ref
}

// Check checks the details and the registration: the usual GP must be
// one of the practice's clinicians (by reference). Errors are keyed by
// input id as Demographics.Check's, plus type, gp, start-day and
// previous-postcode.
func (r *Registration) Check(now time.Time, clinicians []Ref) map[string]string {
	errs := r.Demographics.Check(now)
	for k, v := range r.CheckTerms(now, clinicians) {
		errs[k] = v
	}
	return errs
}

// CheckTerms checks the registration's own fields only (registering a
// known patient again): type, usual GP, date, previous practice and
// address. The date may not be before BirthDate when it is set.
func (r *Registration) CheckTerms(now time.Time, clinicians []Ref) map[string]string {
	errs := map[string]string{}
	if _, ok := RegistrationTypeOf(r.Type); !ok || r.Type == "" {
		errs["type"] = "Select the type of registration"
	}
	r.GP = Ref{}
	for _, c := range clinicians {
		if c.Reference == r.UsualGP && c.Reference != "" {
			r.GP = c
		}
	}
	if r.GP.Reference == "" {
		errs["gp"] = "Select the patient's usual GP"
	}
	if strings.TrimSpace(r.StartDay+r.StartMonth+r.StartYear) == "" {
		r.Start = time.Date(now.In(London).Year(), now.In(London).Month(), now.In(London).Day(), 0, 0, 0, 0, London)
		r.StartDay, r.StartMonth, r.StartYear = DateInput(r.Start)
	} else {
		var msg string
		r.Start, msg = ParseDateInput(r.StartDay, r.StartMonth, r.StartYear, "registration date", now)
		switch {
		case msg != "":
			errs["start-day"] = msg
		case r.Start.After(now):
			errs["start-day"] = "Registration date must be today or in the past"
		case !r.BirthDate.IsZero() && r.Start.Before(r.BirthDate):
			errs["start-day"] = "Registration date must be on or after the date of birth"
		}
	}
	r.PreviousPractice, r.PreviousAddress = clean(r.PreviousPractice), clean(r.PreviousAddress)
	if strings.TrimSpace(r.PreviousPostcode) != "" {
		if pc, ok := NormalizePostcode(r.PreviousPostcode); ok {
			r.PreviousPostcode = pc
		} else {
			errs["previous-postcode"] = "Enter a real postcode for the previous address, like LS1 4AP"
		}
	}
	return errs
}

// PatientOf writes the details into a Patient: into existing (a copy;
// nil for a new patient), replacing what the form holds and keeping the
// rest (other names and identifiers, extensions others wrote). verified
// is the NHS number's verification status code; "" keeps the existing
// status when the number is unchanged and is "not traced" otherwise.
func PatientOf(existing fhir.Resource, d Demographics, practice Practice, gp Ref, verified string) fhir.Resource {
	p := fhir.Resource{"resourceType": "Patient"}
	for k, v := range existing {
		p[k] = v
	}
	// The NHS number, with its verification status.
	var ids []any
	oldStatus := ""
	for _, id := range list(existing, "identifier") {
		if id["system"] == NHSNumberSystem {
			if id["value"] == d.NHS {
				oldStatus = nhsStatusOf(id)
			}
			continue
		}
		ids = append(ids, id)
	}
	if d.NHS != "" {
		status := firstNonEmpty(verified, oldStatus, NHSNotTraced)
		ids = append([]any{map[string]any{"system": NHSNumberSystem, "value": d.NHS,
			"extension": []any{map[string]any{"url": NHSVerificationURL,
				"valueCodeableConcept": codeable(NHSVerificationSystem, status, nhsVerificationDisplay[status], "")}}}}, ids...)
	}
	setOrDelete(p, "identifier", len(ids) > 0, func() any { return ids })
	// The official name first; other names kept.
	name := map[string]any{"use": "official", "family": d.Family, "given": stringsAny(strings.Fields(d.Given))}
	if d.Title != "" {
		name["prefix"] = []any{d.Title}
	}
	names := []any{name}
	for _, n := range list(existing, "name") {
		if n["use"] != "official" {
			names = append(names, n)
		}
	}
	p["name"] = names
	p["birthDate"] = d.BirthDate.Format("2006-01-02")
	p["gender"] = d.Sex
	// The home address (the practice's for no fixed abode); old ones kept.
	var home map[string]any
	if d.NoFixedAbode {
		home = map[string]any{"use": "temp", "text": "No fixed abode (care of " + practice.Name + ")",
			"line": stringsAny(append([]string{"No fixed abode", "c/o " + practice.Name}, practice.Lines...)), "postalCode": practice.Postcode}
		if practice.Town != "" {
			home["city"] = practice.Town
		}
	} else {
		lines := []string{d.Address1}
		if d.Address2 != "" {
			lines = append(lines, d.Address2)
		}
		home = map[string]any{"use": "home", "line": stringsAny(lines), "city": d.Town, "postalCode": d.Postcode}
	}
	addrs := []any{home}
	for _, a := range list(existing, "address") {
		if a["use"] == "old" {
			addrs = append(addrs, a)
		}
	}
	p["address"] = addrs
	// Phones and email, with consent to texts and emails.
	var telecom []any
	if d.Phone != "" {
		telecom = append(telecom, map[string]any{"system": "phone", "value": FormatPhone(d.Phone), "use": "home"})
	}
	if d.Mobile != "" {
		telecom = append(telecom, map[string]any{"system": "sms", "value": FormatPhone(d.Mobile), "use": "mobile",
			"extension": []any{map[string]any{"url": ContactConsentURL, "valueBoolean": d.SMSConsent}}})
	}
	if d.Email != "" {
		telecom = append(telecom, map[string]any{"system": "email", "value": d.Email, "use": "home",
			"extension": []any{map[string]any{"url": ContactConsentURL, "valueBoolean": d.EmailConsent}}})
	}
	setOrDelete(p, "telecom", len(telecom) > 0, func() any { return telecom })
	// Main language.
	if d.Language != "" {
		p["communication"] = []any{map[string]any{"language": map[string]any{"text": d.Language}, "preferred": true}}
	} else {
		delete(p, "communication")
	}
	// The GMS1's questions as extensions; others' extensions kept.
	var exts []any
	for _, e := range list(existing, "extension") {
		switch e["url"] {
		case EthnicCategoryURL, BirthPlaceURL, InterpreterURL, ArmedForcesURL, AccessibleFormatURL:
		default:
			exts = append(exts, e)
		}
	}
	if d.Ethnicity != "" {
		exts = append(exts, map[string]any{"url": EthnicCategoryURL,
			"valueCodeableConcept": codeable(EthnicCategorySystem, d.Ethnicity, ChoiceLabel(EthnicCategories, d.Ethnicity), "")})
	}
	if d.PlaceOfBirth != "" {
		exts = append(exts, map[string]any{"url": BirthPlaceURL, "valueAddress": map[string]any{"text": d.PlaceOfBirth}})
	}
	if d.Language != "" || d.Interpreter {
		exts = append(exts, map[string]any{"url": InterpreterURL, "valueBoolean": d.Interpreter})
	}
	if d.ArmedForces != "" {
		exts = append(exts, map[string]any{"url": ArmedForcesURL,
			"valueCodeableConcept": codeable(ArmedForcesSystem, d.ArmedForces, ChoiceLabel(ArmedForces, d.ArmedForces), "")})
	}
	if d.AccessibleFormat != "" {
		exts = append(exts, map[string]any{"url": AccessibleFormatURL,
			"valueCodeableConcept": codeable(AccessibleFormatCodes, d.AccessibleFormat, ChoiceLabel(AccessibleFormats, d.AccessibleFormat), "")})
	}
	setOrDelete(p, "extension", len(exts) > 0, func() any { return exts })
	if gp.Reference != "" {
		p["generalPractitioner"] = []any{refMap(gp)}
	}
	p["managingOrganization"] = refMap(practice.Ref())
	if _, ok := p["active"]; !ok {
		p["active"] = true
	}
	return p
}

func nhsStatusOf(id map[string]any) string {
	for _, e := range list(id, "extension") {
		if e["url"] == NHSVerificationURL {
			for _, c := range list(mapOf(e["valueCodeableConcept"]), "coding") {
				if code := str(c, "code"); code != "" {
					return code
				}
			}
		}
	}
	return ""
}

func stringsAny(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// EpisodeOf is the registration as an EpisodeOfCare of patientRef
// ("Patient/x" or a urn:uuid).
func EpisodeOf(r Registration, patientRef string, practice Practice) fhir.Resource {
	t, _ := RegistrationTypeOf(r.Type)
	period := map[string]any{"start": r.Start.Format("2006-01-02")}
	if end := t.End(r.Start); !end.IsZero() {
		period["end"] = end.Format("2006-01-02")
	}
	ep := fhir.Resource{"resourceType": "EpisodeOfCare", "status": "active",
		"type":                 []any{codeable(RegistrationTypeSystem, t.Code, t.Label, "")},
		"patient":              map[string]any{"reference": patientRef},
		"managingOrganization": refMap(practice.Ref()),
		"period":               period,
		"careManager":          refMap(r.GP)}
	if r.PreviousPractice != "" {
		ep["extension"] = []any{map[string]any{"url": PreviousPracticeURL, "valueString": r.PreviousPractice}}
	}
	return ep
}

// RegistrationBundle is the transaction that registers: the Patient and
// the EpisodeOfCare. With an NHS number both creates are conditional, so
// that two desks registering the same number at once make one patient
// with one registration: the Patient on its NHS number, the
// EpisodeOfCare on any registration of a patient with that number (the
// second transaction, waiting on the first's lock, finds both and
// writes nothing).
func RegistrationBundle(r Registration, practice Practice) fhir.Resource {
	patientURL, episodeURL := "urn:uuid:"+fhir.NewUUID(), "urn:uuid:"+fhir.NewUUID()
	patient := PatientOf(nil, r.Demographics, practice, r.GP, "")
	if r.PreviousAddress != "" || r.PreviousPostcode != "" {
		old := map[string]any{"use": "old", "period": map[string]any{"end": r.Start.Format("2006-01-02")}}
		if r.PreviousAddress != "" {
			old["text"] = r.PreviousAddress
		}
		if r.PreviousPostcode != "" {
			old["postalCode"] = r.PreviousPostcode
		}
		patient["address"] = append(patient["address"].([]any), old)
	}
	pReq := map[string]any{"method": "POST", "url": "Patient"}
	eReq := map[string]any{"method": "POST", "url": "EpisodeOfCare"}
	if r.NHS != "" {
		pReq["ifNoneExist"] = "identifier=" + NHSNumberSystem + "|" + r.NHS
		eReq["ifNoneExist"] = "patient.identifier=" + NHSNumberSystem + "|" + r.NHS
	}
	return fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"fullUrl": patientURL, "resource": map[string]any(patient), "request": pReq},
		map[string]any{"fullUrl": episodeURL, "resource": map[string]any(EpisodeOf(r, patientURL, practice)), "request": eReq},
	}}
}

// Duplicate is an existing patient who may be the one being registered.
type Duplicate struct {
	Banner
	// SameNHS: the same NHS number, so the same person: register them
	// again from their record instead. Otherwise the name, date of birth
	// and postcode agree, and the desk decides.
	SameNHS bool
	Why     string
}

// DuplicateSearches are the Patient searches that find the likely
// duplicates of d (checked by Check): the same NHS number; the same last
// name, date of birth and postcode.
func DuplicateSearches(d Demographics, practice Practice) []url.Values {
	var out []url.Values
	if d.NHS != "" {
		out = append(out, url.Values{"identifier": {NHSNumberSystem + "|" + d.NHS}})
	}
	if d.Family != "" && !d.BirthDate.IsZero() {
		out = append(out, url.Values{"family": {d.Family}, "birthdate": {d.BirthDate.Format("2006-01-02")},
			"address-postalcode": {postcodeOf(d, practice)}})
	}
	return out
}

func postcodeOf(d Demographics, practice Practice) string {
	if d.NoFixedAbode {
		return practice.Postcode
	}
	return d.Postcode
}

// LikelyDuplicates picks, from candidates (what DuplicateSearches
// found), the patients who are likely the one being registered: the
// same NHS number, or the same first and last name (letters only, any
// case), date of birth and postcode. Each is listed once, NHS matches
// first.
func LikelyDuplicates(d Demographics, practice Practice, candidates []fhir.Resource, now time.Time) []Duplicate {
	var out []Duplicate
	seen := map[string]bool{}
	pc := postcodeOf(d, practice)
	for _, c := range candidates {
		if seen[c.ID()] {
			continue
		}
		dup := Duplicate{Banner: BannerOf(c, now)}
		for _, id := range list(c, "identifier") {
			if id["system"] == NHSNumberSystem && d.NHS != "" && id["value"] == d.NHS {
				dup.SameNHS, dup.Why = true, "Same NHS number"
			}
		}
		if !dup.SameNHS && sameName(c, d) && str(c, "birthDate") == d.BirthDate.Format("2006-01-02") && hasPostcode(c, pc) {
			dup.Why = "Same name, date of birth and postcode"
		}
		if dup.Why != "" {
			seen[c.ID()] = true
			out = append(out, dup)
		}
	}
	slices.SortStableFunc(out, func(a, b Duplicate) int {
		switch {
		case a.SameNHS == b.SameNHS:
			return 0
		case a.SameNHS:
			return -1
		}
		return 1
	})
	return out
}

// nameKey is a name's letters in lower case: "O'Brien-Smith" and
// "obrien smith" agree.
func nameKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r > 127 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sameName(p fhir.Resource, d Demographics) bool {
	given := strings.Fields(d.Given)
	if len(given) == 0 {
		return false
	}
	for _, n := range list(p, "name") {
		if nameKey(str(n, "family")) != nameKey(d.Family) {
			continue
		}
		for _, g := range anyList(n["given"]) {
			if s, _ := g.(string); nameKey(s) == nameKey(given[0]) {
				return true
			}
		}
	}
	return false
}

func hasPostcode(p fhir.Resource, pc string) bool {
	for _, a := range list(p, "address") {
		if got, ok := NormalizePostcode(str(a, "postalCode")); ok && got == pc {
			return true
		}
	}
	return false
}

// ConfidentialitySystem labels a record's confidentiality, as PDS does
// (U unrestricted, R restricted, V very restricted).
const ConfidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

// RestrictedAddress reports a Patient that PDS marks restricted (R) or
// very restricted (V): the address must not be shown (the banner, the
// search results and the duplicate list leave it out).
func RestrictedAddress(p fhir.Resource) bool {
	for _, l := range list(mapOf(p["meta"]), "security") {
		if l["system"] == ConfidentialitySystem && (l["code"] == "R" || l["code"] == "V") {
			return true
		}
	}
	return false
}
