package gpconnect

import (
	"cmp"
	"sort"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Diary entries (GP Connect 1.6 "Diary entry guidance"): the recalls
// still due (R4 ServiceRequest intent plan, category recall, status
// active: clinical.NewRecall) and the medication reviews due (the review
// date of the active repeat authorisations) as
// CareConnect-GPC-ProcedureRequest-1 in the Patient recall administration
// List (714311000000108), soonest first; done and cancelled recalls are
// not diary entries. diaryEntriesSearchDate keeps those due on or before
// it (overdue ones always).

// DiaryEntrySTU3 maps a recall: status active, intent plan, the due date
// as occurrenceDateTime, who set it as requester.agent (the practice when
// the record does not say), the kind of recall as reasonCode.
func DiaryEntrySTU3(sr fhir.Resource, practice string) fhir.Resource {
	out := base(sr, "ProcedureRequest", profileProcedureRequest)
	out["identifier"] = dataIdentifiers(sr, "diary-"+sr.ID())
	out["status"], out["intent"] = "active", "plan"
	copyKeys(out, sr, "code", "subject", "occurrenceDateTime", "occurrencePeriod", "reasonCode", "note")
	if enc, ok := sr["encounter"]; ok {
		out["context"] = enc
	}
	out["authoredOn"] = cmp.Or(str(sr["authoredOn"]), str(sr.Meta()["lastUpdated"]))
	agent := sr["requester"]
	if agent == nil {
		agent = map[string]any{"reference": "Organization/" + practice}
	}
	out["requester"] = map[string]any{"agent": agent}
	return out
}

func (p *Provider) diary(c *call, b *structuredBundle, patientID string, req *StructuredRequest, roles map[string]any) *Error {
	all, confidential, e := p.serviceRequests(c, b, patientID, clinical.RecallCategoryToken)
	if e != nil {
		return e
	}
	var entries []fhir.Resource
	for _, sr := range all {
		if str(sr["status"]) == "active" && str(sr["intent"]) == "plan" {
			entries = append(entries, DiaryEntrySTU3(sr, b.practice))
		}
	}
	// Medication reviews are diary entries (the specification: a system
	// with its own feature for them MUST send them): the review date of
	// the repeat authorisations still active, one entry per date.
	meds, e := p.record(c, b, "MedicationRequest", patientID)
	if e != nil {
		return e
	}
	reviews, someWithheld := MedicationReviewsSTU3(meds, patientID, p.opts.Now())
	confidential = confidential || someWithheld
	entries = append(entries, reviews...)
	var items []fhir.Resource
	for _, m := range entries {
		if due := dayOf(str(m["occurrenceDateTime"])); req.DiaryUntil != "" && due > req.DiaryUntil {
			continue
		}
		p.agents(c, b, m, roles)
		if obj(m["requester"])["agent"] == nil {
			m["requester"] = map[string]any{"agent": map[string]any{"reference": "Organization/" + b.practice}}
		}
		items = append(items, m)
	}
	sort.SliceStable(items, func(i, j int) bool {
		return str(items[i]["occurrenceDateTime"]) < str(items[j]["occurrenceDateTime"])
	})
	l := b.list("diary", patientID, items)
	if confidential {
		warn(l, "confidential-items")
	}
	return nil
}

// medicationReviewDue is the SNOMED CT concept the specification allows
// for a medication review diary entry.
const medicationReviewDue = "314529007"

// MedicationReviewsSTU3 are the medication reviews due of the active
// repeat authorisations (their review date, clinical.RepeatStateOf): one
// diary entry per date, naming the medicines to review in a note, set by
// the prescriber of the first. withheldSome reports an authorisation
// left out as confidential.
func MedicationReviewsSTU3(meds []fhir.Resource, patientID string, now time.Time) (entries []fhir.Resource, withheldSome bool) {
	byDate := map[string]fhir.Resource{}
	var dates []string
	for _, m := range meds {
		if str(m["intent"]) != "plan" || str(m["status"]) != "active" || enteredInError(m) {
			continue
		}
		review := clinical.RepeatStateOf(m, now).Review
		if review == "" {
			continue
		}
		if withheld(m) {
			withheldSome = true
			continue
		}
		day := dayOf(review)
		what := firstText(m["medicationCodeableConcept"])
		if e := byDate[day]; e != nil {
			if what != "" {
				e["note"] = append(list(e["note"]), map[string]any{"text": "Review of: " + what})
			}
			continue
		}
		id := "medication-review-" + day
		e := fhir.Resource{"resourceType": "ProcedureRequest", "id": id,
			"meta":       map[string]any{"profile": []any{profileProcedureRequest}},
			"identifier": []any{map[string]any{"system": dataIdentifierSystem, "value": id + "-" + patientID}},
			"status":     "active", "intent": "plan",
			"code": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": medicationReviewDue,
				"display": "Medication review due"}}},
			"subject":            map[string]any{"reference": "Patient/" + patientID},
			"occurrenceDateTime": day,
			"authoredOn":         cmp.Or(str(m["authoredOn"]), str(m.Meta()["lastUpdated"])),
		}
		if r, ok := m["requester"]; ok {
			e["requester"] = map[string]any{"agent": r}
		}
		if what != "" {
			e["note"] = []any{map[string]any{"text": "Review of: " + what}}
		}
		byDate[day] = e
		dates = append(dates, day)
	}
	for _, d := range dates {
		entries = append(entries, byDate[d])
	}
	return entries, withheldSome
}
