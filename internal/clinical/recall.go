package clinical

import (
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Recalls (diary entries): something due for a patient on a date, a
// disease review, a repeat test, drug monitoring, an immunisation, kept
// in the record, listed for the practice when due and shown on the
// record's Recalls tab. FHIR mapping: ServiceRequest intent "plan",
// status active (due), completed (done) or revoked (cancelled), category
// RecallCategory, code.text what is due, occurrenceDateTime the due
// date, reasonCode the kind, requester who set it, note why it ended.
// GP Connect's "diary entries" (a ProcedureRequest in STU3) map from it.

// RecallCategory marks a ServiceRequest as a recall (gpcloud's own code
// system: there is no national code for "diary entry" in R4).
var RecallCategory = map[string]any{"coding": []any{map[string]any{"system": "https://gpcloud.dev/fhir/CodeSystem/diary", "code": "recall", "display": "Recall"}}}

// RecallCategoryToken is the category as a search token.
const RecallCategoryToken = "https://gpcloud.dev/fhir/CodeSystem/diary|recall"

// RecallKinds are the kinds of recall.
var RecallKinds = []Choice{{"review", "Disease review"}, {"test", "Repeat test"}, {"monitoring", "Drug monitoring"}, {"immunisation", "Immunisation"}, {"other", "Other"}}

// NewRecall is the form that sets a recall.
type NewRecall struct {
	Kind, What                string
	DueDay, DueMonth, DueYear string
	Patient, Requester        Ref
	due                       string
}

// Check validates the form; a recall is due today or later.
func (n *NewRecall) Check(now time.Time) map[string]string {
	errs := map[string]string{}
	n.What = clean(n.What)
	if !choiceKnown(RecallKinds, n.Kind) {
		errs["kind"] = "Select the kind of recall"
	}
	if n.What == "" {
		errs["what"] = "Enter what is due, for example Asthma review"
	} else if len(n.What) > 200 {
		errs["what"] = "What is due must be 200 characters or fewer"
	}
	d, msg := ParseDay(n.DueDay, n.DueMonth, n.DueYear, "the date it is due", false)
	switch {
	case msg != "":
		errs["due-day"] = msg
	case d < now.Format("2006-01-02"):
		errs["due-day"] = "The date it is due must be today or in the future"
	default:
		n.due = d
	}
	return errs
}

// Resource is the checked form as a ServiceRequest.
func (n *NewRecall) Resource(now time.Time) fhir.Resource {
	sr := fhir.Resource{"resourceType": "ServiceRequest", "status": "active", "intent": "plan", "category": []any{RecallCategory},
		"code": map[string]any{"text": n.What}, "subject": refMap(n.Patient), "occurrenceDateTime": n.due,
		"reasonCode": []any{map[string]any{"text": ChoiceLabel(RecallKinds, n.Kind)}}, "authoredOn": now.UTC().Format(time.RFC3339)}
	if n.Requester.Reference != "" {
		sr["requester"] = refMap(n.Requester)
	}
	return sr
}

// Recall is a recall as the screens show it.
type Recall struct {
	ID, Version, Status string
	What, Kind, Due     string
	Patient             Ref
	Ended               string
}

// RecallOf reads a ServiceRequest recall.
func RecallOf(res fhir.Resource) Recall {
	r := Recall{ID: res.ID(), Version: versionOf(res), Status: str(res, "status"), What: str(mapOf(res["code"]), "text"),
		Kind: conceptText(firstMap(res["reasonCode"])), Due: str(res, "occurrenceDateTime"), Patient: refOf(res["subject"])}
	if len(r.Due) > 10 {
		r.Due = r.Due[:10]
	}
	if n := firstMap(res["note"]); n != nil {
		r.Ended = str(n, "text")
	}
	return r
}

// Overdue reports a recall still due after its date.
func (r Recall) Overdue(now time.Time) bool {
	return r.Status == "active" && r.Due != "" && r.Due < now.Format("2006-01-02")
}

// DueSoon reports a recall due within days of now (or overdue).
func (r Recall) DueSoon(now time.Time, days int) bool {
	return r.Status == "active" && r.Due != "" && r.Due <= now.AddDate(0, 0, days).Format("2006-01-02")
}

// DueLabel is the due date as the screen says it.
func (r Recall) DueLabel() string { return WhenLabel(r.Due) }

// StatusLabel is the recall's status as the screen says it.
func (r Recall) StatusLabel() string {
	return map[string]string{"active": "Due", "completed": "Done", "revoked": "Cancelled"}[r.Status]
}

// EndRecall marks a recall done or cancelled; cancelling needs a reason.
func EndRecall(res fhir.Resource, do, note string) (fhir.Resource, map[string]string) {
	if str(res, "status") != "active" {
		return nil, map[string]string{"do": "This recall has ended already"}
	}
	out := cloneResource(res)
	note = strings.TrimSpace(note)
	switch do {
	case "done":
		out["status"] = "completed"
	case "cancel":
		if note == "" {
			return nil, map[string]string{"note": "Enter why the recall is cancelled"}
		}
		out["status"] = "revoked"
	default:
		return nil, map[string]string{"do": "Unknown action"}
	}
	if note != "" {
		out["note"] = append(anyList(out["note"]), map[string]any{"text": note})
	}
	return out, nil
}
