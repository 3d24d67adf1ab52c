package clinical

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// Record access levels: how much of a record the portal shows a patient
// (or a proxy), set per patient by the practice (CLINICAL.md, Patient
// portal 2; issue 19, "Record"):
//   - none;
//   - summary: allergies, medicines and problems;
//   - detailed: the coded record as well (vaccinations, measurements,
//     test results);
//   - full: consultation notes and documents as well;
//
// and, whatever the level, prospective access: every entry dated on or
// after a day is shown in full. The default, when the practice has
// recorded nothing, is the GP contract's: a patient aged 16 or over has
// the summary and prospective access from the later of the day their
// account was made and 31 October 2023; under 16 nothing is automatic.
// An enhanced-review entry (SNOMED 1364731000000104 or
// 1364751000000106, CLINICAL.md Workspace 2) stops the default: only a
// practice decision made on or after the entry's date opens the record,
// so that a concern recorded after a decision closes it again.
//
// FHIR mapping: one Consent per patient (scope patient-privacy,
// category RecordAccessSystem "record-access"), each change a new
// version (If-Match): dateTime when the practice decided; provision.type
// permit with provision.action the level (deny for none); a nested
// provision (permit, action "full", dataPeriod.start the day) for
// prospective access. A Consent rather than a Patient extension: it is a
// privacy decision with its own history (who decided what, when), found
// by category like the proxy grants, and changing it never races an
// edit of the patient's demographics on the Patient's version.
const (
	RecordNone     = "none"
	RecordSummary  = "summary"
	RecordDetailed = "detailed"
	RecordFull     = "full"
)

// RecordAccessSystem is the CodeSystem of the Consent's category and of
// the levels.
const RecordAccessSystem = "https://gpcloud.dev/fhir/CodeSystem/record-access"

// RecordLevels are the levels, as the screens say them.
var RecordLevels = []Choice{
	{RecordNone, "No online access to the record"},
	{RecordSummary, "Summary: allergies, medicines and problems"},
	{RecordDetailed, "Detailed coded record: also vaccinations, measurements and test results"},
	{RecordFull, "Full record: also consultation notes and documents"},
}

// EnhancedReviewCodes are the SNOMED codes a clinician records when a
// record needs review before it is opened online.
var EnhancedReviewCodes = patientview.EnhancedReviewCodes

// ProspectiveStart is the day prospective access became the default
// (31 October 2023).
var ProspectiveStart = time.Date(2023, 10, 31, 0, 0, 0, 0, UKTime)

// Parts of the record, by the least level that shows them whole.
const (
	PartSummary = RecordSummary  // allergies, medicines, problems
	PartCoded   = RecordDetailed // vaccinations, measurements, results
	PartFull    = RecordFull     // consultations, documents
)

func levelRank(level string) int {
	return slices.IndexFunc(RecordLevels, func(c Choice) bool { return c.Key == level })
}

// RecordAccessSetting is the practice's decision for one patient.
type RecordAccessSetting struct {
	ID, Version string
	Level       string
	// From is the first day of prospective access (zero: none).
	From time.Time
	// Given is when the practice decided.
	Given time.Time
}

// RecordScope is what the portal shows of a record, with the reason when
// it shows nothing.
type RecordScope struct {
	Level string
	From  time.Time
	Why   string
}

// None reports a view that shows nothing at all.
func (v RecordScope) None() bool { return levelRank(v.Level) <= 0 && v.From.IsZero() }

// Shows reports whether an entry of a part, dated when, is shown: its
// part is within the level, or it is dated on or after the start of
// prospective access. An entry with no date is shown only by level.
func (v RecordScope) Shows(part string, when time.Time) bool {
	if v.Whole(part) {
		return true
	}
	return !v.From.IsZero() && !when.IsZero() && !when.Before(v.From)
}

// Whole reports a part shown whatever its entries' dates (by level).
func (v RecordScope) Whole(part string) bool {
	r := levelRank(v.Level)
	return r > 0 && r >= levelRank(part)
}

// FromLabel is the first day of prospective access, for the page.
func (v RecordScope) FromLabel() string {
	if v.From.IsZero() {
		return ""
	}
	return v.From.In(UKTime).Format("2 January 2006")
}

// RecordAccessInput is what decides a view of a record.
type RecordAccessInput struct {
	// Proxy is set for a proxy, with their Grant (nil: none recorded).
	Proxy bool
	Grant *ProxyGrant
	// Proof is the viewer's identity proof (HighIdentityProof).
	Proof     string
	BirthDate string
	// AccountCreated is when the viewer's account was made.
	AccountCreated time.Time
	// Setting is the practice's decision (nil: none recorded).
	Setting *RecordAccessSetting
	// EnhancedReview is the date of the latest enhanced-review entry
	// (zero: none).
	EnhancedReview time.Time
}

// Plain reasons. None names enhanced review: telling a patient their
// record is held back for review can itself cause the harm it guards.
const (
	recordWhyProof   = "To see your GP health record online you need to prove who you are to a high level: sign in with NHS login (with photo ID), or take photo ID to your GP surgery and ask them to confirm who you are. You can still book appointments, order repeat prescriptions and send messages."
	recordWhyOff     = "Your GP surgery has not turned on online access to this record. Contact them if you would like it."
	recordWhyUnder16 = "Online access to a record is not automatic under 16. Ask the practice if you would like it."
	recordWhyNoDate  = "The practice has not set up online access to this record. Contact the practice."
)

// RecordAccessOf is the view a patient or proxy gets of a record.
func RecordAccessOf(in RecordAccessInput, now time.Time) RecordScope {
	if !HighIdentityProof(in.Proof) {
		return RecordScope{Level: RecordNone, Why: recordWhyProof}
	}
	if in.Proxy {
		birth := in.BirthDate
		if ok, why := ProxyAccess(in.Grant, birth, ServiceRecord, now); !ok {
			return RecordScope{Level: RecordNone, Why: why}
		}
	}
	s := in.Setting
	if s != nil && !in.EnhancedReview.IsZero() && s.Given.Before(in.EnhancedReview) {
		s = nil // decided before the concern was recorded: reviewed again
	}
	if s != nil {
		v := RecordScope{Level: s.Level, From: s.From}
		if v.None() {
			v.Why = recordWhyOff
		}
		return v
	}
	if !in.EnhancedReview.IsZero() {
		return RecordScope{Level: RecordNone, Why: recordWhyOff}
	}
	if in.Proxy {
		// A proxy the grant allows (a child under 11, an adult's proxy by
		// consent or authority): the summary, as before any setting.
		return RecordScope{Level: RecordSummary}
	}
	birth, err := time.Parse("2006-01-02", in.BirthDate)
	if err != nil {
		return RecordScope{Level: RecordNone, Why: recordWhyNoDate}
	}
	if ageYears(birth, now.In(UKTime)) < 16 {
		return RecordScope{Level: RecordNone, Why: recordWhyUnder16}
	}
	from := ProspectiveStart
	if c := in.AccountCreated.In(UKTime); c.After(from) {
		from = time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, UKTime)
	}
	return RecordScope{Level: RecordSummary, From: from}
}

// IsEnhancedReview reports an entry coded for enhanced review (the rule
// is patientview's).
func IsEnhancedReview(r fhir.Resource) bool { return patientview.IsEnhancedReview(r) }

// LatestEnhancedReview is the date of the latest enhanced-review entry
// among rs (zero: none). One without a date counts as always: it can
// only be lifted by a decision, never outdated by one.
func LatestEnhancedReview(rs []fhir.Resource) time.Time {
	var out time.Time
	for _, r := range rs {
		if !IsEnhancedReview(r) || EnteredInError(r) {
			continue
		}
		when := EntryDate(r)
		if when.IsZero() {
			when = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if when.After(out) {
			out = when
		}
	}
	return out
}

// EntryDate is when an entry was made or happened, for prospective
// access: the first of the dates a resource of its type carries.
func EntryDate(r fhir.Resource) time.Time {
	for _, k := range []string{"recordedDate", "authoredOn", "issued", "effectiveDateTime", "occurrenceDateTime", "onsetDateTime", "date", "created"} {
		if t, ok := parseWhen(str(r, k)); ok {
			return t
		}
	}
	if t, ok := parseWhen(str(mapOf(r["period"]), "start")); ok {
		return t
	}
	if t, ok := parseWhen(str(mapOf(r["effectivePeriod"]), "start")); ok {
		return t
	}
	return time.Time{}
}

func parseWhen(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.ParseInLocation(layout, s, UKTime); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ShownEntries keeps the entries of a part the view shows.
func (v RecordScope) ShownEntries(part string, rs []fhir.Resource) []fhir.Resource {
	out := rs[:0:0]
	for _, r := range rs {
		if v.Shows(part, EntryDate(r)) {
			out = append(out, r)
		}
	}
	return out
}

// IsRecordAccess reports a Consent that is a record-access decision.
func IsRecordAccess(res fhir.Resource) bool {
	for _, c := range list(res, "category") {
		for _, cd := range list(c, "coding") {
			if str(cd, "system") == RecordAccessSystem && str(cd, "code") == "record-access" {
				return true
			}
		}
	}
	return false
}

// RecordAccessSettingOf reads the current decision among a patient's
// Consents (nil: none, or only inactive ones).
func RecordAccessSettingOf(consents []fhir.Resource) *RecordAccessSetting {
	var out *RecordAccessSetting
	for _, res := range consents {
		if !IsRecordAccess(res) || str(res, "status") != "active" {
			continue
		}
		s := RecordAccessSetting{ID: res.ID(), Version: versionOf(res), Level: RecordNone}
		s.Given, _ = time.Parse(time.RFC3339, str(res, "dateTime"))
		prov := mapOf(res["provision"])
		if str(prov, "type") == "permit" {
			for _, a := range list(prov, "action") {
				for _, cd := range list(a, "coding") {
					if str(cd, "system") == RecordAccessSystem && levelRank(str(cd, "code")) >= 0 {
						s.Level = str(cd, "code")
					}
				}
			}
		}
		for _, sub := range list(prov, "provision") {
			if str(sub, "type") == "permit" {
				s.From, _ = time.ParseInLocation("2006-01-02", str(mapOf(sub["dataPeriod"]), "start"), UKTime)
			}
		}
		if out == nil || s.Given.After(out.Given) {
			out = &s
		}
	}
	return out
}

// RecordAccessChange is what the practice sets on the Online access
// page: a level, and the first day of prospective access (2006-01-02,
// or "" for none).
type RecordAccessChange struct {
	Level string
	From  string
}

// Check returns what is wrong with a change, by field id.
func (c RecordAccessChange) Check() map[string]string {
	errs := map[string]string{}
	if levelRank(c.Level) < 0 {
		errs["level-"+RecordNone] = "Select how much of the record the patient sees online"
	}
	if c.From != "" {
		if _, err := time.Parse("2006-01-02", c.From); err != nil {
			errs["from-day"] = "The date new entries are shown from must be a real date, like 31 10 2023"
		}
	}
	return errs
}

// Resource writes the change as a new Consent, or a new version of the
// current one (current may be nil).
func (c RecordAccessChange) Resource(current fhir.Resource, patientID, practice string, now time.Time) fhir.Resource {
	out := fhir.Resource{"resourceType": "Consent"}
	if current != nil {
		out = cloneResource(current)
	}
	out["status"] = "active"
	out["scope"] = map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}}}
	out["category"] = []any{map[string]any{"coding": []any{map[string]any{"system": RecordAccessSystem, "code": "record-access", "display": "Online record access"}}}}
	out["patient"] = map[string]any{"reference": "Patient/" + patientID}
	out["dateTime"] = now.UTC().Format(time.RFC3339)
	if practice != "" {
		out["organization"] = []any{map[string]any{"reference": "Organization/" + practice}}
	}
	out["policyRule"] = map[string]any{"text": "GP contract: patients' online access to their GP record"}
	prov := map[string]any{"type": "permit"}
	if c.Level == RecordNone {
		prov["type"] = "deny"
	} else {
		prov["action"] = []any{map[string]any{"coding": []any{map[string]any{"system": RecordAccessSystem, "code": c.Level, "display": ChoiceLabel(RecordLevels, c.Level)}}}}
	}
	if c.From != "" {
		prov["provision"] = []any{map[string]any{"type": "permit", "dataPeriod": map[string]any{"start": c.From},
			"action": []any{map[string]any{"coding": []any{map[string]any{"system": RecordAccessSystem, "code": RecordFull, "display": "Prospective: new entries in full"}}}}}}
	}
	out["provision"] = prov
	return out
}

// LevelLabel is a setting as the screens say it.
func (s RecordAccessSetting) LevelLabel() string {
	l := ChoiceLabel(RecordLevels, s.Level)
	if !s.From.IsZero() {
		l += "; new entries in full from " + s.From.In(UKTime).Format("2 January 2006")
	}
	return strings.TrimSpace(l)
}
