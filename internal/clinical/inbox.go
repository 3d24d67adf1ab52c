package clinical

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// The results and documents inbox: lab reports (DiagnosticReport with
// its Observations) and letters (DocumentReference) that arrive from
// outside, each in exactly one queue until a clinician files it.
//
// An incoming item says whose it is by demographics, not by our ids: a
// contained Patient (NHS number, date of birth, name) that its subject
// points to ("#..."), or a subject that is an NHS number identifier
// alone. The queue an item is in is a meta.tag of InboxTagSystem:
// received (arrived, not yet looked at), to-match (no safe automatic
// match: someone must choose the patient), to-file (in the patient's
// record, waiting for a clinician) and filed. Filing records who filed
// it, when, the action and the comment in the FilingURL extension, and
// an action that needs doing becomes a Task in the same transaction.

// InboxTagSystem is the code system of the inbox's queues.
const InboxTagSystem = patientview.InboxTagSystem

// FilingURL is the extension recording how an item was filed.
const FilingURL = "https://gpcloud.dev/fhir/StructureDefinition/filing"

// InboxSourceSystem is the code system of where an item came from, a
// meta.tag the intake adaptor sets: each of the national inbound
// messages (CLINICAL.md Workflow 6) is an item type of its own, matched
// by the same rules.
const InboxSourceSystem = "https://gpcloud.dev/fhir/CodeSystem/inbox-source"

// InboundSources are the item types the inbox knows, with the epic each
// carries. None of their national transports (MESH, GP Connect) is
// connected: items arrive through the FHIR API.
var InboundSources = []Choice{
	{"pathology", "Pathology result"},                                // E00433: PMIP / DAPB4101 over MESH
	{"gp-connect-send-document", "GP Connect Send Document"},         // E00180
	{"nhs111", "NHS 111 report"},                                     // E00181: NHS 111 CDA
	{"pharmacy", "Pharmacy message (Pharmacy First, vaccination)"},   // E00183: Digital Medicines
	{"transfer-of-care", "Transfer of Care (discharge, outpatient)"}, // E00277
	{"letter", "Letter"},
}

// The inbox's queues.
const (
	InboxReceived = "received"
	InboxToMatch  = "to-match"
	InboxToFile   = "to-file"
	InboxFiled    = patientview.InboxFiled
)

const interpretationSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

// InboxWhy is why an item is in its queue, when it says.
func InboxWhy(res fhir.Resource) string {
	for _, t := range list(mapOf(res["meta"]), "tag") {
		if t["system"] == InboxTagSystem {
			return str(t, "display")
		}
	}
	return ""
}

// InboxState is the queue an item is in ("" for none: not an incoming
// item, such as a report the practice wrote itself).
func InboxState(res fhir.Resource) string { return patientview.InboxState(res) }

// WithInboxState returns a copy of an item moved to another queue.
func WithInboxState(res fhir.Resource, state string) fhir.Resource {
	return WithInboxStateWhy(res, state, "")
}

// WithInboxStateWhy is WithInboxState with why the item is there (the
// tag's display): why it could not be matched automatically.
func WithInboxStateWhy(res fhir.Resource, state, why string) fhir.Resource {
	out := cloneResource(res)
	meta := mapOf(out["meta"])
	if meta == nil {
		meta = map[string]any{}
	}
	var tags []any
	for _, t := range list(meta, "tag") {
		if t["system"] != InboxTagSystem {
			tags = append(tags, t)
		}
	}
	tag := map[string]any{"system": InboxTagSystem, "code": state}
	if why != "" {
		tag["display"] = why
	}
	tags = append(tags, tag)
	meta["tag"] = tags
	out["meta"] = meta
	return withInboxRank(out, state)
}

// InboxRankSystem tags an item with its queue and its place in the
// queue's order (InboxRankCode), so that a page of a long queue is read a
// rank at a time, most urgent first, each rank one exact index lookup,
// instead of reading the whole queue to sort it.
const InboxRankSystem = "https://gpcloud.dev/fhir/CodeSystem/inbox-rank"

// InboxRankCode is the rank tag's code of an item of rank in queue
// state: "to-file:abnormal".
func InboxRankCode(state, rank string) string { return state + ":" + rank }

// InboxRanks are the ranks in the order the inbox lists them: critical,
// abnormal, neither flagged nor normal (letters, text reports), normal.
var InboxRanks = []string{"critical", "abnormal", "unflagged", "normal"}

// Ranked tells whether res carries the rank tag of its queue (items
// sorted before ranks were tagged do not).
func Ranked(res fhir.Resource) bool {
	state := InboxState(res)
	for _, t := range list(mapOf(res["meta"]), "tag") {
		if t["system"] == InboxRankSystem {
			return strings.HasPrefix(str(t, "code"), state+":")
		}
	}
	return false
}

// Reranked returns a copy of res with the rank tag of its queue.
func Reranked(res fhir.Resource) fhir.Resource {
	return withInboxRank(cloneResource(res), InboxState(res))
}

// InboxRank is an item's rank, from its content.
func InboxRank(in Incoming) string {
	switch {
	case in.Critical:
		return "critical"
	case in.Abnormal:
		return "abnormal"
	case !in.Normal:
		return "unflagged"
	}
	return "normal"
}

// withInboxRank sets res's rank tag (res is already a copy) for its
// queue.
func withInboxRank(res fhir.Resource, state string) fhir.Resource {
	meta := mapOf(res["meta"])
	var tags []any
	for _, t := range list(meta, "tag") {
		if t["system"] != InboxRankSystem {
			tags = append(tags, t)
		}
	}
	meta["tag"] = append(tags, map[string]any{"system": InboxRankSystem, "code": InboxRankCode(state, InboxRank(IncomingOf(res)))})
	return res
}

// Claimed is who an incoming item says it is about.
type Claimed struct {
	NHSNumber, BirthDate, Family, Given string
}

// Name is the claimed name as "FAMILY, Given".
func (c Claimed) Name() string {
	n := strings.ToUpper(c.Family)
	if c.Given != "" {
		n += ", " + c.Given
	}
	if n == "" {
		return "No name given"
	}
	return n
}

// ResultLine is one test of a report.
type ResultLine struct {
	Name, Value, Range, Flag string
	Abnormal, Critical       bool
	// Numeric: the value is a number (a text result is never "normal"
	// by default).
	Numeric bool
	// Number, Unit and the range's ends (when HasLow, HasHigh) of a
	// numeric result, for its trend.
	Number, Low, High float64
	Unit              string
	HasLow, HasHigh   bool
}

// Incoming is an item of the inbox as the screens show it.
type Incoming struct {
	Type, ID, Version string
	// Kind is "Result" or "Letter".
	Kind  string
	Title string
	// Date is when the report was issued or the letter written; Received
	// when it arrived here.
	Date, Received string
	From           string
	Claimed        Claimed
	// Patient is the record it is in, once matched.
	Patient Ref
	State   string
	// Why it waits to be matched.
	Why string
	// Source is where it came from (InboundSources' label), when said.
	Source string
	Lines  []ResultLine
	// Comment is the lab's conclusion or the letter's description.
	Comment            string
	Abnormal, Critical bool
	// Normal: every test has a number inside its range (or is
	// interpreted normal) and the lab made no comment.
	Normal bool
	// Requester is who asked for the test (a Practitioner reference).
	Requester Ref
	// For is the clinician the item is for (InboxFor), if any.
	For Ref
	// Filed: how it was filed.
	Filing Filing
}

// Flag is the item's flag as the screen says it.
func (in Incoming) Flag() string {
	switch {
	case in.Critical:
		return "Critical"
	case in.Abnormal:
		return "Abnormal"
	case in.Normal:
		return "Normal"
	case in.Kind == "Result":
		return "Not flagged"
	}
	return ""
}

// IncomingOf reads a DiagnosticReport or DocumentReference.
func IncomingOf(res fhir.Resource) Incoming {
	in := Incoming{Type: str(res, "resourceType"), ID: res.ID(), Version: versionOf(res), State: InboxState(res), Why: InboxWhy(res),
		Received: str(mapOf(res["meta"]), "lastUpdated")}
	contained := map[string]map[string]any{}
	for _, c := range list(res, "contained") {
		contained["#"+str(c, "id")] = c
	}
	subjectKey := "subject"
	in.Claimed = claimedOf(mapOf(res[subjectKey]), contained)
	if ref := str(mapOf(res[subjectKey]), "reference"); strings.HasPrefix(ref, "Patient/") {
		in.Patient = refOf(res[subjectKey])
	}
	switch in.Type {
	case "DiagnosticReport":
		in.Kind = "Result"
		in.Title = conceptText(res["code"])
		in.Date = firstNonEmpty(str(res, "issued"), str(res, "effectiveDateTime"))
		in.From = str(firstMap(res["performer"]), "display")
		in.Comment = str(res, "conclusion")
		in.Requester = refOf(firstMap(res["resultsInterpreter"]))
		numericAll, any := true, false
		for _, r := range list(res, "result") {
			obs := contained[str(r, "reference")]
			if obs == nil {
				continue
			}
			l := resultLine(obs)
			any = true
			in.Lines = append(in.Lines, l)
			in.Abnormal = in.Abnormal || l.Abnormal
			in.Critical = in.Critical || l.Critical
			if !l.Numeric || (l.Flag == "" && l.Range == "") {
				numericAll = false
			}
			for _, n := range list(obs, "note") {
				if str(n, "text") != "" {
					in.Comment = strings.TrimSpace(in.Comment + " " + str(n, "text"))
				}
			}
		}
		in.Abnormal = in.Abnormal || in.Critical
		in.Normal = any && numericAll && !in.Abnormal && in.Comment == ""
	case "DocumentReference":
		in.Kind = "Letter"
		in.Title = firstNonEmpty(conceptText(res["type"]), str(res, "description"), "Letter")
		in.Date = str(res, "date")
		in.From = firstNonEmpty(str(mapOf(res["custodian"]), "display"), str(firstMap(res["author"]), "display"))
		in.Comment = str(res, "description")
	}
	for _, e := range list(res, "extension") {
		if e["url"] == FilingURL {
			in.Filing = filingOf(e)
		}
	}
	in.For = InboxFor(res)
	for _, t := range list(mapOf(res["meta"]), "tag") {
		if t["system"] == InboxSourceSystem && str(t, "code") != "letter" {
			in.Source = ChoiceLabel(InboundSources, str(t, "code"))
		}
	}
	return in
}

// claimedOf reads who the subject names: a contained Patient, or an
// identifier and a display.
func claimedOf(subject map[string]any, contained map[string]map[string]any) Claimed {
	var c Claimed
	if p := contained[str(subject, "reference")]; p != nil && p["resourceType"] == "Patient" {
		for _, id := range list(p, "identifier") {
			if id["system"] == NHSNumberSystem {
				c.NHSNumber = strings.ReplaceAll(str(id, "value"), " ", "")
			}
		}
		c.BirthDate = str(p, "birthDate")
		if n := firstMap(p["name"]); n != nil {
			c.Family = str(n, "family")
			var given []string
			for _, g := range anyList(n["given"]) {
				if s, ok := g.(string); ok {
					given = append(given, s)
				}
			}
			c.Given = strings.Join(given, " ")
		}
		return c
	}
	if id := mapOf(subject["identifier"]); id["system"] == NHSNumberSystem {
		c.NHSNumber = strings.ReplaceAll(str(id, "value"), " ", "")
	}
	if d := str(subject, "display"); d != "" {
		fam, given, _ := strings.Cut(d, ",")
		c.Family, c.Given = strings.TrimSpace(fam), strings.TrimSpace(given)
	}
	return c
}

// resultLine reads an Observation: its value, its range, and whether it
// is abnormal by the lab's interpretation or outside the range.
func resultLine(obs map[string]any) ResultLine {
	l := ResultLine{Name: conceptText(obs["code"])}
	if q := mapOf(obs["valueQuantity"]); q != nil {
		v, ok := toFloat(q["value"])
		l.Numeric, l.Number, l.Unit = ok, v, firstNonEmpty(str(q, "unit"), str(q, "code"))
		l.Value = strings.TrimSpace(numberText(q["value"]) + " " + firstNonEmpty(str(q, "unit"), str(q, "code")))
		if rr := firstMap(obs["referenceRange"]); rr != nil {
			low, lok := toFloat(mapOf(rr["low"])["value"])
			high, hok := toFloat(mapOf(rr["high"])["value"])
			l.Low, l.HasLow, l.High, l.HasHigh = low, lok, high, hok
			switch {
			case lok && hok:
				l.Range = numberText(mapOf(rr["low"])["value"]) + " to " + numberText(mapOf(rr["high"])["value"])
			case lok:
				l.Range = "above " + numberText(mapOf(rr["low"])["value"])
			case hok:
				l.Range = "below " + numberText(mapOf(rr["high"])["value"])
			}
			if ok && ((lok && v < low) || (hok && v > high)) {
				l.Abnormal = true
				if lok && v < low {
					l.Flag = "Low"
				} else {
					l.Flag = "High"
				}
			}
		}
	} else {
		l.Value = firstNonEmpty(str(obs, "valueString"), conceptText(obs["valueCodeableConcept"]))
	}
	for _, interp := range list(obs, "interpretation") {
		for _, c := range list(interp, "coding") {
			if c["system"] != interpretationSystem {
				continue
			}
			switch code := str(c, "code"); code {
			case "HH", "LL", "AA", "HU", "LU":
				l.Critical, l.Abnormal = true, true
				l.Flag = map[string]string{"HH": "Critically high", "LL": "Critically low", "AA": "Critically abnormal", "HU": "Significantly high", "LU": "Significantly low"}[code]
			case "H", "L", "A", ">", "<", "POS", "R", "I":
				l.Abnormal = true
				if l.Flag == "" {
					l.Flag = map[string]string{"H": "High", "L": "Low", "A": "Abnormal", ">": "Above range", "<": "Below range", "POS": "Positive", "R": "Resistant", "I": "Intermediate"}[code]
				}
			case "N":
				if l.Flag == "" {
					l.Flag = "Normal"
				}
			}
		}
	}
	return l
}

func numberText(v any) string {
	switch n := v.(type) {
	case json.Number:
		return n.String()
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case int:
		return strconv.Itoa(n)
	}
	return fmt.Sprint(v)
}

// MatchCandidate is a patient of the practice found with the item's NHS
// number.
type MatchCandidate struct {
	Patient fhir.Resource
	// Temporary: registered as a temporary resident (or for immediately
	// necessary treatment), whose identity the practice has not held long.
	Temporary bool
}

// AutoMatch decides whether an item may go into a record without a
// person checking it: only when exactly one patient has the NHS number,
// that number is verified, and the date of birth and the surname agree
// too, and the patient is not deceased, deducted or a temporary
// resident. Otherwise it returns "" and why a person must match it.
// A result in the wrong record is among the worst things a GP system
// can do, so anything short of all of this waits for a person.
func AutoMatch(c Claimed, candidates []MatchCandidate) (patientID, reason string) {
	if !ValidNHSNumber(c.NHSNumber) {
		return "", "No valid NHS number"
	}
	if c.BirthDate == "" || c.Family == "" {
		return "", "No date of birth or surname to check the NHS number against"
	}
	if len(candidates) == 0 {
		return "", "No patient of the practice has this NHS number"
	}
	if len(candidates) > 1 {
		return "", "More than one patient has this NHS number"
	}
	p := candidates[0].Patient
	b := BannerOf(p, time.Now())
	switch {
	case nhsVerification(p) != NHSVerified:
		return "", "The patient's NHS number is not verified"
	case str(p, "birthDate") != c.BirthDate:
		return "", "The date of birth differs"
	case !sameSurname(p, c.Family):
		return "", "The surname differs"
	case b.Deceased:
		return "", "The patient has died"
	case b.Deducted:
		return "", "The patient is no longer registered"
	case candidates[0].Temporary:
		return "", "The patient is a temporary resident"
	}
	return p.ID(), ""
}

func sameSurname(p fhir.Resource, family string) bool {
	for _, n := range list(p, "name") {
		if strings.EqualFold(strings.TrimSpace(str(n, "family")), strings.TrimSpace(family)) {
			return true
		}
	}
	return false
}

// nhsVerification is the Patient's NHS number verification status code.
func nhsVerification(p fhir.Resource) string {
	for _, id := range list(p, "identifier") {
		if id["system"] != NHSNumberSystem {
			continue
		}
		for _, e := range list(id, "extension") {
			if e["url"] == NHSVerificationURL {
				return str(firstMap(mapOf(e["valueCodeableConcept"])["coding"]), "code")
			}
		}
	}
	return ""
}

// MatchTo returns a copy of an item put into a patient's record: its
// subject becomes the patient (with the NHS number), the contained
// Patient the sender described goes (the item's history keeps it), and
// it waits to be filed.
func MatchTo(res fhir.Resource, patient Banner) fhir.Resource {
	out := WithInboxState(res, InboxToFile)
	old := str(mapOf(out["subject"]), "reference")
	subject := map[string]any{"reference": "Patient/" + patient.ID, "display": patient.Name}
	if n := strings.ReplaceAll(patient.NHSNumber, " ", ""); n != "" {
		subject["identifier"] = map[string]any{"system": NHSNumberSystem, "value": n}
	}
	out["subject"] = subject
	if strings.HasPrefix(old, "#") {
		var keep []any
		for _, c := range list(out, "contained") {
			if "#"+str(c, "id") != old {
				keep = append(keep, c)
			}
		}
		delete(out, "contained")
		if len(keep) > 0 {
			out["contained"] = keep
		}
	}
	return out
}

// FilingActions are what a clinician asks for when filing.
var FilingActions = []Choice{
	{"none", "No action"},
	{"discuss", "Ask the patient to speak to a clinician"},
	{"appointment", "Book a routine appointment"},
	{"urgent", "Book an urgent appointment today"},
	{"reconcile", "Reconcile medication changes (a clinician or pharmacist)"},
}

// Filing is how an item was filed.
type Filing struct {
	Action, Comment string
	By              Ref
	At              string
}

// ActionLabel is the action as the screen says it.
func (f Filing) ActionLabel() string { return ChoiceLabel(FilingActions, f.Action) }

// CheckFiling validates a filing: an action is chosen; filing an
// abnormal result with no action needs a comment saying why; results
// are filed by clinicians only, and an item must be in a record first.
func CheckFiling(in Incoming, f Filing, clinician bool) map[string]string {
	errs := map[string]string{}
	if in.State != InboxToFile || in.Patient.Reference == "" {
		errs["action"] = "This item is not waiting to be filed"
		return errs
	}
	if in.Kind == "Result" && !clinician {
		errs["action"] = "Only a clinician can file a result"
		return errs
	}
	if !choiceKnown(FilingActions, f.Action) {
		errs["action"] = "Select what should happen next"
	}
	f.Comment = strings.TrimSpace(f.Comment)
	if f.Action == "none" && in.Abnormal && f.Comment == "" {
		errs["comment"] = "Enter why an abnormal result needs no action"
	}
	if len(f.Comment) > 2000 {
		errs["comment"] = "The comment must be 2000 characters or fewer"
	}
	return errs
}

// Filed returns a copy of an item filed: out of the inbox, with the
// filing recorded on it.
func Filed(res fhir.Resource, f Filing, now time.Time) fhir.Resource {
	out := WithInboxState(res, InboxFiled)
	ext := []any{map[string]any{"url": "action", "valueCode": f.Action},
		map[string]any{"url": "at", "valueDateTime": now.UTC().Format(time.RFC3339)}}
	if c := strings.TrimSpace(f.Comment); c != "" {
		ext = append(ext, map[string]any{"url": "comment", "valueString": c})
	}
	if f.By.Reference != "" {
		ext = append(ext, map[string]any{"url": "by", "valueReference": refMap(f.By)})
	}
	var keep []any
	for _, e := range list(out, "extension") {
		if e["url"] != FilingURL {
			keep = append(keep, e)
		}
	}
	out["extension"] = append(keep, map[string]any{"url": FilingURL, "extension": ext})
	return out
}

func filingOf(e map[string]any) Filing {
	var f Filing
	for _, x := range list(e, "extension") {
		switch str(x, "url") {
		case "action":
			f.Action = str(x, "valueCode")
		case "comment":
			f.Comment = str(x, "valueString")
		case "at":
			f.At = str(x, "valueDateTime")
		case "by":
			f.By = refOf(x["valueReference"])
		}
	}
	return f
}

// FilingTask is the task a filing's action needs, for a team (reception
// books appointments), about the item, or false when the action needs
// none.
func FilingTask(in Incoming, f Filing, team Ref, now time.Time) (fhir.Resource, bool) {
	var what, priority string
	due := ""
	switch f.Action {
	case "discuss":
		what, priority = "Ask the patient to speak to "+firstNonEmpty(f.By.Display, "the clinician")+" about their "+strings.ToLower(in.Kind), "routine"
	case "appointment":
		what, priority = "Book a routine appointment about the "+strings.ToLower(in.Kind)+": "+in.Title, "routine"
	case "urgent":
		what, priority, due = "Book an urgent appointment today about the "+strings.ToLower(in.Kind)+": "+in.Title, "urgent", now.Format("2006-01-02")
	case "reconcile":
		// Medication changed at discharge and missed in the record is a
		// known hazard: the task is due the next day.
		what, priority, due = "Reconcile the medication changes in the "+strings.ToLower(in.Kind)+": "+in.Title, "urgent", now.AddDate(0, 0, 1).Format("2006-01-02")
	default:
		return nil, false
	}
	if c := strings.TrimSpace(f.Comment); c != "" {
		what += ". " + c
	}
	t := fhir.Resource{"resourceType": "Task", "status": TaskRequested, "intent": "order", "priority": priority, "description": what,
		"authoredOn": now.UTC().Format(time.RFC3339), "lastModified": now.UTC().Format(time.RFC3339),
		"for": refMap(in.Patient), "focus": refMap(Ref{Reference: in.Type + "/" + in.ID, Display: in.Kind + ": " + in.Title})}
	if f.By.Reference != "" {
		t["requester"] = refMap(f.By)
	}
	if due != "" {
		t["restriction"] = map[string]any{"period": map[string]any{"end": due}}
	}
	setAssignee(t, Ref{}, team)
	return t, true
}

// SortIncoming orders an inbox: critical, then abnormal, then the rest,
// oldest first within each, so that what matters most is read first.
func SortIncoming(items []Incoming) {
	rank := func(in Incoming) int { return slices.Index(InboxRanks, InboxRank(in)) }
	slices.SortStableFunc(items, func(a, b Incoming) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a.Received, b.Received)
	})
}

// WhenLabel is a FHIR date or dateTime as the screen says it, in UK
// time ("1 December 2026 14:42"), or s itself when it is neither.
func WhenLabel(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t = t.In(London)
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t.Format("2 January 2006") // a date with no time (a letter's)
		}
		return t.Format("2 January 2006 15:04")
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2 January 2006")
	}
	return s
}

// DateLabel is when the item was written, as the screen says it.
func (in Incoming) DateLabel() string { return WhenLabel(in.Date) }

// ReceivedLabel is when the item arrived, as the screen says it.
func (in Incoming) ReceivedLabel() string { return WhenLabel(in.Received) }

// BirthLabel is the claimed date of birth as the screen says it.
func (c Claimed) BirthLabel() string { return WhenLabel(c.BirthDate) }

// How long an item may wait to be filed before it is overdue: a
// critical result the same working day, an abnormal one two days,
// anything else a week. An overdue item is marked in the inbox, which
// the practice manager sees too, so that no result waits unseen on a
// clinician who is away.
const (
	criticalWait = 4 * time.Hour
	abnormalWait = 48 * time.Hour
	routineWait  = 7 * 24 * time.Hour
)

// Overdue reports whether an item waiting to be filed has waited too
// long for what it is.
func (in Incoming) Overdue(now time.Time) bool {
	if in.State != InboxToFile {
		return false
	}
	got, err := time.Parse(time.RFC3339Nano, in.Received)
	if err != nil {
		return false
	}
	wait := routineWait
	switch {
	case in.Critical:
		wait = criticalWait
	case in.Abnormal:
		wait = abnormalWait
	}
	return now.Sub(got) > wait
}

// BulkFilable tells whether an item may be filed with others without
// being opened: a result, waiting in a record, whose every test is a
// number inside its range (or interpreted normal) with no lab comment.
// A text report (microbiology, histology, cytology) is never normal just
// because it carries no flag, and abnormal or critical results are each
// read by a clinician.
func BulkFilable(in Incoming) bool {
	return in.Kind == "Result" && in.State == InboxToFile && in.Patient.Reference != "" &&
		in.Normal && !in.Abnormal && !in.Critical && in.Comment == ""
}

// BulkFiling is the filing of normal results filed together by a
// clinician: no action, said so.
func BulkFiling(by Ref) Filing {
	return Filing{Action: "none", Comment: "Normal: filed with other normal results, no action", By: by}
}
