package gpconnect

import (
	"sort"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Outbound referrals (GP Connect 1.6 "Outbound referrals guidance"): each
// referral the practice made (an R4 ServiceRequest of category Patient
// referral, clinical.NewReferral) is a CareConnect-GPC-ReferralRequest-1
// in the Outbound referral List (792931000000107), newest first, within
// referralSearchPeriod (on authoredOn, the date of referral).

const profileReferralRequest = sd + "CareConnect-GPC-ReferralRequest-1"

// referralCategoryToken is the referrals' category as a search token.
const referralCategoryToken = "http://snomed.info/sct|3457005"

// ReferralSTU3 maps a referral. The specification's rules: the main code
// of the referral in reasonCode (gpcloud's referral type, with the coded
// reason and the urgent-suspected-cancer marker after it), status unknown
// (a cancelled one says so in a note), intent order, priority as
// e-RS has it (routine, urgent, asap for two-week wait), the recipient in
// the note as key-value pairs when it is not a resource (gpcloud keeps
// services and clinicians by name), the UBRN as identifier.
func ReferralSTU3(sr fhir.Resource) fhir.Resource {
	out := base(sr, "ReferralRequest", profileReferralRequest)
	out["identifier"] = dataIdentifiers(sr, "referral-"+sr.ID())
	// The specification allows cancelled for a referral the practice
	// cancelled, but CareConnect-GPC-ReferralRequest-1 fixes the status to
	// unknown: the profile wins, and the note says it was cancelled.
	out["status"] = "unknown"
	out["intent"] = "order"
	switch pr := str(sr["priority"]); pr {
	case "routine", "urgent", "asap":
		out["priority"] = pr
	}
	copyKeys(out, sr, "subject", "authoredOn")
	if enc, ok := sr["encounter"]; ok {
		out["context"] = enc
	}
	if r, ok := sr["requester"]; ok {
		out["requester"] = map[string]any{"agent": r}
	}
	var reasons []any
	if c := obj(sr["code"]); c != nil {
		reasons = append(reasons, c)
	}
	var description string
	for _, rc := range list(sr["reasonCode"]) {
		if len(list(obj(rc)["coding"])) > 0 {
			reasons = append(reasons, rc)
		} else if t := str(obj(rc)["text"]); t != "" {
			description = t
		}
	}
	reasons = append(reasons, list(sr["orderDetail"])...)
	if reasons != nil {
		out["reasonCode"] = reasons
	}
	if description != "" {
		out["description"] = description
	}
	var notes []any
	for i, pf := range list(sr["performer"]) {
		name := str(obj(pf)["display"])
		if name == "" {
			continue
		}
		key := "Referred to"
		if i > 0 {
			key = "Recipient"
		}
		notes = append(notes, map[string]any{"text": key + ": " + name})
	}
	notes = append(notes, list(sr["note"])...)
	if str(sr["status"]) == "revoked" {
		notes = append(notes, map[string]any{"text": "Status: cancelled by the practice"})
	}
	if str(sr["status"]) == "completed" {
		notes = append(notes, map[string]any{"text": "Outcome: the practice has recorded that the outcome of this referral is known"})
	}
	if notes != nil {
		out["note"] = notes
	}
	return out
}

func (p *Provider) referrals(c *call, b *structuredBundle, patientID string, req *StructuredRequest, roles map[string]any) *Error {
	all, confidential, e := p.serviceRequests(c, b, patientID, referralCategoryToken)
	if e != nil {
		return e
	}
	var items []fhir.Resource
	for _, sr := range all {
		if str(sr["intent"]) == "plan" {
			continue
		}
		day := dayOf(str(sr["authoredOn"]))
		if req.ReferralsFrom != "" && day < req.ReferralsFrom || req.ReferralsTo != "" && day > req.ReferralsTo {
			continue
		}
		m := ReferralSTU3(sr)
		p.agents(c, b, m, roles)
		items = append(items, m)
	}
	sort.SliceStable(items, func(i, j int) bool { return str(items[i]["authoredOn"]) > str(items[j]["authoredOn"]) })
	l := b.list("referrals", patientID, items)
	if confidential {
		warn(l, "confidential-items")
	}
	return nil
}

// serviceRequests are the patient's ServiceRequests of a category (a
// "system|code" token) that may be shared: not entered in error, not
// withheld (confidential says some were).
func (p *Provider) serviceRequests(c *call, b *structuredBundle, patientID, category string) (shared []fhir.Resource, confidential bool, e *Error) {
	all, e := p.record(c, b, "ServiceRequest", patientID)
	if e != nil {
		return nil, false, e
	}
	for _, sr := range all {
		switch {
		case !hasCategory(sr, category) || enteredInError(sr):
		case withheld(sr):
			confidential = true
		default:
			shared = append(shared, sr)
		}
	}
	return shared, confidential, nil
}
