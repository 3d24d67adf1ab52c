package clinical

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Repeat ordering from the portal. Only a current repeat can be ordered:
// an active repeat authorisation as prescribing writes it (a
// MedicationRequest of intent plan, courseOfTherapyType continuous), or
// an active continuous order that is not an issue of one (a record
// imported from a system that keeps one MedicationRequest per repeat).
// Each issue of an authorisation (an order based on it) is not a repeat
// of its own; acute items and repeat dispensing cannot be ordered, as in
// the NHS App. A repeat cannot be ordered (E00330, CLINICAL.md Patient
// portal 6) while it has an outstanding pre-authorised issue: a request
// not yet dealt with (two requests would make two issues: hazard
// H-1004), a repeat-dispensing batch of the same medicine still running
// at the pharmacy, an issue dated to start later, or a prescription the
// practice is preparing; nor earlier than the practice's ordering window
// before the last supply runs out (H-1026, H-1027).

// PortalRepeat is one medicine a patient may order, with what E00327
// asks the patient be shown.
type PortalRepeat struct {
	ID, Name, Dose string
	// Strength and Form are read from the dm+d name ("5mg", "tablets").
	Strength, Form string
	Started        string // "12 March 2024"
	// LastIssue is the last issue's date ("" when none is recorded);
	// Duration how long one issue lasts ("28 days").
	LastIssue, Duration string
	// Requested is set while a request for it waits for the practice.
	Requested bool
	// Blocked says why it cannot be ordered now ("" when it can), the
	// date it can be ordered from when that is the reason.
	Blocked string
}

// Orderable reports a repeat that may be ordered now.
func (r PortalRepeat) Orderable() bool { return !r.Requested && r.Blocked == "" }

// PortalRepeats are the repeats among a patient's MedicationRequests
// (all of them: authorisations, issues, batches, prepared), by name;
// pending are the medicines of outstanding requests; the practice's
// ordering window applies at now.
func PortalRepeats(meds []fhir.Resource, pending map[string]bool, settings PortalSettings, now time.Time) []PortalRepeat {
	today := now.In(London).Format("2006-01-02")
	issues := map[string][]fhir.Resource{} // by the authorisation they are based on
	for _, m := range meds {
		for _, b := range list(m, "basedOn") {
			if id, ok := strings.CutPrefix(str(b, "reference"), "MedicationRequest/"); ok {
				issues[id] = append(issues[id], m)
			}
		}
	}
	var out []PortalRepeat
	for _, m := range meds {
		if str(m, "status") != "active" || conceptCode(m["courseOfTherapyType"]) != "continuous" {
			continue
		}
		switch intent := str(m, "intent"); {
		case intent == "plan":
		case intent == "order" && m["basedOn"] == nil:
		default:
			continue
		}
		name := conceptText(m["medicationCodeableConcept"])
		if name == "" {
			name = refDisplay(m["medicationReference"])
		}
		r := PortalRepeat{ID: m.ID(), Name: name, Dose: dosageText(m), Started: longDay(str(m, "authoredOn")), Requested: pending[m.ID()]}
		r.Strength, r.Form = MedicineParts(name)
		if r.Form == "" {
			r.Form = unitForm(m)
		}
		days := intOf(mapOf(mapOf(m["dispenseRequest"])["expectedSupplyDuration"])["value"])
		if days > 0 {
			r.Duration = daysText(days)
		}
		last, known := lastSupply(m, issues[m.ID()])
		if known {
			r.LastIssue = last.In(London).Format("2 January 2006")
		}
		r.Blocked = outstandingIssue(m, issues[m.ID()], meds, today)
		if r.Blocked == "" && known && days > 0 {
			runsOut := last.In(London).AddDate(0, 0, days)
			opens := runsOut.AddDate(0, 0, -settings.OrderWindowDays)
			if opens.Format("2006-01-02") > today {
				r.Blocked = fmt.Sprintf("You can order this from %s. Your last supply, issued %s, should last until %s.",
					opens.Format("2 January 2006"), r.LastIssue, runsOut.Format("2 January 2006"))
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b PortalRepeat) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// lastSupply is when the repeat was last issued: the newest of its
// issues standing (a cancelled one supplied nothing), or, when the
// record holds no issue of it (an imported record), the date the
// authorisation records; false when neither says.
func lastSupply(auth fhir.Resource, issues []fhir.Resource) (time.Time, bool) {
	var last time.Time
	seen := false
	for _, is := range issues {
		if str(is, "intent") != "order" {
			continue
		}
		seen = true
		if str(is, "status") == "cancelled" || str(is, "status") == "entered-in-error" {
			continue
		}
		if t, ok := instantOf(str(is, "authoredOn")); ok && t.After(last) {
			last = t
		}
	}
	if !seen {
		last, _ = LastIssueOf(auth)
	}
	return last, !last.IsZero()
}

// instantOf reads a FHIR dateTime (a date alone as its midnight in London).
func instantOf(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if len(s) >= 10 {
		if t, err := time.ParseInLocation("2006-01-02", s[:10], London); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// outstandingIssue says which pre-authorised issue stops the repeat
// being ordered, or "": a prescription the practice is preparing for it,
// an issue of it dated to start after today, or a repeat-dispensing
// batch of the same medicine still valid today.
func outstandingIssue(auth fhir.Resource, issues, meds []fhir.Resource, today string) string {
	for _, is := range issues {
		switch {
		case str(is, "intent") == "proposal" && str(is, "status") == "draft":
			return "The practice is already preparing a prescription for this. You do not need to order it."
		case str(is, "intent") == "order" && str(is, "status") == "active":
			if start := str(mapOf(mapOf(is["dispenseRequest"])["validityPeriod"]), "start"); start > today {
				return "A prescription for this has already been issued to start on " + longDay(start) + ". You do not need to order it."
			}
		}
	}
	code := conceptCode(auth["medicationCodeableConcept"])
	for _, b := range meds {
		if !IsRepeatDispensing(b) || str(b, "intent") != "order" || str(b, "status") != "active" || code == "" || conceptCode(b["medicationCodeableConcept"]) != code {
			continue
		}
		if end := str(mapOf(mapOf(b["dispenseRequest"])["validityPeriod"]), "end"); end == "" || end >= today {
			until := ""
			if end != "" {
				until = " until " + longDay(end)
			}
			return "Your pharmacy supplies this from a batch prescription (repeat dispensing)" + until + ". Ask your pharmacy for your next supply."
		}
	}
	return ""
}

// strengthRe finds a dm+d name's strength: "5mg", "100micrograms/dose",
// "0.1%", "10mg/5ml", "2.5mg + 10mg".
var strengthRe = regexp.MustCompile(`(?i)\b\d+(?:\.\d+)?\s?(?:mg|g|micrograms?|mcg|nanograms?|ml|mmol|units?|%)(?:\s?/\s?\d*(?:\.\d+)?\s?(?:mg|g|ml|dose|actuation|hours?|litres?))?(?:\s?\+\s?\d+(?:\.\d+)?\s?(?:mg|g|micrograms?|units?)(?:/\d*(?:\.\d+)?\s?(?:mg|g|ml|dose))?)*`)

// MedicineParts splits a dm+d name ("Amlodipine 5mg tablets") into its
// strength ("5mg") and form ("tablets", what follows the strength); ""
// for a part the name does not have.
func MedicineParts(name string) (strength, form string) {
	loc := strengthRe.FindStringIndex(name)
	if loc == nil {
		return "", ""
	}
	return strings.TrimSpace(name[loc[0]:loc[1]]), strings.TrimSpace(name[loc[1]:])
}

// unitForm is the form named by the supply's unit ("tablet": "tablets").
func unitForm(m fhir.Resource) string {
	u := str(mapOf(mapOf(m["dispenseRequest"])["quantity"]), "unit")
	if u == "" {
		return ""
	}
	return strings.TrimPrefix(supplyText(2, u), "2 ")
}

// daysText is a duration in days ("1 day", "28 days").
func daysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// taskOpen reports a Task the practice has not finished.
func taskOpen(t fhir.Resource) bool {
	switch str(t, "status") {
	case "draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold":
		return true
	}
	return false
}

// IsPortalTask reports a Task of the portal's kind (TaskOnlineRequest,
// TaskRepeatRequest).
func IsPortalTask(t fhir.Resource, code string) bool {
	for _, c := range list(mapOf(t["code"]), "coding") {
		if str(c, "system") == PortalTaskSystem && str(c, "code") == code {
			return true
		}
	}
	return false
}

// PendingRepeats are the MedicationRequest ids named by open repeat
// requests.
func PendingRepeats(tasks []fhir.Resource) map[string]bool {
	out := map[string]bool{}
	for _, t := range tasks {
		if !IsPortalTask(t, TaskRepeatRequest) || !taskOpen(t) {
			continue
		}
		for _, b := range list(t, "basedOn") {
			if id, ok := strings.CutPrefix(str(b, "reference"), "MedicationRequest/"); ok {
				out[id] = true
			}
		}
	}
	return out
}

// RepeatOrder is what the patient asks for.
type RepeatOrder struct {
	Chosen []string // MedicationRequest ids
	Note   string
}

// MaxRepeatNote bounds the note to the practice.
const MaxRepeatNote = 500

// Check returns what is wrong, by field id, against the patient's
// repeats as they are now (a medicine stopped meanwhile, or asked for
// already, is refused).
func (o RepeatOrder) Check(repeats []PortalRepeat) map[string]string {
	errs := map[string]string{}
	if len(o.Chosen) == 0 {
		errs["medicines"] = "Select the medicines you need"
	}
	for _, id := range o.Chosen {
		i := slices.IndexFunc(repeats, func(r PortalRepeat) bool { return r.ID == id })
		switch {
		case i < 0:
			errs["medicines"] = "One of the medicines you selected is no longer on your repeat list. Select again"
		case repeats[i].Requested:
			errs["medicines"] = fmt.Sprintf("You have already asked for %s. The practice is dealing with it", repeats[i].Name)
		case repeats[i].Blocked != "":
			errs["medicines"] = fmt.Sprintf("You cannot order %s now. %s", repeats[i].Name, strings.TrimSuffix(repeats[i].Blocked, "."))
		}
	}
	if len([]rune(o.Note)) > MaxRepeatNote {
		errs["note"] = fmt.Sprintf("Your note must be %d characters or fewer", MaxRepeatNote)
	}
	return errs
}

// Task is the request as a Task for the practice, based on the
// MedicationRequests asked for (each named), with the patient's note.
func (o RepeatOrder) Task(by PortalRequester, repeats []PortalRepeat, ref string, now time.Time) fhir.Resource {
	t := portalTask(TaskRepeatRequest, taskRepeatRequestTx, by, ref, now)
	var based []any
	var names []string
	for _, r := range repeats {
		if slices.Contains(o.Chosen, r.ID) {
			based = append(based, map[string]any{"reference": "MedicationRequest/" + r.ID, "display": r.Name})
			names = append(names, r.Name)
		}
	}
	t["basedOn"] = based
	t["description"] = strings.Join(names, "; ")
	if n := strings.TrimSpace(o.Note); n != "" {
		t["note"] = []any{map[string]any{"text": n, "time": now.UTC().Format(time.RFC3339)}}
	}
	return t
}

// PortalTaskRow is one request as the patient sees it.
type PortalTaskRow struct {
	Reference, What, Sent, Status string
}

// PortalTaskRows are the patient's requests of one kind, newest first,
// with their status in plain English (the practice's reason with a
// rejection).
func PortalTaskRows(tasks []fhir.Resource, code string) []PortalTaskRow {
	var out []PortalTaskRow
	var keys []string
	for _, t := range tasks {
		if !IsPortalTask(t, code) {
			continue
		}
		ref := ""
		for _, id := range list(t, "identifier") {
			if str(id, "system") == OnlineRequestSystem {
				ref = str(id, "value")
			}
		}
		out = append(out, PortalTaskRow{Reference: ref, What: str(t, "description"), Sent: longDay(str(t, "authoredOn")), Status: taskStatusText(t)})
		keys = append(keys, str(t, "authoredOn"))
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(keys[b], keys[a]) })
	sorted := make([]PortalTaskRow, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}

// longDay is a date as written to a patient: "1 July 2026".
func longDay(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(UKTime).Format("2 January 2006")
	}
	if len(s) < 10 {
		return ""
	}
	t, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return ""
	}
	return t.Format("2 January 2006")
}

func taskStatusText(t fhir.Resource) string {
	switch s := str(t, "status"); s {
	case "draft", "requested", "received", "ready":
		return "Sent to the practice"
	case "accepted", "in-progress", "on-hold":
		return "The practice is dealing with it"
	case "completed":
		if out := OutcomeOf(t); out != "" {
			return "Done: " + strings.ToLower(out[:1]) + out[1:]
		}
		return "Done"
	case "rejected", "cancelled", "failed":
		label := map[string]string{"rejected": "Turned down", "cancelled": "Cancelled", "failed": "Could not be done"}[s]
		if why := conceptText(t["statusReason"]); why != "" {
			return label + ": " + why
		}
		return label
	default:
		return s
	}
}

// ContactChange is what a patient changes of their contact details
// online (the GP contract asks that patients can, since October 2021;
// CLINICAL.md Patient portal 7). The mobile and email are applied to the
// record at once (Applied), checked for form only: they are the
// patient's own to give, and waiting for the practice left texts going
// to an old number. The practice is told of every change (Task, hazard
// H-1032: a change the patient did not make is seen). A new address is
// not applied: it goes to the practice to check, as it decides the
// catchment, the registration and what PDS holds.
type ContactChange struct {
	Mobile, Email string
	// Address is a new home address as the patient wrote it, "" for none.
	Address string
}

// MaxAddress bounds an address as typed.
const MaxAddress = 500

// ukPhone is a UK number as people type it: 07700 900123, +44 7700
// 900123, 01632 960001.
var ukPhone = regexp.MustCompile(`^(\+44\s?|0)[1-9](\s?\d){8,9}$`)

// email is deliberately loose: something@somewhere.tld.
var email = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

// Check returns what is wrong, by field id; current are the details on
// the record (a change must change something).
func (c ContactChange) Check(current ContactChange) map[string]string {
	errs := map[string]string{}
	c.Mobile, c.Email = strings.TrimSpace(c.Mobile), strings.TrimSpace(c.Email)
	if c.Mobile != "" && !ukPhone.MatchString(c.Mobile) {
		errs["mobile"] = "Enter a UK phone number, like 07700 900 982"
	}
	if c.Email != "" && (len(c.Email) > 254 || !email.MatchString(c.Email)) {
		errs["email"] = "Enter an email address in the correct format, like name@example.com"
	}
	if len([]rune(c.Address)) > MaxAddress {
		errs["address"] = fmt.Sprintf("Your address must be %d characters or fewer", MaxAddress)
	}
	if len(errs) == 0 && c.Mobile == current.Mobile && c.Email == current.Email && strings.TrimSpace(c.Address) == "" {
		errs["mobile"] = "Enter a new phone number, email address or home address"
	}
	return errs
}

// ContactApplied reports whether the change alters the mobile or email
// (applied at once); false for an address alone.
func (c ContactChange) ContactApplied(current ContactChange) bool {
	return strings.TrimSpace(c.Mobile) != current.Mobile || strings.TrimSpace(c.Email) != current.Email
}

// Applied returns the Patient with the new mobile and email: the ones it
// replaces are kept with use "old" (the record shows what was used
// before; CurrentContact skips them), an emptied field is retired the
// same way, other telecoms (a landline, work) are kept.
func (c ContactChange) Applied(p fhir.Resource, current ContactChange) fhir.Resource {
	out := cloneResource(p)
	mobile, mail := strings.TrimSpace(c.Mobile), strings.TrimSpace(c.Email)
	var tel []any
	for _, t := range list(out, "telecom") {
		v := str(t, "value")
		switch {
		// A landline shown for want of a mobile stays unless emptied.
		case str(t, "use") != "old" && str(t, "system") == "phone" && v == current.Mobile && mobile != current.Mobile && (str(t, "use") == "mobile" || mobile == ""),
			str(t, "use") != "old" && str(t, "system") == "email" && v == current.Email && mail != current.Email:
			t["use"] = "old"
		}
		tel = append(tel, t)
	}
	if mobile != current.Mobile && mobile != "" {
		tel = append(tel, map[string]any{"system": "phone", "value": mobile, "use": "mobile"})
	}
	if mail != current.Email && mail != "" {
		tel = append(tel, map[string]any{"system": "email", "value": mail, "use": "home"})
	}
	if len(tel) == 0 {
		delete(out, "telecom")
	} else {
		out["telecom"] = tel
	}
	return out
}

// CurrentContact is a Patient's mobile (else first phone) and email.
func CurrentContact(p fhir.Resource) ContactChange {
	var c ContactChange
	for _, t := range list(p, "telecom") {
		if str(t, "use") == "old" {
			continue
		}
		switch str(t, "system") {
		case "phone":
			if c.Mobile == "" || str(t, "use") == "mobile" {
				c.Mobile = str(t, "value")
			}
		case "email":
			if c.Email == "" {
				c.Email = str(t, "value")
			}
		}
	}
	return c
}

// Task tells the practice of the change: each new value an input, the
// description saying what was applied and what is theirs to check. A
// mobile or email is already on the record (the Task is for their
// information); an address waits for them to apply it.
func (c ContactChange) Task(by PortalRequester, current ContactChange, ref string, now time.Time) fhir.Resource {
	t := portalTask(TaskContactChange, taskContactChangeTx, by, ref, now)
	var inputs []any
	var applied []string
	if m := strings.TrimSpace(c.Mobile); m != current.Mobile {
		inputs = append(inputs, map[string]any{"type": map[string]any{"text": "mobile"}, "valueString": m})
		applied = append(applied, "phone: "+orNone(m))
	}
	if e := strings.TrimSpace(c.Email); e != current.Email {
		inputs = append(inputs, map[string]any{"type": map[string]any{"text": "email"}, "valueString": e})
		applied = append(applied, "email: "+orNone(e))
	}
	var says []string
	if len(applied) > 0 {
		says = append(says, "Changed online and already applied to the record, for information: "+strings.Join(applied, "; ")+".")
	}
	if a := strings.TrimSpace(c.Address); a != "" {
		inputs = append(inputs, map[string]any{"type": map[string]any{"text": "address"}, "valueString": a})
		says = append(says, "New home address to check and apply: "+a)
	}
	t["input"] = inputs
	t["description"] = strings.Join(says, " ")
	return t
}

func orNone(s string) string {
	if s == "" {
		return "(remove)"
	}
	return s
}
