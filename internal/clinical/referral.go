package clinical

import (
	"encoding/base64"
	"regexp"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Referrals (FHIR ServiceRequest): a GP refers a patient to a service,
// with a referral type, an urgency (routine, urgent, or urgent suspected
// cancer, the "two-week wait"), a reason and supporting information; a
// letter (DocumentReference) is written from the record's summary
// (problems, medication, allergies). e-RS is not connected: the user
// sends the referral through e-RS and records its UBRN (Unique Booking
// Reference Number) here. Urgent suspected cancer referrals stay on a
// safety-net list until their outcome is known.
//
// FHIR mapping: ServiceRequest.status (active: sent, waiting;
// completed: outcome known; revoked: cancelled), intent order, category
// SNOMED 3457005 "Patient referral", code (the referral type), priority
// (routine, urgent; asap for urgent suspected cancer, with
// USCReferralCode in orderDetail), subject, requester (the referring
// clinician), performer (the service and the recipient clinician, by
// display: gpcloud has no directory of services), reasonCode (text, or
// a SNOMED concept), note (supporting information), identifier (the
// UBRN), supportingInfo (the letter), authoredOn.

// UBRNSystem is the identifier system of e-RS booking references.
const UBRNSystem = "https://fhir.nhs.uk/Id/UBRN"

// USCReferralCode marks an urgent suspected cancer referral in
// orderDetail (SNOMED CT "Urgent cancer referral").
var USCReferralCode = Concept{Code: "1119341000000104", Display: "Urgent suspected cancer referral"}

// ReferralUrgencies are the urgencies a referral can have.
var ReferralUrgencies = []Choice{{"routine", "Routine"}, {"urgent", "Urgent"}, {"usc", "Urgent suspected cancer (two-week wait)"}}

// ReferralTypes are the kinds of referral (E00148's coded type).
var ReferralTypes = []Choice{{"assessment", "Assessment and advice"}, {"treatment", "Treatment"}, {"investigation", "Investigation"}, {"advice-guidance", "Advice and guidance only"}}

// referralTypeCodes are SNOMED CT procedures for the types.
var referralTypeCodes = map[string]Concept{
	"assessment":      {"306206005", "Referral to service"},
	"treatment":       {"183444007", "Referral for treatment"},
	"investigation":   {"281100006", "Referral for investigation"},
	"advice-guidance": {"306206005", "Referral to service"},
}

var ubrnPattern = regexp.MustCompile(`^[0-9]{12}$`)

// NewReferral is the form that makes a referral.
type NewReferral struct {
	Service, Recipient string
	Type, Urgency      string
	Reason             string
	ReasonCode         Concept
	Supporting         string
	Requester, Patient Ref
}

// Check validates the form, returning errors keyed by field id.
func (n *NewReferral) Check() map[string]string {
	errs := map[string]string{}
	n.Service, n.Recipient, n.Reason, n.Supporting = clean(n.Service), clean(n.Recipient), strings.TrimSpace(n.Reason), strings.TrimSpace(n.Supporting)
	if n.Service == "" {
		errs["service"] = "Enter the service or clinic you are referring to"
	}
	if !choiceKnown(ReferralTypes, n.Type) {
		errs["type"] = "Select the type of referral"
	}
	if !choiceKnown(ReferralUrgencies, n.Urgency) {
		errs["urgency"] = "Select how urgent the referral is"
	}
	if n.Reason == "" && n.ReasonCode.Code == "" {
		errs["reason"] = "Enter the reason for the referral"
	}
	if len(n.Reason) > 4000 || len(n.Supporting) > 8000 {
		errs["reason"] = "The reason and supporting information are too long"
	}
	return errs
}

// ReferralPriority is the FHIR priority of an urgency.
func ReferralPriority(urgency string) string {
	switch urgency {
	case "urgent":
		return "urgent"
	case "usc":
		return "asap"
	}
	return "routine"
}

// Resource is the checked form as a ServiceRequest; letterRef is the
// reference of its letter (a urn:uuid in the same transaction).
func (n *NewReferral) Resource(letterRef string, now time.Time) fhir.Resource {
	tc := referralTypeCodes[n.Type]
	sr := fhir.Resource{"resourceType": "ServiceRequest", "status": "active", "intent": "order",
		"category":   []any{codeable(SNOMED, "3457005", "Patient referral", "")},
		"code":       codeable(SNOMED, tc.Code, tc.Display, ChoiceLabel(ReferralTypes, n.Type)),
		"priority":   ReferralPriority(n.Urgency),
		"subject":    refMap(n.Patient),
		"authoredOn": now.UTC().Format(time.RFC3339),
		"performer":  []any{map[string]any{"display": n.Service}},
	}
	if n.Recipient != "" {
		sr["performer"] = append(sr["performer"].([]any), map[string]any{"display": n.Recipient})
	}
	if n.Urgency == "usc" {
		sr["orderDetail"] = []any{codeable(SNOMED, USCReferralCode.Code, USCReferralCode.Display, "")}
	}
	if n.Requester.Reference != "" {
		sr["requester"] = refMap(n.Requester)
	}
	reason := map[string]any{"text": n.Reason}
	if n.ReasonCode.Code != "" {
		reason = codeable(SNOMED, n.ReasonCode.Code, n.ReasonCode.Display, firstNonEmpty(n.Reason, n.ReasonCode.Display))
	}
	sr["reasonCode"] = []any{reason}
	if n.Supporting != "" {
		sr["note"] = []any{map[string]any{"text": n.Supporting}}
	}
	if letterRef != "" {
		sr["supportingInfo"] = []any{map[string]any{"reference": letterRef, "display": "Referral letter"}}
	}
	return sr
}

// ReferralLetter writes the letter from the form and the record's
// summary: who, why, how urgent, the active problems, the medication
// and the allergies, so that the recipient has what they need without
// anyone copying it by hand.
func ReferralLetter(n NewReferral, patient Banner, s Summary, practice string, now time.Time) string {
	var b strings.Builder
	line := func(s ...string) { b.WriteString(strings.Join(s, "")); b.WriteString("\n") }
	line(now.In(London).Format("2 January 2006"))
	line()
	line("To: ", n.Service, func() string {
		if n.Recipient != "" {
			return ", for the attention of " + n.Recipient
		}
		return ""
	}())
	line("From: ", firstNonEmpty(n.Requester.Display, "the referring clinician"), ", ", firstNonEmpty(practice, "the practice"))
	line()
	if n.Urgency == "usc" {
		line("URGENT SUSPECTED CANCER REFERRAL (two-week wait)")
	} else {
		line("Referral: ", ChoiceLabel(ReferralUrgencies, n.Urgency), ", ", strings.ToLower(ChoiceLabel(ReferralTypes, n.Type)))
	}
	line()
	line("Patient: ", patient.Name, ", born ", firstNonEmpty(patient.BirthDate, "not recorded"), ", NHS number ", firstNonEmpty(patient.NHSNumber, "not recorded"))
	if patient.Address != "" {
		line("Address: ", patient.Address, func() string {
			if patient.Postcode != "" {
				return ", " + patient.Postcode
			}
			return ""
		}())
	}
	line()
	line("Dear colleague,")
	line()
	line("Thank you for seeing this patient. Reason for referral: ", firstNonEmpty(n.Reason, n.ReasonCode.Display), ".")
	if n.Supporting != "" {
		line()
		line(n.Supporting)
	}
	section := func(title string, es []Entry, none string) {
		line()
		line(title)
		if len(es) == 0 {
			line("- ", none)
		}
		for _, e := range es {
			s := "- " + e.Text
			if e.Date != "" {
				s += " (" + e.Date + ")"
			}
			if e.Detail != "" {
				s += ": " + e.Detail
			}
			line(s)
		}
	}
	section("Active problems", s.ActiveProblems, "None recorded")
	section("Repeat medication", s.Repeats, "None")
	section("Acute medication (last three months)", s.Acute, "None")
	allergies := "None recorded"
	if s.NoKnownAllergies {
		allergies = "No known allergies"
	}
	section("Allergies", s.Allergies, allergies)
	line()
	line("Yours sincerely,")
	line(firstNonEmpty(n.Requester.Display, "The referring clinician"))
	return b.String()
}

// LetterResource is the letter as a DocumentReference of the patient,
// related to its referral.
func LetterResource(text string, n NewReferral, referralRef string, now time.Time) fhir.Resource {
	d := fhir.Resource{"resourceType": "DocumentReference", "status": "current", "docStatus": "final",
		"type":        codeable(SNOMED, "3457005", "Patient referral", "Referral letter"),
		"subject":     refMap(n.Patient),
		"date":        now.UTC().Format(time.RFC3339),
		"description": "Referral letter to " + n.Service,
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain; charset=utf-8", "title": "Referral letter",
			"data": base64.StdEncoding.EncodeToString([]byte(text))}}},
		"context": map[string]any{"related": []any{map[string]any{"reference": referralRef}}},
	}
	if n.Requester.Reference != "" {
		d["author"] = []any{refMap(n.Requester)}
	}
	return d
}

// Referral is a referral as the screens show it.
type Referral struct {
	ID, Version      string
	Status           string
	Service          string
	Recipient        string
	Type, Urgency    string
	Reason           string
	Supporting       string
	UBRN             string
	Authored         time.Time
	Requester        Ref
	Patient          Ref
	Letter           string // the letter's DocumentReference id
	USC              bool
	CancelledBecause string
	Outcome          string
}

// ReferralOf reads a ServiceRequest.
func ReferralOf(res fhir.Resource) Referral {
	r := Referral{ID: res.ID(), Version: versionOf(res), Status: str(res, "status"), Requester: refOf(res["requester"]), Patient: refOf(res["subject"])}
	for i, p := range list(res, "performer") {
		if i == 0 {
			r.Service = str(p, "display")
		} else if r.Recipient == "" {
			r.Recipient = str(p, "display")
		}
	}
	r.Type = str(mapOf(res["code"]), "text")
	for _, d := range list(res, "orderDetail") {
		for _, c := range list(d, "coding") {
			if str(c, "code") == USCReferralCode.Code {
				r.USC = true
			}
		}
	}
	switch {
	case r.USC:
		r.Urgency = ChoiceLabel(ReferralUrgencies, "usc")
	case str(res, "priority") == "urgent":
		r.Urgency = "Urgent"
	default:
		r.Urgency = "Routine"
	}
	r.Reason = conceptText(firstMap(res["reasonCode"]))
	if n := firstMap(res["note"]); n != nil {
		r.Supporting = str(n, "text")
	}
	for _, id := range list(res, "identifier") {
		if id["system"] == UBRNSystem {
			r.UBRN = str(id, "value")
		}
	}
	r.Authored, _ = time.Parse(time.RFC3339, str(res, "authoredOn"))
	if ref, ok := strings.CutPrefix(str(firstMap(res["supportingInfo"]), "reference"), "DocumentReference/"); ok {
		r.Letter = ref
	}
	for _, n := range list(res, "note")[min(1, len(list(res, "note"))):] {
		r.Outcome = strings.TrimSpace(r.Outcome + " " + str(n, "text"))
	}
	return r
}

// StatusLabel is the referral's status as the screen says it.
func (r Referral) StatusLabel() string {
	switch r.Status {
	case "active":
		if r.UBRN == "" {
			return "Waiting to be sent through e-RS"
		}
		return "Sent, waiting for the outcome"
	case "completed":
		return "Outcome known"
	case "revoked":
		return "Cancelled"
	}
	return r.Status
}

// Waiting is how many days an open referral has waited, for the
// safety net.
func (r Referral) Waiting(now time.Time) int {
	if r.Status != "active" || r.Authored.IsZero() {
		return 0
	}
	return int(now.Sub(r.Authored).Hours() / 24)
}

// Overdue reports an urgent suspected cancer referral open for more
// than 14 days: the patient should have been seen by now, so someone
// must check.
func (r Referral) Overdue(now time.Time) bool {
	return r.USC && r.Status == "active" && r.Waiting(now) > 14
}

// ReferralChange is what a user does to a referral: record the UBRN,
// record that the outcome is known, or cancel it (with a reason).
type ReferralChange struct {
	Do, UBRN, Note string
}

// ChangeReferral applies a change, returning the new content or errors
// keyed by field id. A finished referral takes no change.
func ChangeReferral(res fhir.Resource, c ReferralChange) (fhir.Resource, map[string]string) {
	errs := map[string]string{}
	if str(res, "status") != "active" {
		errs["do"] = "This referral is finished: it cannot be changed"
		return nil, errs
	}
	out := cloneResource(res)
	note := strings.TrimSpace(c.Note)
	switch c.Do {
	case "ubrn":
		u := strings.ReplaceAll(strings.TrimSpace(c.UBRN), " ", "")
		if !ubrnPattern.MatchString(u) {
			errs["ubrn"] = "Enter the UBRN: 12 digits, from e-RS"
			break
		}
		var ids []any
		for _, id := range list(out, "identifier") {
			if id["system"] != UBRNSystem {
				ids = append(ids, id)
			}
		}
		out["identifier"] = append(ids, map[string]any{"system": UBRNSystem, "value": u})
	case "complete":
		if note == "" {
			errs["note"] = "Enter the outcome (for example, seen in clinic on a date, or diagnosis)"
			break
		}
		out["status"] = "completed"
	case "cancel":
		if note == "" {
			errs["note"] = "Enter why the referral is cancelled"
			break
		}
		out["status"] = "revoked"
	default:
		errs["do"] = "Unknown action"
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if note != "" && c.Do != "ubrn" {
		notes := anyList(out["note"])
		if len(notes) == 0 {
			// Keep supporting information first: a placeholder when
			// there was none, so the outcome is never read as it.
			notes = []any{map[string]any{"text": "No supporting information."}}
		}
		out["note"] = append(notes, map[string]any{"text": note})
	}
	return out, nil
}
