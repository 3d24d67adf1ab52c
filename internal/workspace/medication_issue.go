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
	c, err := ws.checkRepeats(r.Context(), *base.Banner, ids, func(id string) string { return r.PostFormValue("version-" + id) }, now)
	if err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	if len(c.problems) > 0 {
		refuse(http.StatusUnprocessableEntity, map[string]string{"issue": "Nothing was issued. " + c.problems[0]}, nil)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(c.all) > 0 {
		if r.PostFormValue("seen") != warningsDigest(c.all) {
			refuse(http.StatusOK, nil, c.all)
			return
		}
		if msg := clinical.CheckOverrideReason(reason); msg != "" {
			refuse(http.StatusUnprocessableEntity, map[string]string{"reason": msg}, c.all)
			return
		}
	}
	plan, _, err := ws.issuePlan(r.Context(), v, base.Banner.ID, c, who, reason, now)
	if err != nil {
		ws.failed(w, r, v, err)
		return
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
