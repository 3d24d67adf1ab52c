package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/codes"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Drafts: a consultation being written is kept per user and patient in
// the store (a record, not a FHIR resource: it is not part of the record
// until saved), so that a reload, a crash or a closed tab loses nothing.
const draftKind, draftTTL = "consultation-draft", 7 * 24 * time.Hour

func draftID(userID, patientID string) string { return userID + "/" + patientID }

// newConsultation shows the form: the user's draft for this patient when
// there is one, else a new consultation now, by them.
func (ws *Workspace) newConsultation(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.consultPatient(w, r, v)
	if !ok {
		return
	}
	p, err := ws.consultForm(r.Context(), v, &patient, "")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Embedded = embedded(r)
	p.OtherDrafts = ws.otherDrafts(r.Context(), v, patient.ID)
	if form := ws.loadDraft(r.Context(), v, patient.ID); form != nil {
		var c clinical.Consultation
		parseConsultForm(form, p, &c)
		p.Reason = form.Get("reason")
	} else {
		now := ws.opts.Now().In(clinical.London)
		// ?type= preselects the type (the video call page asks for video).
		typ := "face-to-face"
		if t, ok := clinical.ConsultationTypeOf(r.URL.Query().Get("type")); ok {
			typ = t.Key
		}
		c := clinical.Consultation{Type: typ, Start: now}
		if typ == "video" || typ == "telephone" {
			c.Place = clinical.Ref{Display: labelOf(p.Places, "remote")} // a call is remote
		}
		// ?appointment= (the video call page) links the appointment.
		if a := "Appointment/" + r.URL.Query().Get("appointment"); labelOf(p.Appointments, a) != "" {
			c.Appointment = a
		}
		fillForm(p, c)
	}
	// Opened from an appointment (?appointment=id, an id, not clinical
	// data): the consultation names it, so saving it marks it seen.
	if id := r.URL.Query().Get("appointment"); id != "" && labelOf(p.Appointments, "Appointment/"+id) != "" {
		p.Appointment = "Appointment/" + id
	}
	ws.renderConsult(w, p, http.StatusOK)
}

// embedded reports whether the form is the one on the video call page
// (?embed=call when loaded, a hidden field when posted).
func embedded(r *http.Request) bool { return r.FormValue("embed") == "call" }

// renderConsult writes the consultation form: the whole page, or on the
// call page only the form with its error summary (htmx swaps it into its
// container; the call page around it is never reloaded).
func (ws *Workspace) renderConsult(w http.ResponseWriter, p *consultPage, status int) {
	if p.Embedded {
		ws.pages.Fragment(w, "consultation", "embedded", status, p)
		return
	}
	ws.pages.Render(w, "consultation", status, p)
}

// consultPatient reads the record's patient and refuses a role that may
// not record consultations, before anything of the record is shown.
func (ws *Workspace) consultPatient(w http.ResponseWriter, r *http.Request, v *visit) (clinical.Banner, bool) {
	if !mayConsult(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Consultations are not available to your role.")
		return clinical.Banner{}, false
	}
	return ws.patient(w, r, v)
}

// consultForm is the page with its choices; enc names the consultation
// amended ("" for a new one).
func (ws *Workspace) consultForm(ctx context.Context, v *visit, patient *clinical.Banner, enc string) (*consultPage, error) {
	title, action := "New consultation", "/workspace/patients/"+patient.ID+"/consultations/new"
	if enc != "" {
		title, action = "Amend consultation", "/workspace/patients/"+patient.ID+"/consultations/"+enc+"/amend"
	}
	p := &consultPage{page: ws.recordBase(v, title, "Consultations", patient), Action: action, Amend: enc != ""}
	if err := ws.consultChoices(ctx, v, p, patient.ID); err != nil {
		return nil, err
	}
	return p, nil
}

// saveConsultation takes the form: Save writes the consultation in one
// transaction; any other button (add a topic or an entry, find codes)
// keeps the draft and shows the form again.
func (ws *Workspace) saveConsultation(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.consultPatient(w, r, v)
	if !ok {
		return
	}
	if !ws.samePatient(w, r, v, patient) {
		return
	}
	p, err := ws.consultForm(r.Context(), v, &patient, "")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Embedded = embedded(r)
	var c clinical.Consultation
	errs := parseConsultForm(r.PostForm, p, &c)
	action := r.PostFormValue("action")
	if action != "save" {
		ws.saveDraft(r.Context(), v, patient.ID, r.PostForm)
		ws.formAction(r.Context(), p, action)
		ws.renderConsult(w, p, http.StatusOK)
		return
	}
	c.PatientID, c.Practice = patient.ID, v.principal.Practice
	c.Author = ws.author(v, p)
	if p.ClinicianFixed != "" {
		c.Clinician = clinical.Ref{Reference: v.principal.FHIRUser, Display: p.ClinicianFixed}
	}
	for k, msg := range c.Check(ws.opts.Now()) {
		if _, set := errs[k]; !set && !(k == "date" && (errs["date-day"] != "" || errs["time"] != "")) {
			if k == "date" {
				k = "date-day"
			}
			errs[k] = msg
		}
	}
	if len(errs) > 0 {
		ws.saveDraft(r.Context(), v, patient.ID, r.PostForm)
		fieldErrors(&p.page, errs, consultFieldOrder(p))
		ws.renderConsult(w, p, http.StatusUnprocessableEntity)
		return
	}
	stored, err := ws.problemsOf(r.Context(), c)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	c.End = clinical.ConsultationEnd(c.Start, ws.opts.Now())
	plan, err := clinical.PlanConsultation(&c, stored, ws.opts.Now())
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	seen, err := ws.seenEntry(r.Context(), c.Appointment)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	enc, err := ws.write(r.Context(), plan, patient.ID, c.Author, "", seen...)
	if err != nil {
		ws.saveDraft(r.Context(), v, patient.ID, r.PostForm)
		ws.writeFailed(w, r, v, p, err)
		return
	}
	ws.dropDraft(r.Context(), v, patient.ID)
	if p.Embedded {
		// On the call page: the saved confirmation in the form's place.
		ws.pages.Fragment(w, "consultation", "embedded-saved", http.StatusOK, map[string]string{"Patient": patient.ID, "Encounter": enc})
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/consultations/"+enc+"?saved=1", http.StatusSeeOther)
}

// formAction does what a button other than Save asked: another topic,
// another coded entry, or the matches of a coded field (without
// JavaScript; with it, they come as one types).
func (ws *Workspace) formAction(ctx context.Context, p *consultPage, action string) {
	switch {
	case action == "add-topic" && len(p.Topics) < maxTopics:
		i := len(p.Topics)
		p.Topics = append(p.Topics, topicForm{Index: i, Notes: map[string]string{}, Entries: []entryForm{{Topic: i, Heading: "history"}}})
	case strings.HasPrefix(action, "add-entry-"):
		i, err := strconv.Atoi(strings.TrimPrefix(action, "add-entry-"))
		if err == nil && i >= 0 && i < len(p.Topics) && len(p.Topics[i].Entries) < maxEntries {
			t := &p.Topics[i]
			t.Entries = append(t.Entries, entryForm{Topic: i, Index: len(t.Entries), Heading: "history"})
		}
	case strings.HasPrefix(action, "find-"):
		field := strings.TrimPrefix(action, "find-")
		for i := range p.Topics {
			t := &p.Topics[i]
			if t.F("") == field {
				t.Picks, _ = ws.codes().Find(ctx, t.Q, 10)
				t.Searched = true
			}
			for j := range t.Entries {
				e := &t.Entries[j]
				if e.F("") == field {
					e.Picks, _ = ws.codes().Find(ctx, e.Q, 10)
					e.Searched = true
				}
			}
		}
	}
}

// codes is the typeahead's Finder: the terminology service, filled out
// by the stand-in (the record's codes, the built-in list).
func (ws *Workspace) codes() codes.Finder { return codes.Terminology{Service: ws.opts.Service} }

// findCodes answers a coded field as the clinician types: the matches as
// radios to choose from (the same markup the form shows without
// JavaScript). The text is in the body, never the URL.
func (ws *Workspace) findCodes(w http.ResponseWriter, r *http.Request, v *visit) {
	if !mayConsult(v.principal) {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Consultations are not available to your role.")
		return
	}
	field := r.PostFormValue("field")
	if !validField(field) {
		http.Error(w, "bad field", http.StatusBadRequest)
		return
	}
	q := r.PostFormValue(field + "q")
	picks, err := ws.codes().Find(r.Context(), q, 10)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ws.pages.Fragment(w, "consultation", "picks", http.StatusOK, map[string]any{
		"Field": field, "Picks": picks, "Searched": strings.TrimSpace(q) != "", "Connected": false})
}

// validField accepts "t0-" or "t0-e3-": the coded fields' prefixes.
func validField(f string) bool {
	rest, ok := strings.CutPrefix(f, "t")
	if !ok || !strings.HasSuffix(rest, "-") {
		return false
	}
	for _, part := range strings.Split(strings.TrimSuffix(rest, "-"), "-e") {
		if _, err := strconv.Atoi(part); err != nil {
			return false
		}
	}
	return true
}

// bmiPreview shows the BMI of the weight and height typed, computed by
// the same rule the save uses.
func (ws *Workspace) bmiPreview(w http.ResponseWriter, r *http.Request, v *visit) {
	m, errs := clinical.ParseMeasurements(clinical.MeasurementInput{Weight: r.PostFormValue("weight"), Height: r.PostFormValue("height")})
	data := map[string]any{"BMI": ""}
	if bmi, ok := m.BMI(); ok && errs["weight"] == "" && errs["height"] == "" {
		data["BMI"] = strconv.FormatFloat(bmi, 'f', 1, 64)
	}
	ws.pages.Fragment(w, "consultation", "bmi", http.StatusOK, data)
}

// autosave keeps the draft as the clinician types (htmx); it answers 204.
func (ws *Workspace) autosave(w http.ResponseWriter, r *http.Request, v *visit) {
	if !mayConsult(v.principal) || r.PostFormValue("patient") != r.PathValue("id") {
		w.WriteHeader(http.StatusConflict)
		return
	}
	ws.saveDraft(r.Context(), v, r.PathValue("id"), r.PostForm)
	w.WriteHeader(http.StatusNoContent)
}

// samePatient refuses a write whose form was for another patient than
// the record in the URL (two tabs, two patients).
func (ws *Workspace) samePatient(w http.ResponseWriter, r *http.Request, v *visit, patient clinical.Banner) bool {
	if got := r.PostFormValue("patient"); got != patient.ID {
		const msg = "This form was opened for a different patient from the record it was sent to, so nothing was saved. " +
			"Close the other tabs, open the patient's record again and check the banner before saving."
		if embedded(r) {
			ws.pages.Fragment(w, "consultation", "embedded-refused", http.StatusConflict, msg)
			return false
		}
		ws.message(w, r, v, http.StatusConflict, "Not saved: wrong patient", msg)
		return false
	}
	return true
}

// author is who writes the consultation: the user's Practitioner, or
// their name.
func (ws *Workspace) author(v *visit, p *consultPage) clinical.Ref {
	if strings.HasPrefix(v.principal.FHIRUser, "Practitioner/") {
		return clinical.Ref{Reference: v.principal.FHIRUser, Display: firstNonEmpty(labelOf(p.Clinicians, v.principal.FHIRUser), v.user.Name)}
	}
	return clinical.Ref{Display: v.user.Name}
}

// authorRef is the user as the author of a change: their Practitioner
// (by name) or their account's name.
func (ws *Workspace) authorRef(ctx context.Context, v *visit) clinical.Ref {
	if id, ok := strings.CutPrefix(v.principal.FHIRUser, "Practitioner/"); ok {
		if pr, err := ws.read(ctx, "Practitioner", id); err == nil {
			return clinical.Ref{Reference: v.principal.FHIRUser, Display: practitionerName(pr)}
		}
	}
	return clinical.Ref{Display: v.user.Name}
}

// problemsOf reads the existing problems a consultation links to (an
// episode may change them), as the user.
func (ws *Workspace) problemsOf(ctx context.Context, c clinical.Consultation) (clinical.Stored, error) {
	stored := clinical.Stored{}
	for _, t := range c.Topics {
		if id, ok := strings.CutPrefix(t.Problem, "Condition/"); ok {
			res, err := ws.read(ctx, "Condition", id)
			if err != nil {
				return nil, err
			}
			stored[t.Problem] = res
		}
	}
	return stored, nil
}

// read reads one resource as the user.
func (ws *Workspace) read(ctx context.Context, typ, id string) (fhir.Resource, error) {
	out, err := ws.opts.Service.Read(ctx, typ, id)
	if err != nil {
		return nil, err
	}
	return fhir.Unmarshal(out.Version.Body)
}

// write runs a plan as one transaction, with any extra entries, and
// returns the Encounter's id.
func (ws *Workspace) write(ctx context.Context, plan clinical.Plan, patientID string, who clinical.Ref, reason string, extra ...any) (string, error) {
	bundle, err := plan.Bundle(patientID, who, reason, ws.opts.Now())
	if err != nil {
		return "", err
	}
	if len(extra) > 0 {
		bundle["entry"] = append(bundle["entry"].([]any), extra...)
	}
	out, err := ws.opts.Service.ProcessBundle(ctx, bundle, service.BundleOptions{})
	if err != nil {
		return "", err
	}
	entries, _ := out.Resource["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		resp, _ := em["response"].(map[string]any)
		loc, _ := resp["location"].(string)
		if rest, ok := strings.CutPrefix(loc, "Encounter/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			return id, nil
		}
	}
	return "", nil
}

// writeFailed answers a save the service refused: a conflict (someone
// changed it since) or a refusal, with the form kept.
func (ws *Workspace) writeFailed(w http.ResponseWriter, r *http.Request, v *visit, p *consultPage, err error) {
	var fe *fhir.Error
	if errors.As(err, &fe) {
		switch fe.Status {
		case http.StatusConflict, http.StatusPreconditionFailed:
			p.AddError("reason", "Someone else changed this consultation or its problems while you were editing, so nothing was saved. Open it again to see their changes.")
			ws.renderConsult(w, p, http.StatusConflict)
			return
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			ws.opts.Logger.Error("consultation refused", "path", r.URL.Path, "error", err)
			p.AddError("type", "The record refused this consultation, so nothing was saved. Your draft is kept.")
			ws.renderConsult(w, p, http.StatusUnprocessableEntity)
			return
		}
	}
	ws.failed(w, r, v, err)
}

func (ws *Workspace) saveDraft(ctx context.Context, v *visit, patientID string, form url.Values) {
	keep := url.Values{}
	for k, vs := range form {
		if k != "csrf" && k != "action" {
			keep[k] = vs
		}
	}
	body, _ := json.Marshal(keep)
	err := ws.opts.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: draftKind, ID: draftID(v.user.ID, patientID), Body: body, Expires: ws.opts.Now().Add(draftTTL)})
	})
	if err != nil {
		ws.opts.Logger.Warn("consultation draft not saved", "error", err)
	}
}

func (ws *Workspace) loadDraft(ctx context.Context, v *visit, patientID string) url.Values {
	rec, err := ws.opts.Store.GetRecord(ctx, draftKind, draftID(v.user.ID, patientID))
	if err != nil {
		return nil
	}
	var form url.Values
	if json.Unmarshal(rec.Body, &form) != nil || form.Get("patient") != patientID {
		return nil
	}
	return form
}

func (ws *Workspace) dropDraft(ctx context.Context, v *visit, patientID string) {
	_ = ws.opts.Store.InTx(ctx, func(tx store.Tx) error { return tx.DeleteRecord(ctx, draftKind, draftID(v.user.ID, patientID)) })
}

// otherDrafts are the patients (other than this one) the user has an
// unsaved consultation for.
func (ws *Workspace) otherDrafts(ctx context.Context, v *visit, patientID string) []clinical.Banner {
	recs, err := ws.opts.Store.ListRecords(ctx, draftKind)
	if err != nil {
		return nil
	}
	var out []clinical.Banner
	for _, rec := range recs {
		id, ok := strings.CutPrefix(rec.ID, v.user.ID+"/")
		if !ok || id == patientID {
			continue
		}
		if res, err := ws.read(ctx, "Patient", id); err == nil {
			out = append(out, clinical.BannerOf(res, ws.opts.Now()))
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// seenEntry is the transaction entry that marks the consultation's
// appointment seen (If-Match the version read), or none when there is no
// appointment or it is not waiting to be seen: saving the consultation
// and marking the appointment happen together or not at all.
func (ws *Workspace) seenEntry(ctx context.Context, ref string) ([]any, error) {
	id, ok := strings.CutPrefix(ref, "Appointment/")
	if !ok || id == "" {
		return nil, nil
	}
	out, err := ws.opts.Service.Read(ctx, "Appointment", id)
	if err != nil {
		return nil, err
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return nil, err
	}
	if !clinical.SeenInConsultation(a) {
		return nil, nil
	}
	delete(a, "meta")
	return []any{map[string]any{"resource": map[string]any(a),
		"request": map[string]any{"method": "PUT", "url": "Appointment/" + id, "ifMatch": fmt.Sprintf(`W/"%d"`, out.Version.VersionID)}}}, nil
}
