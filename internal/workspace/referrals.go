package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Referrals: the record's Referrals tab (make one, see each with its
// letter, record the e-RS UBRN, the outcome or a cancellation), and the
// practice's open referrals with urgent suspected cancer first: the
// safety net that keeps each one in sight until its outcome is known.
// e-RS is not connected, and every referral page says so.

const referralsNavLabel = "Referrals"

// referralsPage is the record's tab, or the practice's list.
type referralsPage struct {
	page
	Referrals []referralRow
	Done      string
	Practice  bool
}

type referralRow struct {
	clinical.Referral
	Waiting int
	Overdue bool
	Href    string
}

func (ws *Workspace) referralRows(res []fhir.Resource) []referralRow {
	now := ws.opts.Now()
	var rows []referralRow
	for _, x := range res {
		r := clinical.ReferralOf(x)
		id, _ := strings.CutPrefix(r.Patient.Reference, "Patient/")
		rows = append(rows, referralRow{Referral: r, Waiting: r.Waiting(now), Overdue: r.Overdue(now), Href: "/workspace/patients/" + id + "/referrals/" + r.ID})
	}
	// Urgent suspected cancer first, then the longest waiting.
	slices.SortStableFunc(rows, func(a, b referralRow) int {
		if a.USC != b.USC {
			if a.USC {
				return -1
			}
			return 1
		}
		return b.Waiting - a.Waiting
	})
	return rows
}

// patientReferrals is the record's Referrals tab.
func (ws *Workspace) patientReferrals(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "ServiceRequest",
		Params: url.Values{"patient": {"Patient/" + patient.ID}, "category": {clinical.SNOMED + "|3457005"}, "_count": {"200"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p := &referralsPage{page: ws.recordBase(v, "Referrals", "Referrals", &patient), Referrals: ws.referralRows(searchMatches(out.Resource)),
		Done: referralDoneMessage(r.URL.Query().Get("done"))}
	ws.pages.Render(w, "referrals", http.StatusOK, p)
}

// openReferrals is the practice's safety net: every open referral,
// urgent suspected cancer first.
func (ws *Workspace) openReferrals(w http.ResponseWriter, r *http.Request, v *visit) {
	out, err := ws.opts.Service.Search(r.Context(), service.SearchRequest{Type: "ServiceRequest",
		Params: url.Values{"status": {"active"}, "category": {clinical.SNOMED + "|3457005"}, "_count": {"500"}}})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p := &referralsPage{page: ws.base(v, "Open referrals", referralsNavLabel), Referrals: ws.referralRows(searchMatches(out.Resource)), Practice: true}
	ws.pages.Render(w, "referrals", http.StatusOK, p)
}

func referralDoneMessage(what string) string {
	return map[string]string{
		"created":  "Referral saved and its letter written. Send it through e-RS, then record the UBRN here.",
		"ubrn":     "UBRN recorded.",
		"complete": "Outcome recorded: the referral is closed.",
		"cancel":   "Referral cancelled.",
	}[what]
}

// referralNewPage is the form.
type referralNewPage struct {
	page
	Form    clinical.NewReferral
	Types   []clinical.Choice
	Urgency []clinical.Choice
	// Letter is the letter to edit before saving, once previewed;
	// LetterFor fingerprints the form it was written from.
	Letter, LetterFor string
}

// referralFingerprint identifies a referral form's content, so that a
// letter written from one form is not saved with another.
func referralFingerprint(f clinical.NewReferral) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{f.Service, f.Recipient, f.Type, f.Urgency, f.Reason, f.Supporting}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

func (ws *Workspace) referralForm(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	p := &referralNewPage{page: ws.recordBase(v, "Make a referral", "Referrals", &patient), Types: clinical.ReferralTypes, Urgency: clinical.ReferralUrgencies}
	ws.pages.Render(w, "referral-new", http.StatusOK, p)
}

// createReferral saves the referral and its letter, written from the
// record's summary, in one transaction.
func (ws *Workspace) createReferral(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	p := &referralNewPage{page: ws.recordBase(v, "Make a referral", "Referrals", &patient), Types: clinical.ReferralTypes, Urgency: clinical.ReferralUrgencies}
	f := &p.Form
	f.Service, f.Recipient, f.Type, f.Urgency = r.PostFormValue("service"), r.PostFormValue("recipient"), r.PostFormValue("type"), r.PostFormValue("urgency")
	f.Reason, f.Supporting = r.PostFormValue("reason"), r.PostFormValue("supporting")
	f.Requester = ws.authorRef(r.Context(), v)
	f.Patient = clinical.Ref{Reference: "Patient/" + patient.ID, Display: patient.Name}
	if errs := f.Check(); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"service", "type", "urgency", "reason"})
		ws.pages.Render(w, "referral-new", http.StatusUnprocessableEntity, p)
		return
	}
	now := ws.opts.Now()
	// The letter as the user edited it after a preview; else written
	// now from the record's summary.
	text := strings.TrimSpace(r.PostFormValue("letter"))
	if text == "" || r.PostFormValue("action") == "preview" {
		summary, _, err := ws.summary(r.Context(), patient.ID)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		text = clinical.ReferralLetter(*f, patient, summary, ws.practiceName(r.Context(), v), now)
	}
	if r.PostFormValue("action") == "preview" {
		p.Letter, p.LetterFor = text, referralFingerprint(*f)
		ws.pages.Render(w, "referral-new", http.StatusOK, p)
		return
	}
	if r.PostFormValue("letter") != "" && r.PostFormValue("letter-for") != referralFingerprint(*f) {
		// The form changed after the letter was written: the letter
		// may say something the referral does not.
		// Saving again after checking it keeps the letter as it is.
		p.Letter, p.LetterFor = text, referralFingerprint(*f)
		p.AddError("letter", "You changed the form after the letter was written: check the letter says the same and save again, or write it again")
		ws.pages.Render(w, "referral-new", http.StatusUnprocessableEntity, p)
		return
	}
	if len(text) > 64000 {
		p.Letter = text
		p.AddError("letter", "The letter must be 64,000 characters or fewer")
		ws.pages.Render(w, "referral-new", http.StatusUnprocessableEntity, p)
		return
	}
	srRef, letterRef := "urn:uuid:"+fhir.NewUUID(), "urn:uuid:"+fhir.NewUUID()
	bundle := fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"fullUrl": srRef, "resource": map[string]any(f.Resource(letterRef, now)), "request": map[string]any{"method": "POST", "url": "ServiceRequest"}},
		map[string]any{"fullUrl": letterRef, "resource": map[string]any(clinical.LetterResource(text, *f, srRef, now)), "request": map[string]any{"method": "POST", "url": "DocumentReference"}},
	}}
	out, err := ws.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	id := ""
	for _, e := range anyList(out.Resource["entry"]) {
		em, _ := e.(map[string]any)
		resp, _ := em["response"].(map[string]any)
		loc, _ := resp["location"].(string)
		if rest, ok := strings.CutPrefix(loc, "ServiceRequest/"); ok {
			id, _, _ = strings.Cut(rest, "/")
		}
	}
	http.Redirect(w, r, "/workspace/patients/"+patient.ID+"/referrals/"+id+"?done=created", http.StatusSeeOther)
}

// practiceName is the user's practice's name, for letters.
func (ws *Workspace) practiceName(ctx context.Context, v *visit) string {
	if org, err := ws.read(ctx, "Organization", v.user.Practice); err == nil {
		name, _ := org["name"].(string)
		return name
	}
	return ""
}

// referralPage is one referral with its letter.
type referralPage struct {
	page
	Referral   clinical.Referral
	Letter     string
	Done       string
	UBRN, Note string
}

func (ws *Workspace) referralPageOf(w http.ResponseWriter, r *http.Request, v *visit) (*referralPage, fhir.Resource, bool) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return nil, nil, false
	}
	res, err := ws.read(r.Context(), "ServiceRequest", r.PathValue("ref"))
	if err == nil && !entryBelongsTo(res, patient.ID) {
		err = fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "not this patient's")
	}
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	p := &referralPage{page: ws.recordBase(v, "Referral", "Referrals", &patient), Referral: clinical.ReferralOf(res), Done: referralDoneMessage(r.URL.Query().Get("done"))}
	if p.Referral.Letter != "" {
		if doc, err := ws.read(r.Context(), "DocumentReference", p.Referral.Letter); err == nil {
			p.Letter = letterText(doc)
		}
	}
	return p, res, true
}

func (ws *Workspace) referral(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.referralPageOf(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "referral", http.StatusOK, p)
}

// changeReferral records the UBRN, the outcome or a cancellation,
// If-Match the version the user saw.
func (ws *Workspace) changeReferral(w http.ResponseWriter, r *http.Request, v *visit) {
	p, res, ok := ws.referralPageOf(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	c := clinical.ReferralChange{Do: r.PostFormValue("do"), UBRN: r.PostFormValue("ubrn"), Note: r.PostFormValue("note")}
	p.UBRN, p.Note = c.UBRN, c.Note
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		http.Error(w, "no version", http.StatusBadRequest)
		return
	}
	next, errs := clinical.ChangeReferral(res, c)
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"do", "ubrn", "note"})
		ws.pages.Render(w, "referral", http.StatusUnprocessableEntity, p)
		return
	}
	if _, err := ws.opts.Service.Update(r.Context(), "ServiceRequest", p.Referral.ID, next, service.Precondition{Set: true, Version: version}); err != nil {
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed {
			ws.entryFailed(w, r, v, err)
			return
		}
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/referrals/"+p.Referral.ID+"?done="+c.Do, http.StatusSeeOther)
}
