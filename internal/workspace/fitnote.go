package workspace

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// fitNotePage is the fit note form, and the note itself to print.
type fitNotePage struct {
	page
	Consultation                          string
	Note                                  clinical.FitNote
	Conditions                            []string
	FromDay, FromMonth, FromYear          string
	ToDay, ToMonth, ToYear                string
	Adjustments, Assessments, Professions []clinical.Choice
	Practice                              string
	// Doc is the recorded note's id (the print page).
	Doc string
}

func (p *fitNotePage) Has(adj string) bool {
	for _, a := range p.Note.Adjustments {
		if a == adj {
			return true
		}
	}
	return false
}

// Label is a choice's label, for the printed note.
func (p *fitNotePage) Label(choices []clinical.Choice, key string) string {
	return clinical.ChoiceLabel(choices, key)
}

// fitNoteForm starts a fit note from a consultation: its problems as the
// condition, its date, and its type as the assessment.
func (ws *Workspace) fitNoteForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, s, ok := ws.fitNoteStart(w, r, v)
	if !ok {
		return
	}
	view := clinical.ReadConsultation(s.enc, s.comp, s.byRef)
	p.Note.Assessment = map[string]string{"face-to-face": "face-to-face", "home-visit": "face-to-face", "telephone": "telephone", "video": "video"}[view.Type]
	if len(p.Conditions) > 0 {
		p.Note.Condition = p.Conditions[0]
	}
	p.Note.Profession = map[bool]string{true: "doctor", false: ""}[v.user.Role == "gp"]
	if v.user.Role == "nurse" {
		p.Note.Profession = "nurse"
	}
	start := view.Start.In(clinical.London)
	p.FromDay, p.FromMonth, p.FromYear = itoa(start.Day()), itoa(int(start.Month())), itoa(start.Year())
	ws.pages.Render(w, "fitnote", http.StatusOK, p)
}

func (ws *Workspace) fitNoteStart(w http.ResponseWriter, r *http.Request, v *visit) (*fitNotePage, *saved, bool) {
	patient, ok := ws.consultPatient(w, r, v)
	if !ok {
		return nil, nil, false
	}
	s, err := ws.savedConsultation(r.Context(), patient.ID, r.PathValue("enc"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	p := &fitNotePage{page: ws.recordBase(v, "Fit note", "Consultations", &patient), Consultation: s.enc.ID(),
		Adjustments: clinical.FitNoteAdjustments, Assessments: clinical.FitNoteAssessments, Professions: clinical.FitNoteProfessions}
	for _, t := range clinical.ViewConsultation(s.enc, s.comp, s.byRef, nil).Topics {
		p.Conditions = append(p.Conditions, t.Title)
	}
	return p, s, true
}

// issueFitNote checks the note, records it (the printed note and its
// content, one DocumentReference) and shows it to print.
func (ws *Workspace) issueFitNote(w http.ResponseWriter, r *http.Request, v *visit) {
	p, s, ok := ws.fitNoteStart(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := r.PostForm
	p.Note = clinical.FitNote{PatientID: p.Banner.ID, EncounterID: s.enc.ID(), Condition: strings.TrimSpace(f.Get("condition")),
		Fitness: f.Get("fitness"), Adjustments: f["adjustments"], Comments: strings.TrimSpace(f.Get("comments")),
		Assessment: f.Get("assessment"), Profession: f.Get("profession"), AssessAgain: f.Get("assess-again"),
		Issuer: ws.authorRef(r.Context(), v), Issued: ws.opts.Now()}
	p.FromDay, p.FromMonth, p.FromYear = f.Get("from-day"), f.Get("from-month"), f.Get("from-year")
	p.ToDay, p.ToMonth, p.ToYear = f.Get("to-day"), f.Get("to-month"), f.Get("to-year")
	errs := map[string]string{}
	var msg string
	if p.Note.From, msg = clinical.ParseConsultationTime(p.FromDay, p.FromMonth, p.FromYear, "00:00"); msg != "" {
		errs["from-day"] = strings.Replace(strings.Replace(msg, "date of the consultation", "date the note starts", 1), "Enter the date the note starts: day, month and year", "Enter the date the note starts", 1)
	}
	if p.Note.To, msg = clinical.ParseConsultationTime(p.ToDay, p.ToMonth, p.ToYear, "00:00"); msg != "" {
		errs["to-day"] = strings.Replace(strings.Replace(msg, "date of the consultation", "date the note ends", 1), "Enter the date the note ends: day, month and year", "Enter the date the note ends", 1)
	}
	p.Note.AssessedOn = clinical.ReadConsultation(s.enc, s.comp, s.byRef).Start
	for k, m := range p.Note.Check() {
		if _, set := errs[k]; !set {
			errs[k] = m
		}
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"condition", "fitness", "adjustments", "comments", "from-day", "to-day", "assessment", "profession", "assess-again"})
		ws.pages.Render(w, "fitnote", http.StatusUnprocessableEntity, p)
		return
	}
	var printed bufferWriter
	ws.pages.Fragment(&printed, "fitnote-print", "note", http.StatusOK, p)
	doc, err := p.Note.DocumentReference(printed.Bytes())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	out, err := ws.opts.Service.Create(r.Context(), "DocumentReference", doc, "")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/fitnotes/"+out.Version.ID, http.StatusSeeOther)
}

// printFitNote shows a recorded fit note, laid out to print.
func (ws *Workspace) printFitNote(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.consultPatient(w, r, v)
	if !ok {
		return
	}
	doc, err := ws.read(r.Context(), "DocumentReference", r.PathValue("doc"))
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	note, ok := clinical.FitNoteOf(doc)
	if !ok || note.PatientID != patient.ID {
		ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such fit note for this patient.")
		return
	}
	p := &fitNotePage{page: ws.recordBase(v, "Fit note", "Consultations", &patient), Note: note, Doc: doc.ID(), Consultation: note.EncounterID,
		Adjustments: clinical.FitNoteAdjustments, Assessments: clinical.FitNoteAssessments, Professions: clinical.FitNoteProfessions}
	ws.pages.Render(w, "fitnote-print", http.StatusOK, p)
}

// bufferWriter keeps a rendered fragment (the note as printed, for the
// record).
type bufferWriter struct {
	bytes.Buffer
	header http.Header
}

func (b *bufferWriter) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}
func (b *bufferWriter) WriteHeader(int) {}

func itoa(n int) string { return strconv.Itoa(n) }
