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
	p, ok := ws.medicationPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.Prescriber {
		ws.message(w, r, v, http.StatusForbidden, "Not a prescriber", p.Refusal)
		return
	}
	who, _ := ws.prescriber(r.Context(), v)
	ids := r.PostForm["issue"]
	p.Selected = map[string]bool{}
	for _, id := range ids {
		p.Selected[id] = true
	}
	if len(ids) == 0 {
		fieldErrors(&p.page, map[string]string{"issue": "Select the repeats to issue"}, []string{"issue"})
		ws.pages.Render(w, "medication", http.StatusUnprocessableEntity, p)
		return
	}
	now := ws.opts.Now()
	in, err := ws.safetyInputWith(r.Context(), *p.Banner, p.meds, p.statements)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	type pending struct {
		id, version string
		auth        fhir.Resource
		warnings    []clinical.Warning
	}
	var todo []pending
	var problems []string
	// The patient's medicines were just read for the checks: the repeats
	// come from there (one search, not a read each); the write is still
	// If-Match the version the prescriber saw.
	current := map[string]fhir.Resource{}
	for _, m := range in.Medications {
		if m.Type() == "MedicationRequest" {
			current[m.ID()] = m
		}
	}
	for _, id := range ids {
		auth, ok := current[id]
		if !ok {
			var err error
			if auth, err = ws.read(r.Context(), "MedicationRequest", id); err != nil {
				ws.entryFailed(w, r, v, err)
				return
			}
		}
		if !entryBelongsTo(auth, p.Banner.ID) {
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
		warns := clinical.IssueWarnings(in, auth, ws.overridden(r.Context(), auth), ws.interactions())
		p.IssueWarnings = append(p.IssueWarnings, warns...)
		todo = append(todo, pending{id: id, version: version, auth: auth, warnings: warns})
	}
	if len(problems) > 0 {
		p.IssueWarnings = nil
		errs := map[string]string{"issue": "Nothing was issued. " + problems[0]}
		fieldErrors(&p.page, errs, []string{"issue"})
		ws.pages.Render(w, "medication", http.StatusUnprocessableEntity, p)
		return
	}
	if len(p.IssueWarnings) > 0 {
		p.Seen = warningsDigest(p.IssueWarnings)
		p.Reason = strings.TrimSpace(r.PostFormValue("reason"))
		if r.PostFormValue("seen") != p.Seen {
			ws.pages.Render(w, "medication", http.StatusOK, p)
			return
		}
		if msg := clinical.CheckOverrideReason(p.Reason); msg != "" {
			fieldErrors(&p.page, map[string]string{"reason": msg}, []string{"reason"})
			ws.pages.Render(w, "medication", http.StatusUnprocessableEntity, p)
			return
		}
	}
	var plan clinical.Plan
	for _, t := range todo {
		issueRef := "urn:uuid:" + entryUUID()
		issue := clinical.IssueOf(t.auth, "MedicationRequest/"+t.id, who, now)
		var refs []any
		for _, wn := range t.warnings {
			ref := "urn:uuid:" + entryUUID()
			plan.Changes = append(plan.Changes, clinical.Change{Ref: ref, Resource: clinical.Override(wn, p.Banner.ID, issueRef, who, p.Reason, now)})
			refs = append(refs, map[string]any{"reference": ref})
		}
		if len(refs) > 0 {
			issue["detectedIssue"] = refs
		}
		plan.Changes = append(plan.Changes,
			clinical.Change{Ref: "MedicationRequest/" + t.id, Resource: clinical.Issued(t.auth), Version: t.version},
			clinical.Change{Ref: issueRef, Resource: issue})
	}
	if _, err := ws.write(r.Context(), plan, p.Banner.ID, who, "Repeat issued"); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/medication?saved=issued", http.StatusSeeOther)
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
