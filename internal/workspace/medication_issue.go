package workspace

import (
	"context"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// issueRepeats issues the repeats selected on the Medication tab in one
// transaction: for each, its authorisation's issue count goes up (a new
// version, If-Match the version the prescriber saw, so that a double
// click or a colleague's issue in between issues nothing twice) and an
// issue (intent order, basedOn the authorisation) is created. One repeat
// that may not be issued (stopped, out of issues, past its review)
// refuses them all, naming it. The safety checks run again: a warning
// not overridden at authorisation (an allergy recorded since, a new
// interacting medicine, an early issue) is shown, and the issue goes
// ahead only with a reason, kept as a DetectedIssue on the issue.
func (ws *Workspace) issueRepeats(w http.ResponseWriter, r *http.Request, v *visit) {
	base, ok := ws.entriesBase(w, r, v, "Medication", "Medication", "MedicationRequest")
	if !ok || !ws.samePatient(w, r, v, *base.Banner) {
		return
	}
	who, refusal := ws.prescriber(r.Context(), v)
	if refusal != "" {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", refusal)
		return
	}
	ids := r.PostForm["issue"]
	// refuse shows the tab again (read in full) with the selection kept
	// and the error or the warnings to override: the rare path, so the
	// issue itself reads only what its checks need.
	refuse := func(status int, errs map[string]string, warnings []clinical.Warning) {
		p, ok := ws.medicationPage(w, r, v)
		if !ok {
			return
		}
		p.Selected = map[string]bool{}
		for _, id := range ids {
			p.Selected[id] = true
		}
		p.IssueWarnings = warnings
		if len(warnings) > 0 {
			p.Seen, p.Reason = warningsDigest(warnings), strings.TrimSpace(r.PostFormValue("reason"))
		}
		if len(errs) > 0 {
			fieldErrors(&p.page, errs, []string{"issue", "reason"})
		}
		ws.pages.Render(w, "medication", status, p)
	}
	if len(ids) == 0 {
		refuse(http.StatusUnprocessableEntity, map[string]string{"issue": "Select the repeats to issue"}, nil)
		return
	}
	now := ws.opts.Now()
	meds, sts, err := ws.currentMedication(r.Context(), base.Banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	current := map[string]fhir.Resource{}
	for _, m := range meds {
		current[m.ID()] = m
	}
	type pending struct {
		id, version string
		auth        fhir.Resource
	}
	var todo []pending
	var problems []string
	history := false
	for _, id := range ids {
		auth, ok := current[id]
		if !ok {
			var err error
			if auth, err = ws.read(r.Context(), "MedicationRequest", id); err != nil {
				ws.entryFailed(w, r, v, err)
				return
			}
		}
		if !entryBelongsTo(auth, base.Banner.ID) {
			ws.entryFailed(w, r, v, errWrongPatient)
			return
		}
		if msg := clinical.CheckIssue(auth, now); msg != "" {
			problems = append(problems, msg)
			continue
		}
		version := r.PostFormValue("version-" + id)
		if version == "" {
			problems = append(problems, "The page did not say which version of a repeat you saw: reload it and try again")
			continue
		}
		if _, recorded := clinical.LastIssueOf(auth); !recorded && clinical.RepeatStateOf(auth, now).Issued > 0 {
			history = true // issued before the last issue was recorded on it
		}
		todo = append(todo, pending{id: id, version: version, auth: auth})
	}
	if len(problems) > 0 {
		refuse(http.StatusUnprocessableEntity, map[string]string{"issue": "Nothing was issued. " + problems[0]}, nil)
		return
	}
	if history {
		// The early re-issue check of such a repeat needs its issues.
		if meds, _, err = ws.allMedicationEntries(r.Context(), "MedicationRequest", base.Banner.ID); err != nil {
			ws.failed(w, r, v, err)
			return
		}
	}
	// The checks' input is read once for all the repeats: allergies,
	// problems, current medicines and their dm+d products.
	in, err := ws.safetyInputWith(r.Context(), *base.Banner, meds, sts)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	var all []clinical.Warning
	warnings := make([][]clinical.Warning, len(todo))
	for i, t := range todo {
		warnings[i] = clinical.IssueWarnings(in, t.auth, ws.overridden(r.Context(), t.auth), ws.interactions())
		all = append(all, warnings[i]...)
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(all) > 0 {
		if r.PostFormValue("seen") != warningsDigest(all) {
			refuse(http.StatusOK, nil, all)
			return
		}
		if msg := clinical.CheckOverrideReason(reason); msg != "" {
			refuse(http.StatusUnprocessableEntity, map[string]string{"reason": msg}, all)
			return
		}
	}
	ready, err := ws.epsReady(r.Context(), v, base.Banner.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	var plan clinical.Plan
	for i, t := range todo {
		issueRef := "urn:uuid:" + fhir.NewUUID()
		issue, err := ready(clinical.IssueBy(t.auth, "MedicationRequest/"+t.id, who, now))
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		var refs []any
		for _, wn := range warnings[i] {
			ref := "urn:uuid:" + fhir.NewUUID()
			plan.Changes = append(plan.Changes, clinical.Change{Ref: ref, Resource: clinical.Override(wn, base.Banner.ID, issueRef, who.Ref, reason, now)})
			refs = append(refs, map[string]any{"reference": ref})
		}
		if len(refs) > 0 {
			issue["detectedIssue"] = refs
		}
		plan.Changes = append(plan.Changes,
			clinical.Change{Ref: "MedicationRequest/" + t.id, Resource: clinical.Issued(t.auth, now), Version: t.version},
			clinical.Change{Ref: issueRef, Resource: issue})
	}
	if _, err := ws.write(r.Context(), plan, base.Banner.ID, who.Ref, "Repeat issued"); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+base.Banner.ID+"/medication?saved=issued", http.StatusSeeOther)
}

// overridden are the warnings overridden when an authorisation was made:
// its DetectedIssues' details, read as the user.
func (ws *Workspace) overridden(ctx context.Context, auth fhir.Resource) []string {
	var out []string
	refs, _ := auth["detectedIssue"].([]any)
	for _, ref := range refs {
		m, _ := ref.(map[string]any)
		s, _ := m["reference"].(string)
		if id, ok := strings.CutPrefix(s, "DetectedIssue/"); ok {
			if di, err := ws.read(ctx, "DetectedIssue", id); err == nil {
				d, _ := di["detail"].(string)
				out = append(out, d)
			}
		}
	}
	return out
}
