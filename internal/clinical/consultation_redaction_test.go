package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/redaction"
)

// TestConsultationAmendKeepsRedaction: words removed from online access
// in a note stay marked when the consultation is amended (the amendment
// starts from the stored entry, extensions and all), and when the
// amendment rewrote the words the journal says so (RedactionsMissing)
// rather than dropping the redaction silently.
func TestConsultationAmendKeepsRedaction(t *testing.T) {
	c := sampleConsultation()
	p, _ := PlanConsultation(c, nil, consultNow)
	stored, _ := saved(t, c, p)
	var encID, compID, noteRef, words string
	for ref, res := range stored {
		switch {
		case res.Type() == "Encounter":
			encID = res.ID()
		case res.Type() == "Composition":
			compID = ref
		case res.Type() == "Observation" && describeKind(res) == "note" && str(res, "valueString") != "":
			noteRef, words = ref, str(res, "valueString")
		}
	}
	phrase := strings.Fields(words)[0] + " " + strings.Fields(words)[1]
	if msg := redaction.Check(stored[noteRef], phrase); msg != "" {
		t.Fatalf("%q in %q: %s", phrase, words, msg)
	}
	stored[noteRef] = fhir.Resource(redaction.Add(stored[noteRef], phrase, "Practitioner/pr1", "Dr Anita Patel", time.Now()))
	byRef := map[string]fhir.Resource(stored)

	view := ViewConsultation(stored["Encounter/"+encID], stored[compID], byRef, nil)
	var entry *EntryView
	for _, tp := range view.Topics {
		for _, h := range tp.Headings {
			for i := range h.Entries {
				if h.Entries[i].Ref == noteRef {
					entry = &h.Entries[i]
				}
			}
		}
		for i := range tp.Entries {
			if tp.Entries[i].Ref == noteRef {
				entry = &tp.Entries[i]
			}
		}
	}
	if entry == nil || len(entry.Redacted) != 1 || entry.Redacted[0] != phrase || entry.RedactionsMissing != 0 {
		t.Fatalf("the journal's entry: %+v", entry)
	}

	read := ReadConsultation(stored["Encounter/"+encID], stored[compID], byRef)
	for k := range read.Topics[0].Notes {
		if read.Topics[0].Notes[k] == words {
			read.Topics[0].Notes[k] = "Rewritten entirely."
		}
	}
	amend, err := PlanConsultation(&read, stored, consultNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ch := range amend.Changes {
		if ch.Ref == noteRef {
			found = true
			if got := redaction.Phrases(ch.Resource); len(got) != 1 || got[0] != phrase {
				t.Errorf("the amended note lost its redaction: %v", ch.Resource)
			}
			if m := redaction.Missing(ch.Resource); len(m) != 1 {
				t.Errorf("the rewritten words are not reported missing: %v", m)
			}
		}
	}
	if !found {
		t.Fatal("the amendment did not change the note")
	}
}
