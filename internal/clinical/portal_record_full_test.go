package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestPatientConsultationsAndDocuments(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.ParseInLocation("2006-01-02", s, UKTime); return d }
	nopat := map[string]any{"security": []any{map[string]any{"system": ActCodeSystem, "code": NoPatientDisclosure}}}
	enc := func(id, start string, hidden bool) fhir.Resource {
		r := fhir.Resource{"resourceType": "Encounter", "id": id, "status": "finished", "period": map[string]any{"start": start}}
		if hidden {
			r["meta"] = nopat
		}
		return r
	}
	note := func(id, enc, words, status string, hidden bool) fhir.Resource {
		r := fhir.Resource{"resourceType": "Observation", "id": id, "status": status, "valueString": words,
			"encounter": map[string]any{"reference": "Encounter/" + enc},
			"code":      map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": CommentNoteCode}}}}
		if hidden {
			r["meta"] = nopat
		}
		return r
	}
	comp := func(enc string, notes ...string) fhir.Resource {
		var entries []any
		for _, n := range notes {
			entries = append(entries, map[string]any{"reference": "Observation/" + n})
		}
		return fhir.Resource{"resourceType": "Composition", "id": "c-" + enc, "status": "final", "encounter": map[string]any{"reference": "Encounter/" + enc},
			"section": []any{map[string]any{"title": "History", "entry": entries}}}
	}
	encs := []fhir.Resource{enc("old", "2020-01-01T10:00:00Z", false), enc("new", "2026-06-01T10:00:00Z", false), enc("secret", "2026-06-02T10:00:00Z", true), enc("bare", "2026-06-03T10:00:00Z", false)}
	comps := []fhir.Resource{comp("old", "o1"), comp("new", "n1", "n2", "n3"), comp("secret", "s1")}
	entries := []fhir.Resource{note("o1", "old", "Old words", "final", false), note("n1", "new", "Shown words", "final", false),
		note("n2", "new", "Third-party words", "final", true), note("n3", "new", "Wrong patient words", "entered-in-error", false), note("s1", "secret", "Secret visit", "final", false)}
	text := func(cs []PatientConsultation) string {
		var b strings.Builder
		for _, c := range cs {
			for _, tp := range c.Topics {
				b.WriteString(strings.Join(tp.Lines, "|") + ";")
			}
		}
		return b.String()
	}
	full := text(PatientConsultations(RecordScope{Level: RecordFull}, encs, comps, entries))
	if full != "Shown words;Old words;" {
		t.Errorf("full: %q", full)
	}
	prospective := text(PatientConsultations(RecordScope{Level: RecordSummary, From: day("2025-01-01")}, encs, comps, entries))
	if prospective != "Shown words;" {
		t.Errorf("prospective: %q", prospective)
	}
	if got := PatientConsultations(RecordScope{Level: RecordDetailed}, encs, comps, entries); len(got) != 0 {
		t.Errorf("detailed shows consultations: %+v", got)
	}

	doc := func(id, state, status string) fhir.Resource {
		return WithInboxState(fhir.Resource{"resourceType": "DocumentReference", "id": id, "status": status, "date": "2026-06-01T10:00:00Z",
			"type": map[string]any{"text": "Letter " + id}}, state)
	}
	docs := []fhir.Resource{doc("filed", InboxFiled, "current"), doc("tofile", InboxToFile, "current"), doc("tomatch", InboxToMatch, "current"),
		doc("error", InboxFiled, "entered-in-error"), fhir.Resource{"resourceType": "DocumentReference", "id": "own", "status": "current", "date": "2026-06-01"}}
	got := PatientDocuments(RecordScope{Level: RecordFull}, docs)
	if len(got) != 1 || got[0].ID != "filed" || got[0].Date != "1 June 2026" {
		t.Errorf("documents: %+v", got)
	}
	if got := PatientDocuments(RecordScope{Level: RecordSummary, From: day("2026-07-01")}, docs); len(got) != 0 {
		t.Errorf("a document before prospective access: %+v", got)
	}
}
