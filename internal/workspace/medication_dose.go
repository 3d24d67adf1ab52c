package workspace

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Changing the dose of a current repeat (issue #17): a new version of its
// authorisation, If-Match the version shown, with a note and a
// Provenance saying who changed it from what to what and why. Issues
// already made keep their dose (they are resources of their own); the
// next issue copies the new one. The dose rules are prescribing's
// (clinical.CheckDose) and the dose checks (daily maximum, quantity for
// the duration) run again on the new dose.

// dosePage is the change-of-dose form with the authorisation's doses so
// far (from its versions).
type dosePage struct {
	*entriesPage
	Row     clinical.MedicationRow
	History []clinical.DoseHistoryRow
	// Dose and Reason as typed; Warnings the new dose raises, Seen their
	// digest and Override the reason for going ahead despite them.
	Dose, Reason   string
	Warnings       []clinical.Warning
	Seen, Override string
	auth           fhir.Resource
	medicine       clinical.Medicine
	prescriberRef  clinical.Ref
}

func (ws *Workspace) doseBase(w http.ResponseWriter, r *http.Request, v *visit) (*dosePage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Change a dose", "Medication", "MedicationRequest")
	if !ok {
		return nil, false
	}
	who, refusal := ws.prescriber(r.Context(), v)
	if refusal != "" || !base.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", "Only a prescriber can change a dose. Your practice admin records who prescribes.")
		return nil, false
	}
	auth, err := ws.read(r.Context(), "MedicationRequest", r.PathValue("med"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	if !entryBelongsTo(auth, base.Banner.ID) || !clinical.ChangeableDose(auth) {
		ws.message(w, r, v, http.StatusNotFound, "Not a current repeat", "There is no such current repeat in this patient's record: only a current repeat's dose is changed. For an acute, prescribe again.")
		return nil, false
	}
	p := &dosePage{entriesPage: base, auth: auth, prescriberRef: who.Ref}
	if l := clinical.MedicationListOf([]fhir.Resource{auth}, ws.opts.Now()); len(l.Repeats) > 0 {
		p.Row = l.Repeats[0]
	}
	// The medicine as dm+d describes it (its daily maximum, schedule);
	// the schedule the authorisation recorded stands even if dm+d changed.
	if codes := clinical.MedicineCodes([]fhir.Resource{auth}); len(codes) > 0 {
		if m, ok, err := ws.medicine(r.Context(), codes[0]); err == nil && ok {
			p.medicine = m
		} else if m, ok := clinical.MedicineByCode(codes[0]); ok {
			p.medicine = m
		}
	}
	if s := clinical.ScheduleOfPrescription(auth); s > 0 {
		p.medicine.Schedule = s
	}
	versions, err := ws.versions(r.Context(), "MedicationRequest", auth.ID())
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, false
	}
	p.History = clinical.DoseHistory(versions)
	return p, true
}

func (ws *Workspace) doseForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.doseBase(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "medication-dose", http.StatusOK, p)
}

// changeDose checks the new dose, shows the warnings it raises until they
// are overridden with a reason, and writes the new version with the
// overrides as DetectedIssues on it (so that an issue does not warn
// again of what was answered).
func (ws *Workspace) changeDose(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.doseBase(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	p.Dose, p.Reason = strings.TrimSpace(r.PostFormValue("dose")), strings.TrimSpace(r.PostFormValue("reason"))
	p.Override = strings.TrimSpace(r.PostFormValue("override"))
	change := clinical.DoseChange{Dose: p.Dose, Reason: p.Reason}
	if errs := change.Check(p.auth, p.medicine); len(errs) > 0 {
		fieldErrors(&p.page, errs, []string{"dose", "reason"})
		ws.pages.Render(w, "medication-dose", http.StatusUnprocessableEntity, p)
		return
	}
	in, err := ws.safetyInput(r.Context(), *p.Banner)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	in.Medicine = p.medicine
	p.Warnings = clinical.DoseChangeWarnings(in, p.auth, p.Dose)
	if len(p.Warnings) > 0 {
		seen := warningsDigest(p.Warnings)
		if r.PostFormValue("seen") != seen {
			p.Seen = seen
			ws.pages.Render(w, "medication-dose", http.StatusOK, p)
			return
		}
		p.Seen = seen
		if msg := clinical.CheckOverrideReason(p.Override); msg != "" {
			fieldErrors(&p.page, map[string]string{"override": msg}, []string{"override"})
			ws.pages.Render(w, "medication-dose", http.StatusUnprocessableEntity, p)
			return
		}
	}
	if r.PostFormValue("version") == "" {
		ws.entryFailed(w, r, v, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "no version given"))
		return
	}
	now := ws.opts.Now()
	ref := "MedicationRequest/" + p.auth.ID()
	// The note's author is the user as a Practitioner (an Annotation's
	// author may not be a PractitionerRole); the overrides name the
	// prescriber's role, as prescribing's do.
	who := ws.entryAuthor(r.Context(), v)
	next := change.Apply(p.auth, who, now)
	var plan clinical.Plan
	for _, wn := range p.Warnings {
		id := "urn:uuid:" + fhir.NewUUID()
		plan.Changes = append(plan.Changes, clinical.Change{Ref: id, Resource: clinical.Override(wn, p.Banner.ID, ref, p.prescriberRef, p.Override, now)})
		issues, _ := next["detectedIssue"].([]any)
		next["detectedIssue"] = append(issues, map[string]any{"reference": id})
	}
	plan.Changes = append(plan.Changes, clinical.Change{Ref: ref, Resource: next, Version: r.PostFormValue("version")})
	if _, err := ws.write(r.Context(), plan, p.Banner.ID, who,
		clinical.DoseChangeText(p.Row.Dose, p.Dose, p.Reason)); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=dose", http.StatusSeeOther)
}

// versions reads every version of a resource as the user (its history,
// newest first, page by page).
func (ws *Workspace) versions(ctx context.Context, typ, id string) ([]fhir.Resource, error) {
	var out []fhir.Resource
	params := url.Values{"_count": {"1000"}} // the service's most: one page for decades of issues
	for page := 0; page < 50; page++ {
		res, err := ws.opts.Service.History(ctx, typ, id, params)
		if err != nil {
			return nil, err
		}
		entries, _ := res.Resource["entry"].([]any)
		for _, e := range entries {
			em, _ := e.(map[string]any)
			if r, err := asResource(em["resource"]); err == nil && r != nil {
				out = append(out, r)
			}
		}
		next := service.NextPage(res.Resource).Get("_cursor")
		if next == "" {
			return out, nil
		}
		params.Set("_cursor", next)
	}
	return nil, fmt.Errorf("more than 50 pages of %s/%s history", typ, id)
}

// asResource is a Bundle entry's resource however the service holds it.
func asResource(v any) (fhir.Resource, error) {
	switch r := v.(type) {
	case nil:
		return nil, nil
	case fhir.Resource:
		return r, nil
	case map[string]any:
		return r, nil
	case json.RawMessage: // the stored body: decoded once, not re-encoded
		return fhir.Unmarshal(r)
	}
	b, err := fhir.Marshal(v)
	if err != nil {
		return nil, err
	}
	return fhir.Unmarshal(b)
}
