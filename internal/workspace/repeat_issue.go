package workspace

import (
	"context"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Issuing repeats, shared by the Medication tab (medication_issue.go)
// and the prescriptions queue (prescriptions.go, prescription.go): the
// repeats are read and checked (clinical.CheckIssue, and the Drug
// Tariff's blacklist and SLS by clinical.CheckTariffIssue), the safety checks
// run again (clinical.IssueWarnings), and the plan is one transaction of
// each authorisation's new issue count (If-Match the version the
// prescriber saw) with its issue and the DetectedIssues of any warning
// overridden. One code path, so a request approved from the queue is
// issued exactly as from the tab.

// pendingIssue is one repeat to issue, at the version the page showed.
type pendingIssue struct {
	id, version string
	auth        fhir.Resource
}

// repeatCheck is a patient's repeats checked for issue.
type repeatCheck struct {
	todo []pendingIssue
	// problems are why some may not be issued (stopped, out of issues,
	// past review, no version shown): nothing is issued.
	problems []string
	// warnings are each repeat's warnings (as todo), all of them in all.
	warnings [][]clinical.Warning
	all      []clinical.Warning
}

// checkRepeats reads the repeats ids of the patient, with version(id)
// the version the page showed, and checks them; the safety checks run
// only when every one may be issued. errWrongPatient when one is another
// patient's.
func (ws *Workspace) checkRepeats(ctx context.Context, patient clinical.Banner, ids []string, version func(string) string, now time.Time) (*repeatCheck, error) {
	meds, sts, err := ws.currentMedication(ctx, patient.ID)
	if err != nil {
		return nil, err
	}
	current := map[string]fhir.Resource{}
	for _, m := range meds {
		current[m.ID()] = m
	}
	c := &repeatCheck{}
	history := false
	for _, id := range ids {
		auth, ok := current[id]
		if !ok {
			if auth, err = ws.read(ctx, "MedicationRequest", id); err != nil {
				return nil, err
			}
		}
		if !entryBelongsTo(auth, patient.ID) {
			return nil, errWrongPatient
		}
		if msg := clinical.CheckIssue(auth, now); msg != "" {
			c.problems = append(c.problems, msg)
			continue
		}
		// The Drug Tariff's restrictions as dm+d has them now: a product
		// blacklisted, or put in the SLS, since it was authorised.
		if codes := clinical.MedicineCodes([]fhir.Resource{auth}); len(codes) > 0 {
			m, known, err := ws.medicine(ctx, codes[0])
			if err != nil {
				return nil, err
			}
			if msg := clinical.CheckTariffIssue(auth, m); known && msg != "" {
				c.problems = append(c.problems, msg)
				continue
			}
		}
		v := version(id)
		if v == "" {
			c.problems = append(c.problems, "The page did not say which version of a repeat you saw: reload it and try again")
			continue
		}
		if _, recorded := clinical.LastIssueOf(auth); !recorded && clinical.RepeatStateOf(auth, now).Issued > 0 {
			history = true // issued before the last issue was recorded on it
		}
		c.todo = append(c.todo, pendingIssue{id: id, version: v, auth: auth})
	}
	if len(c.problems) > 0 {
		return c, nil
	}
	if history {
		// The early re-issue check of such a repeat needs its issues.
		if meds, _, err = ws.allMedicationEntries(ctx, "MedicationRequest", patient.ID); err != nil {
			return nil, err
		}
	}
	// The checks' input is read once for all the repeats: allergies,
	// problems, current medicines and their dm+d products.
	in, err := ws.safetyInputWith(ctx, patient, meds, sts)
	if err != nil {
		return nil, err
	}
	var todo []clinical.Medicine
	for _, t := range c.todo {
		todo = append(todo, clinical.MedicineOfRequest(t.auth, in.Known))
	}
	if err := ws.readMonitoringResults(ctx, &in, patient.ID, todo...); err != nil {
		return nil, err
	}
	c.warnings = make([][]clinical.Warning, len(c.todo))
	for i, t := range c.todo {
		c.warnings[i] = clinical.IssueWarnings(in, t.auth, ws.overridden(ctx, t.auth), ws.interactions())
		c.all = append(c.all, c.warnings[i]...)
	}
	return c, nil
}

// issuePlan is the transaction issuing the checked repeats, each warning
// kept as a DetectedIssue with the reason; issues are the references the
// new issues have in it.
func (ws *Workspace) issuePlan(ctx context.Context, v *visit, patientID string, c *repeatCheck, who clinical.Prescriber, reason string, now time.Time) (plan clinical.Plan, issues []string, err error) {
	ready, err := ws.epsReady(ctx, v, patientID)
	if err != nil {
		return plan, nil, err
	}
	for i, t := range c.todo {
		issueRef := "urn:uuid:" + fhir.NewUUID()
		issue, err := ready(clinical.IssueBy(t.auth, "MedicationRequest/"+t.id, who, now))
		if err != nil {
			return plan, nil, err
		}
		var refs []any
		for _, wn := range c.warnings[i] {
			ref := "urn:uuid:" + fhir.NewUUID()
			plan.Changes = append(plan.Changes, clinical.Change{Ref: ref, Resource: clinical.Override(wn, patientID, issueRef, who.Ref, reason, now)})
			refs = append(refs, map[string]any{"reference": ref})
		}
		if len(refs) > 0 {
			issue["detectedIssue"] = refs
		}
		plan.Changes = append(plan.Changes,
			clinical.Change{Ref: "MedicationRequest/" + t.id, Resource: clinical.Issued(t.auth, now), Version: t.version},
			clinical.Change{Ref: issueRef, Resource: issue})
		issues = append(issues, issueRef)
	}
	return plan, issues, nil
}
