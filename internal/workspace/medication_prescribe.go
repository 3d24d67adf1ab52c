package workspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/eps"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// prescribePage is the prescribing form and, once the prescription is
// complete, its safety warnings: the prescriber overrides them with a
// reason, or changes the prescription.
type prescribePage struct {
	*entriesPage
	Medicine             rxCode
	Dose, Quantity, Days string
	Course, Issues       string
	Review               rxDate
	Courses              []clinical.Choice
	Unit                 string
	Warnings             []clinical.Warning
	Seen                 string // the digest of the warnings shown
	Reason               string
	Notice               string
	Connected            bool
	// From and FromVersion are the repeat being reauthorised (its id and
	// the version shown), "" for a new prescription.
	From, FromVersion, FromName string
	Delayed                     bool
	// DMD: a dm+d release is loaded (not only the starter set); Source
	// says where the drug search looks.
	DMD    bool
	Source string
	// The prescriber's type; OnBehalf is the prescriber chosen to
	// prescribe on behalf of (PractitionerRole id), from Prescribers;
	// CMP the supplementary prescriber's confirmation of the plan.
	Type        clinical.PrescriberType
	OnBehalf    string
	Prescribers []clinical.Choice
	CMP         bool
	EPSNotice   string
	// SLS: the prescriber confirms the patient meets the Selected List
	// Scheme's conditions (for a product in it; clinical/tariff.go).
	// OfferSLS shows the box: the medicine chosen, or one of those
	// found, is in the scheme (or the box was ticked).
	SLS, OfferSLS bool
	// Preparing: the user is a clinician who is not a prescriber, and
	// prepares the prescription for a prescriber to authorise. Prepared
	// (and its version) is the prepared prescription a prescriber is
	// authorising, PreparedBy who prepared it.
	Preparing                             bool
	Prepared, PreparedVersion, PreparedBy string
	// Inst is an instalment prescription's part of the form (E00098),
	// with the choices of when the patient collects and the weekdays.
	Inst                instalmentFields
	Intervals, Weekdays []clinical.Choice
	SupervisedChoices   []clinical.Choice
}

// instalmentFields are the instalment fields as typed.
type instalmentFields struct {
	Amount, Interval, Supervised string
	Days                         []string
	Start                        rxDate
}

// On reports a collection day chosen, for its checkbox.
func (f instalmentFields) On(day string) bool { return slices.Contains(f.Days, day) }

// instalmentFieldsOf reads the instalment fields of a posted form.
func instalmentFieldsOf(f url.Values) instalmentFields {
	return instalmentFields{Amount: strings.TrimSpace(f.Get("instalment-amount")), Interval: f.Get("instalment-interval"),
		Supervised: f.Get("instalment-supervised"), Days: f["instalment-days"], Start: rxDateOf(f, "instalment-start")}
}

// fieldsOfInstalments is a prescription's instalments as the form shows
// them (a prepared prescription being authorised).
func fieldsOfInstalments(in clinical.Instalments) instalmentFields {
	out := instalmentFields{Amount: in.Amount, Interval: in.Interval, Supervised: in.Supervised, Days: in.Days}
	if t, err := time.Parse("2006-01-02", in.Start); err == nil {
		out.Start = rxDate{Day: strconv.Itoa(t.Day()), Month: strconv.Itoa(int(t.Month())), Year: strconv.Itoa(t.Year())}
	}
	return out
}

func (ws *Workspace) prescribeBase(w http.ResponseWriter, r *http.Request, v *visit) (*prescribePage, clinical.Prescriber, bool) {
	base, ok := ws.entriesBase(w, r, v, "Prescribe", "Medication", "MedicationRequest")
	if !ok {
		return nil, clinical.Prescriber{}, false
	}
	who, refusal := ws.prescriber(r.Context(), v)
	preparing := false
	if refusal != "" {
		// A clinician who is not a prescriber prepares (never authorises).
		if !v.user.Role.IsClinician() || !base.MayWrite {
			ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", refusal)
			return nil, clinical.Prescriber{}, false
		}
		preparing = true
	}
	p := &prescribePage{Preparing: preparing, entriesPage: base, Courses: clinical.PrescriptionCourses, Notice: clinical.InteractionsNotice,
		Connected: ws.interactions().Connected(), DMD: ws.dmdConnected(r.Context()),
		Intervals: clinical.InstalmentIntervals, Weekdays: clinical.Weekdays, SupervisedChoices: []clinical.Choice{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}}}
	p.Type = who.Type
	if preparing {
		p.Prescribers = nil
	}
	if !ws.eps().Connected() {
		p.EPSNotice = eps.Notice
	}
	p.Prescribers = ws.otherPrescribers(r.Context(), v, who)
	p.Source = "Medicines come from a short built-in list of dm+d products"
	if p.DMD {
		p.Source = "Medicines come from dm+d: generics first, then brands; each product not to be prescribed, unavailable, not on the NHS (Drug Tariff Part XVIIIA), to be prescribed by brand, in the Selected List Scheme or controlled is marked"
	}
	return p, who, true
}

// CommonDoses are the doses the form offers as the prescriber types:
// for the chosen medicine, else for those the drug search found
// (clinical.CommonDoses, by the product's form).
func (p *prescribePage) CommonDoses() []string {
	if p.Medicine.Chosen.Display != "" {
		return clinical.CommonDoses(p.Medicine.Chosen.Display)
	}
	var names []string
	for _, c := range p.Medicine.Picks {
		names = append(names, c.Display)
	}
	return clinical.CommonDoses(names...)
}

func (ws *Workspace) prescribeForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.prescribeBase(w, r, v)
	if !ok {
		return
	}
	p.Course = "acute"
	if id := r.URL.Query().Get("prepared"); id != "" && !p.Preparing {
		prop, err := ws.preparedToAuthorise(r.Context(), p.Banner.ID, id)
		if err != nil {
			ws.entryFailed(w, r, v, err)
			return
		}
		rx := clinical.PrescriptionFromPrepared(prop)
		if m, ok, err := ws.medicine(r.Context(), clinical.MedicineCodes([]fhir.Resource{prop})[0]); err == nil && ok {
			rx.Medicine = m
		}
		p.Prepared, p.PreparedVersion, p.PreparedBy = prop.ID(), versionOfRes(prop), clinical.PreparedRows([]fhir.Resource{prop})[0].PreparedBy
		p.Medicine.Chosen = clinical.Concept{Code: rx.Medicine.Code, Display: rx.Medicine.Name}
		p.Dose, p.Quantity, p.Days, p.Course, p.Issues, p.Unit, p.Delayed = rx.Dose, rx.Quantity, rx.Days, rx.Course, rx.Issues, rx.Medicine.Unit, rx.Delayed
		p.Inst = fieldsOfInstalments(rx.Instalments)
		p.OfferSLS = rx.Medicine.SLS // the prescriber confirms it, not the preparer
		if t, err := time.Parse("2006-01-02", rx.Review); err == nil {
			p.Review = rxDate{Day: strconv.Itoa(t.Day()), Month: strconv.Itoa(int(t.Month())), Year: strconv.Itoa(t.Year())}
		}
	}
	if id := r.URL.Query().Get("from"); id != "" && !p.Preparing {
		old, err := ws.repeatToReauthorise(r.Context(), p.Banner.ID, id)
		if err != nil {
			ws.entryFailed(w, r, v, err)
			return
		}
		rx := clinical.PrescriptionFrom(old)
		if m, ok, err := ws.medicine(r.Context(), clinical.MedicineCodes([]fhir.Resource{old})[0]); err == nil && ok {
			rx.Medicine = m
		}
		p.From, p.FromVersion, p.FromName = old.ID(), versionOfRes(old), clinical.MedicineName(old)
		p.Medicine.Chosen = clinical.Concept{Code: rx.Medicine.Code, Display: rx.Medicine.Name}
		p.Dose, p.Quantity, p.Days, p.Course, p.Issues, p.Unit = rx.Dose, rx.Quantity, rx.Days, rx.Course, rx.Issues, rx.Medicine.Unit
		p.OfferSLS = rx.Medicine.SLS // confirmed again at each reauthorisation
	}
	ws.pages.Render(w, "medication-prescribe", http.StatusOK, p)
}

// preparedToAuthorise reads a prepared prescription of the patient's
// still waiting for a prescriber.
func (ws *Workspace) preparedToAuthorise(ctx context.Context, patientID, id string) (fhir.Resource, error) {
	prop, err := ws.read(ctx, "MedicationRequest", id)
	if err != nil {
		return nil, err
	}
	if !entryBelongsTo(prop, patientID) {
		return nil, errWrongPatient
	}
	if !clinical.IsPrepared(prop) {
		return nil, fhir.Errorf(http.StatusConflict, fhir.CodeConflict, "not a prescription waiting to be authorised")
	}
	return prop, nil
}

// repeatToReauthorise reads a repeat authorisation of the patient's that
// may be reauthorised: active, a repeat, an authorisation (not an issue).
func (ws *Workspace) repeatToReauthorise(ctx context.Context, patientID, id string) (fhir.Resource, error) {
	old, err := ws.read(ctx, "MedicationRequest", id)
	if err != nil {
		return nil, err
	}
	if !entryBelongsTo(old, patientID) {
		return nil, errWrongPatient
	}
	if _, issue := old["basedOn"]; issue || old["status"] != "active" {
		return nil, fhir.Errorf(http.StatusConflict, fhir.CodeConflict, "not an active repeat")
	}
	return old, nil
}

func versionOfRes(res fhir.Resource) string {
	meta, _ := res["meta"].(map[string]any)
	v, _ := meta["versionId"].(string)
	return v
}

// prescribe checks the prescription, shows its safety warnings until the
// prescriber overrides them with a reason, and then writes in one
// transaction the authorisation, its first issue (an acute) and a
// DetectedIssue per warning overridden.
func (ws *Workspace) prescribe(w http.ResponseWriter, r *http.Request, v *visit) {
	p, who, ok := ws.prescribeBase(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	f := r.PostForm
	var med clinical.Medicine
	var err error
	if p.Medicine, med, err = ws.parseMedicine(r.Context(), f, "medicine"); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Dose, p.Quantity, p.Days = strings.TrimSpace(f.Get("dose")), strings.TrimSpace(f.Get("quantity")), strings.TrimSpace(f.Get("days"))
	p.Course, p.Issues, p.Review = f.Get("course"), strings.TrimSpace(f.Get("issues")), rxDateOf(f, "review")
	p.Reason = strings.TrimSpace(f.Get("reason"))
	p.Delayed = f.Get("delayed") == "yes"
	p.Inst = instalmentFieldsOf(f)
	p.OnBehalf, p.CMP = f.Get("on-behalf"), f.Get("cmp") == "yes"
	p.SLS = f.Get("sls") == "yes"
	p.OfferSLS = offerSLS(p.Medicine, med, p.SLS)
	p.From, p.FromVersion, p.FromName = f.Get("from"), f.Get("from-version"), f.Get("from-name")
	p.Prepared, p.PreparedVersion, p.PreparedBy = f.Get("prepared"), f.Get("prepared-version"), f.Get("prepared-by")
	if p.Preparing {
		p.From, p.Prepared, p.OnBehalf = "", "", ""
	}
	if rxFinding(f) {
		ws.pages.Render(w, "medication-prescribe", http.StatusOK, p)
		return
	}
	rx := clinical.Prescription{Dose: p.Dose, Quantity: p.Quantity, Days: p.Days, Course: p.Course, Issues: p.Issues, Delayed: p.Delayed, By: who, SLS: p.SLS}
	onBehalfErr := ""
	if p.OnBehalf != "" {
		label := clinical.ChoiceLabel(p.Prescribers, p.OnBehalf)
		if label == "" {
			onBehalfErr = "Choose the prescriber from the list"
		} else {
			rx.OnBehalf = clinical.Ref{Reference: "PractitionerRole/" + p.OnBehalf, Display: label}
		}
	}
	var old fhir.Resource
	if p.From != "" {
		var err error
		if old, err = ws.repeatToReauthorise(r.Context(), p.Banner.ID, p.From); err != nil {
			ws.entryFailed(w, r, v, err)
			return
		}
		rx.Prior = "MedicationRequest/" + p.From
		if p.Course != "repeat" {
			errs := map[string]string{"course": "A repeat is reauthorised as a repeat: select Repeat, or stop it and prescribe an acute"}
			fieldErrors(&p.page, errs, []string{"course"})
			ws.pages.Render(w, "medication-prescribe", http.StatusUnprocessableEntity, p)
			return
		}
	}
	if med.Code != "" {
		rx.Medicine, p.Unit = med, med.Unit
	}
	var reviewErr, startErr string
	if p.Course == "repeat" {
		rx.Review, reviewErr = clinical.ParseDay(p.Review.Day, p.Review.Month, p.Review.Year, "the review date", true)
	}
	if p.Course == clinical.InstalmentCourse {
		rx.Instalments = clinical.Instalments{Amount: p.Inst.Amount, Interval: p.Inst.Interval, Days: p.Inst.Days, Supervised: p.Inst.Supervised}
		rx.Instalments.Start, startErr = clinical.ParseDay(p.Inst.Start.Day, p.Inst.Start.Month, p.Inst.Start.Year, "the date of the first instalment", false)
	}
	errs := rx.Check(ws.opts.Now())
	if reviewErr != "" {
		errs["review"] = reviewErr
	}
	if startErr != "" {
		errs["instalment-start"] = startErr
	}
	if msg, ok := errs["instalment-start"]; ok {
		delete(errs, "instalment-start")
		errs["instalment-start-day"] = msg
	}
	if med.Code != "" {
		for k, msg := range who.MayPrescribe(med, p.OnBehalf, p.CMP) {
			if _, set := errs[k]; !set {
				errs[k] = msg
			}
		}
	}
	if onBehalfErr != "" {
		errs["on-behalf"] = onBehalfErr
	}
	if msg, ok := errs["review"]; ok {
		delete(errs, "review")
		errs["review-day"] = msg
	}
	if len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"medicine", "sls", "on-behalf", "cmp", "dose", "quantity", "days", "course", "delayed", "issues", "review-day",
			"instalment-amount", "instalment-interval", "instalment-days", "instalment-start-day", "instalment-supervised"})
		ws.pages.Render(w, "medication-prescribe", http.StatusUnprocessableEntity, p)
		return
	}
	if p.Preparing {
		// Prepared, not authorised: the prescriber who authorises it sees
		// the safety warnings and answers them.
		who := ws.entryAuthor(r.Context(), v)
		if err := ws.addEntry(r.Context(), p.Banner.ID, rx.Prepared(p.Banner.ID, who, ws.opts.Now()), who); err != nil {
			ws.entryFailed(w, r, v, err)
			return
		}
		http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=prepared", http.StatusSeeOther)
		return
	}
	var prop fhir.Resource
	if p.Prepared != "" {
		if prop, err = ws.preparedToAuthorise(r.Context(), p.Banner.ID, p.Prepared); err != nil {
			ws.entryFailed(w, r, v, err)
			return
		}
	}
	in, err := ws.safetyInput(r.Context(), *p.Banner)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	in.Medicine, in.Dose = rx.Medicine, rx.Dose
	if err := ws.readMonitoringResults(r.Context(), &in, p.Banner.ID, rx.Medicine); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if old != nil {
		in.Medications = clinical.WithoutCourse(in.Medications, rx.Prior) // not a duplicate of itself
	}
	in.Quantity, _ = strconv.Atoi(rx.Quantity)
	in.Days, _ = strconv.Atoi(rx.Days)
	p.Warnings = clinical.SafetyChecks(in, ws.interactions())
	digest := warningsDigest(p.Warnings)
	if len(p.Warnings) > 0 {
		// The warnings must have been shown (the same ones: the record
		// may have changed since) and overridden with a reason.
		seen := f.Get("seen") == digest
		p.Seen = digest
		if !seen {
			ws.pages.Render(w, "medication-prescribe", http.StatusOK, p)
			return
		}
		if msg := clinical.CheckOverrideReason(p.Reason); msg != "" {
			fieldErrors(&p.page, map[string]string{"reason": msg}, []string{"reason"})
			ws.pages.Render(w, "medication-prescribe", http.StatusUnprocessableEntity, p)
			return
		}
	}
	now := ws.opts.Now()
	authRef := "urn:uuid:" + fhir.NewUUID()
	var plan clinical.Plan
	var issues []any
	for _, wn := range p.Warnings {
		ref := "urn:uuid:" + fhir.NewUUID()
		plan.Changes = append(plan.Changes, clinical.Change{Ref: ref, Resource: clinical.Override(wn, p.Banner.ID, authRef, who.Ref, p.Reason, now)})
		issues = append(issues, map[string]any{"reference": ref})
	}
	issued := 0
	switch rx.Course {
	case "acute", clinical.InstalmentCourse:
		issued = 1
	case "repeat-dispensing":
		issued, _ = strconv.Atoi(strings.TrimSpace(rx.Issues)) // the batch, issued at once
	}
	auth := rx.Authorisation(p.Banner.ID, who.Ref, issued, issues, now)
	plan.Changes = append([]clinical.Change{{Ref: authRef, Resource: auth}}, plan.Changes...)
	if rx.Course == "acute" || rx.Course == "repeat-dispensing" || rx.Course == clinical.InstalmentCourse {
		ready, err := ws.epsReady(r.Context(), v, p.Banner.ID)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		issue, err := ready(clinical.IssueBy(auth, authRef, who, now))
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		plan.Changes = append(plan.Changes, clinical.Change{Ref: "urn:uuid:" + fhir.NewUUID(), Resource: issue})
	}
	if old != nil {
		// The old authorisation is completed in the same transaction,
		// If-Match the version the prescriber saw.
		if p.FromVersion == "" {
			ws.entryFailed(w, r, v, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "no version given"))
			return
		}
		plan.Changes = append(plan.Changes, clinical.Change{Ref: rx.Prior, Resource: clinical.Reauthorised(old), Version: p.FromVersion})
	}
	if prop != nil {
		// The prepared prescription is completed in the same
		// transaction, If-Match the version the prescriber opened.
		if p.PreparedVersion == "" {
			ws.entryFailed(w, r, v, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "no version given"))
			return
		}
		plan.Changes = append(plan.Changes, clinical.Change{Ref: "MedicationRequest/" + p.Prepared, Resource: clinical.PreparedAuthorised(prop, who.Ref), Version: p.PreparedVersion})
	}
	reason := "" // a Provenance is written only when an existing resource changes
	switch {
	case old != nil:
		reason = "Reauthorised"
	case prop != nil:
		reason = "Prepared prescription authorised"
	}
	if _, err := ws.write(r.Context(), plan, p.Banner.ID, who.Ref, reason); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	saved := "prescribed"
	switch {
	case old != nil:
		saved = "reauthorised"
	case rx.Course == "repeat":
		saved = "authorised"
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved="+saved, http.StatusSeeOther)
}

// offerSLS reports whether the prescribing form shows the SLS box: the
// medicine chosen or one of the products found is in the Selected List
// Scheme, or the box was ticked (kept as typed).
func offerSLS(c rxCode, med clinical.Medicine, ticked bool) bool {
	if ticked || med.SLS {
		return true
	}
	for _, notes := range c.Notes {
		for _, n := range notes {
			if n.Text == clinical.MarkSLS {
				return true
			}
		}
	}
	return false
}

// warningsDigest names a set of warnings, so that an override answers
// exactly the warnings shown.
func warningsDigest(ws []clinical.Warning) string {
	h := sha256.New()
	for _, w := range ws {
		h.Write([]byte(w.Kind + "\x00" + w.Severity + "\x00" + w.Text + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// otherPrescribers are the practice's independent prescribers other than
// who, as choices (PractitionerRole id, name and type), for prescribing on
// behalf of one of them.
func (ws *Workspace) otherPrescribers(ctx context.Context, v *visit, who clinical.Prescriber) []clinical.Choice {
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: "PractitionerRole",
		Params: url.Values{"organization": {"Organization/" + v.user.Practice}, "active": {"true"}, "_count": {"200"}}})
	if err != nil {
		return nil
	}
	var cs []clinical.Choice
	for _, role := range searchMatches(out.Resource) {
		if !clinical.IsPrescriber(role) || "PractitionerRole/"+role.ID() == who.Reference {
			continue
		}
		t, _ := clinical.PrescriberTypeOf(clinical.PrescriberTypeOfRole(role, ""))
		if t.Supplementary || t.Key == "registrar" {
			continue // an alternate authorising prescriber is an independent one
		}
		prac, _ := role["practitioner"].(map[string]any)
		name, _ := prac["display"].(string)
		if name == "" {
			name = "Prescriber " + role.ID()
		}
		cs = append(cs, clinical.Choice{Key: role.ID(), Label: name + " (" + t.Label + ")"})
	}
	return cs
}
