package workspace

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/redaction"
	"github.com/gpcloud/gpcloud/internal/service"
)

// redactEntryPage removes words within an entry from online access
// (package redaction): the entry's text with the words already removed
// highlighted, a form for the exact words, and the current redactions,
// each with Remove. Clinicians only: deciding what is third-party or
// harmful information is a clinical judgement (CLINICAL.md Patient
// portal 2). Each change is a new version of the entry If-Match the
// version shown, with a Provenance whose reason names no words (the
// patient may read Provenances through the API).
type redactEntryPage struct {
	page
	Type, ID, Version string
	// Texts are the entry's free text, Spans marking removed words.
	Texts [][]redaction.Span
	// Redactions are the words removed, with who and when.
	Redactions []redactionRow
	// Missing are removed words the entry no longer holds (amended).
	Missing []string
	Phrase  string
	Saved   string
	Back    string
}

// redactFuncs: "redactSpans text phrases" splits a text for the
// "redacted-spans" template, which highlights the removed words.
var redactFuncs = template.FuncMap{"redactSpans": redaction.Spans}

type redactionRow struct{ Phrase, Who, When string }

// redactable are the entries whose words a clinician may remove: those
// the portal or the API shows a patient with free text in them.
var redactable = map[string]bool{"Observation": true, "Condition": true, "AllergyIntolerance": true,
	"Immunization": true, "DocumentReference": true}

func (ws *Workspace) redactEntryForm(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.redactEntryStep(w, r, v, false)
}

func (ws *Workspace) redactEntry(w http.ResponseWriter, r *http.Request, v *visit) {
	ws.redactEntryStep(w, r, v, true)
}

func (ws *Workspace) redactEntryStep(w http.ResponseWriter, r *http.Request, v *visit, post bool) {
	typ := r.PathValue("type")
	if !redactable[typ] {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such record, or it is not one you can open.")
		return
	}
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	if !v.user.Role.IsClinician() {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Only clinicians can remove words from online access.")
		return
	}
	res, err := ws.read(r.Context(), typ, r.PathValue("entry"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if !entryBelongsTo(res, patient.ID) {
		ws.entryFailed(w, r, v, errWrongPatient)
		return
	}
	back := "/workspace/patients/" + patient.ID + redactBack(res)
	p := &redactEntryPage{page: ws.recordBase(v, "Redact text from online access", "Consultations", &patient), Type: typ, ID: res.ID(),
		Version: versionOf(res), Back: back, Saved: map[string]string{
			"added":   "Removed from online access. The patient and their proxies now see “" + redaction.Replacement + "” in its place.",
			"removed": "Redaction removed. The patient and their proxies can read those words online again.",
		}[r.URL.Query().Get("saved")]}
	p.fill(res)
	if !post {
		ws.pages.Render(w, "redact-entry", http.StatusOK, p)
		return
	}
	if !ws.samePatient(w, r, v, patient) {
		return
	}
	p.Version = r.PostFormValue("version")
	var change func(fhir.Resource) (fhir.Resource, bool)
	var reason, saved string
	switch r.PostFormValue("action") {
	case "remove":
		phrase := r.PostFormValue("remove")
		change = func(cur fhir.Resource) (fhir.Resource, bool) {
			out, found := redaction.Remove(cur, phrase)
			return out, found
		}
		reason, saved = "Redaction removed: words shown online again", "removed"
	default:
		p.Phrase = r.PostFormValue("phrase")
		if msg := redaction.Check(res, p.Phrase); msg != "" {
			p.AddError("phrase", msg)
			ws.pages.Render(w, "redact-entry", http.StatusUnprocessableEntity, p)
			return
		}
		who := ws.entryAuthor(r.Context(), v)
		phrase, now := p.Phrase, ws.opts.Now()
		change = func(cur fhir.Resource) (fhir.Resource, bool) {
			if redaction.Check(cur, phrase) != "" {
				return nil, false
			}
			return redaction.Add(cur, phrase, who.Reference, who.Display, now), true
		}
		reason, saved = "Words removed from online access (third-party or harmful information)", "added"
	}
	if err := ws.changeEntry(r.Context(), patient.ID, typ, p.ID, p.Version, change, ws.entryAuthor(r.Context(), v), reason, false); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/entries/"+typ+"/"+p.ID+"/redact?saved="+saved, http.StatusSeeOther)
}

// redactBack is where the page leads back to: the consultation that
// recorded the entry, else the entry's section of the record.
func redactBack(res fhir.Resource) string {
	enc, _ := res["encounter"].(map[string]any)
	ref, _ := enc["reference"].(string)
	if id, ok := strings.CutPrefix(ref, "Encounter/"); ok && service.ValidID(id) {
		return "/consultations/" + id
	}
	if s, ok := retractable[res.Type()]; ok {
		return s.path
	}
	if res.Type() == "DocumentReference" {
		return "" // the record's summary: letters are reached from there and the inbox
	}
	return "/consultations"
}

// fill shows the entry's text with its removed words marked.
func (p *redactEntryPage) fill(res fhir.Resource) {
	phrases := redaction.Phrases(res)
	for _, t := range redaction.Texts(res) {
		p.Texts = append(p.Texts, redaction.Spans(t, phrases))
	}
	for _, rd := range redaction.Of(res) {
		when := rd.Recorded
		if t, err := time.Parse(time.RFC3339, rd.Recorded); err == nil {
			when = t.In(clinical.London).Format("2 January 2006 at 15:04")
		}
		p.Redactions = append(p.Redactions, redactionRow{Phrase: rd.Phrase, Who: rd.Author, When: when})
	}
	p.Missing = redaction.Missing(res)
}
