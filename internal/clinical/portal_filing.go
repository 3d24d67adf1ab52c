package clinical

import (
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Filing a message conversation to the record (CLINICAL.md Patient
// portal 7): the messages themselves are Communications in the record,
// but a clinician decides what they mean clinically, as for a letter or
// a phone call. Filing writes an entry in the journal: an Encounter
// (class virtual, type "Online messages", the clinician who filed),
// a comment note (Observation, SNOMED 37331000000100) with the
// clinician's summary and the messages quoted, whose focus is each
// Communication filed, and a Composition arranging the note, as a
// consultation is written, in one transaction. A message already filed
// is not offered again (FiledMessages reads the notes' focus).

// MessagesFiledType is the Encounter type of a filing.
const MessagesFiledType = "Online messages"

// FileMessages is what a clinician files.
type FileMessages struct {
	PatientID, Practice string
	Clinician           Ref
	Summary             string
	// Messages are those filed, oldest first.
	Messages []Message
}

// MaxFilingSummary bounds the clinician's summary.
const MaxFilingSummary = 2000

// Check returns what is wrong by field id.
func (f FileMessages) Check() map[string]string {
	errs := map[string]string{}
	switch s := strings.TrimSpace(f.Summary); {
	case s == "":
		errs["summary"] = "Enter a summary for the record"
	case len([]rune(s)) > MaxFilingSummary:
		errs["summary"] = fmt.Sprintf("The summary must be %d characters or fewer", MaxFilingSummary)
	}
	if len(f.Messages) == 0 {
		errs["summary"] = "There are no messages to file: every message is already in the record"
	}
	return errs
}

// noteText is the summary and the messages quoted, as the note's text.
func (f FileMessages) noteText() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(f.Summary))
	b.WriteString("\n\nMessages filed:")
	for _, m := range f.Messages {
		fmt.Fprintf(&b, "\n%s, %s: %s", m.Sent.In(London).Format("2 Jan 2006 15:04"), m.From, m.Text)
		if m.Attachment != nil {
			fmt.Fprintf(&b, " [file: %s]", m.Attachment.Title)
		}
	}
	return b.String()
}

// Bundle is the filing as a transaction.
func (f FileMessages) Bundle(now time.Time) (fhir.Resource, error) {
	when := now.In(London).Format("2006-01-02T15:04:05-07:00")
	patient := map[string]any{"reference": "Patient/" + f.PatientID}
	clinician := refMap(f.Clinician)
	encRef, noteRef, compRef := "urn:uuid:"+fhir.NewUUID(), "urn:uuid:"+fhir.NewUUID(), "urn:uuid:"+fhir.NewUUID()
	enc := fhir.Resource{"resourceType": "Encounter", "status": "finished",
		"class":   map[string]any{"system": actCodeURL, "code": "VR", "display": "virtual"},
		"type":    []any{map[string]any{"text": MessagesFiledType}},
		"subject": patient, "period": map[string]any{"start": when, "end": when},
		"participant": []any{map[string]any{
			"type":       []any{map[string]any{"coding": []any{map[string]any{"system": participationTypeURL, "code": "PPRF", "display": "primary performer"}}}},
			"individual": clinician}}}
	if f.Practice != "" {
		enc["serviceProvider"] = map[string]any{"reference": "Organization/" + f.Practice}
	}
	var focus []any
	for _, m := range f.Messages {
		focus = append(focus, map[string]any{"reference": "Communication/" + m.ID})
	}
	note := fhir.Resource{"resourceType": "Observation", "status": "final",
		"code":    codeable(SNOMED, CommentNoteCode, "Comment note", ""),
		"subject": patient, "encounter": map[string]any{"reference": encRef}, "effectiveDateTime": when,
		"performer": []any{clinician}, "valueString": f.noteText(), "focus": focus}
	comp := fhir.Resource{"resourceType": "Composition", "status": "final",
		"type":    map[string]any{"text": MessagesFiledType},
		"subject": patient, "encounter": map[string]any{"reference": encRef}, "date": when,
		"author": []any{clinician}, "title": MessagesFiledType,
		"section": []any{map[string]any{"title": "Online messages", "entry": []any{map[string]any{"reference": noteRef}}}}}
	post := func(ref string, res fhir.Resource) any {
		return map[string]any{"fullUrl": ref, "resource": map[string]any(res), "request": map[string]any{"method": "POST", "url": res.Type()}}
	}
	return normalised(fhir.Resource{"resourceType": "Bundle", "type": "transaction",
		"entry": []any{post(encRef, enc), post(noteRef, note), post(compRef, comp)}})
}

// FiledMessages are the Communication ids the record's notes were filed
// from.
func FiledMessages(notes []fhir.Resource) map[string]bool {
	out := map[string]bool{}
	for _, o := range notes {
		if EnteredInError(o) {
			continue
		}
		for _, f := range list(o, "focus") {
			if id, ok := strings.CutPrefix(str(f, "reference"), "Communication/"); ok {
				out[id] = true
			}
		}
	}
	return out
}
