package patientview

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
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

// ProspectiveStart is the day prospective access became the default
// (31 October 2023).
var ProspectiveStart = time.Date(2023, 10, 31, 0, 0, 0, 0, London)

// Parts of the record, by the least level that shows them whole.
const (
	PartSummary = RecordSummary  // allergies, medicines, problems
	PartCoded   = RecordDetailed // vaccinations, measurements, results
	PartFull    = RecordFull     // consultations, documents
)

// LevelRank is a level's place among RecordLevels (-1: not a level).
func LevelRank(level string) int {
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
func (v RecordScope) None() bool { return LevelRank(v.Level) <= 0 && v.From.IsZero() }

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
	r := LevelRank(v.Level)
	return r > 0 && r >= LevelRank(part)
}

// FromLabel is the first day of prospective access, for the page.
func (v RecordScope) FromLabel() string {
	if v.From.IsZero() {
		return ""
	}
	return v.From.In(London).Format("2 January 2006")
}

// RecordAccessInput is what decides a view of a record.
type RecordAccessInput struct {
	// Closed: the record is closed to online access (ClosedOnline).
	Closed bool
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
	if AgeYears(birth, now.In(London)) < 16 {
		return RecordScope{Level: RecordNone, Why: recordWhyUnder16}
	}
	from := ProspectiveStart
	if c := in.AccountCreated.In(London); c.After(from) {
		from = time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, London)
	}
	return RecordScope{Level: RecordSummary, From: from}
}

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
		if t, ok := ParseWhen(str(r, k)); ok {
			return t
		}
	}
	if t, ok := ParseWhen(str(mapOf(r["period"]), "start")); ok {
		return t
	}
	if t, ok := ParseWhen(str(mapOf(r["effectivePeriod"]), "start")); ok {
		return t
	}
	return time.Time{}
}

// ParseWhen reads a FHIR date or dateTime, a date in London time.
func ParseWhen(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.ParseInLocation(layout, s, London); err == nil {
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
		s := RecordAccessSetting{ID: res.ID(), Version: str(mapOf(res["meta"]), "versionId"), Level: RecordNone}
		s.Given, _ = time.Parse(time.RFC3339, str(res, "dateTime"))
		prov := mapOf(res["provision"])
		if str(prov, "type") == "permit" {
			for _, a := range list(prov, "action") {
				for _, cd := range list(a, "coding") {
					if str(cd, "system") == RecordAccessSystem && LevelRank(str(cd, "code")) >= 0 {
						s.Level = str(cd, "code")
					}
				}
			}
		}
		for _, sub := range list(prov, "provision") {
			if str(sub, "type") == "permit" {
				s.From, _ = time.ParseInLocation("2006-01-02", str(mapOf(sub["dataPeriod"]), "start"), London)
			}
		}
		if out == nil || s.Given.After(out.Given) {
			out = &s
		}
	}
	return out
}

// LevelLabel is a setting as the screens say it.
func (s RecordAccessSetting) LevelLabel() string {
	l := choiceLabel(RecordLevels, s.Level)
	if !s.From.IsZero() {
		l += "; new entries in full from " + s.From.In(London).Format("2 January 2006")
	}
	return strings.TrimSpace(l)
}

// EnteredInError reports an entry marked entered in error (its status,
// or its verificationStatus).
func EnteredInError(r fhir.Resource) bool {
	if str(r, "status") == "entered-in-error" {
		return true
	}
	for _, cd := range list(mapOf(r["verificationStatus"]), "coding") {
		if str(cd, "code") == "entered-in-error" {
			return true
		}
	}
	return false
}

// HighIdentityProof reports an identity proven well enough to open a
// record online: NHS login P9, or vouching or photo ID checked at the
// practice. A lower level (P5, a linkage key alone) or none recorded
// allows appointments and requests, not the record (CLINICAL.md,
// Patient portal 3).
func HighIdentityProof(proof string) bool {
	switch proof {
	case "P9", "vouched", "photo-id":
		return true
	}
	return false
}
