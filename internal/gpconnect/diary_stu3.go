package gpconnect

import (
	"cmp"
	"sort"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Diary entries (GP Connect 1.6 "Diary entry guidance"): the recalls
// still due (R4 ServiceRequest intent plan, category recall, status
// active: clinical.NewRecall) as CareConnect-GPC-ProcedureRequest-1 in
// the Patient recall administration List (714311000000108); done and
// cancelled ones are not diary entries. diaryEntriesSearchDate keeps
// those due on or before it (overdue ones always).

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
	var items []fhir.Resource
	for _, sr := range all {
		if str(sr["status"]) != "active" || str(sr["intent"]) != "plan" {
			continue
		}
		if due := dayOf(str(sr["occurrenceDateTime"])); req.DiaryUntil != "" && due > req.DiaryUntil {
			continue
		}
		m := DiaryEntrySTU3(sr, b.practice)
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
