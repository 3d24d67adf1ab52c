package gpconnect

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The clinical record, R4 → STU3 Care Connect (GP Connect structured).

// AllergySTU3 maps an AllergyIntolerance: R4's status concepts become
// STU3 codes, recordedDate the assertedDate; an ended allergy carries the
// allergy-end extension with its end date.
func AllergySTU3(a fhir.Resource) fhir.Resource {
	out := base(a, "AllergyIntolerance", profileAllergy)
	copyKeys(out, a, "identifier", "type", "category", "criticality", "code", "onsetDateTime", "onsetPeriod", "recorder", "asserter", "lastOccurrence", "note")
	out["patient"] = a["patient"]
	status := firstCode(a["clinicalStatus"])
	if status == "" {
		status = "active"
	}
	out["clinicalStatus"] = status
	// CareConnect-GPC-AllergyIntolerance-1 fixes verificationStatus to
	// unconfirmed (entries in error are not sent at all).
	out["verificationStatus"] = "unconfirmed"
	if _, ok := out["category"]; !ok {
		// 1..* in the profile; the specification's rule when the record
		// does not say: environment (a drug allergy is recorded with its
		// category by the workspace).
		out["category"] = []any{"environment"}
	}
	dataIdentifier(out, a)
	if d, ok := a["recordedDate"]; ok {
		out["assertedDate"] = d
	} else if d := recordedAt(a); d != "" {
		out["assertedDate"] = d
	}
	var reactions []any
	for _, rx := range list(a["reaction"]) {
		r := obj(rx)
		nr := map[string]any{}
		for _, k := range []string{"substance", "manifestation", "description", "onset", "severity", "exposureRoute", "note"} {
			if v, ok := r[k]; ok {
				nr[k] = v
			}
		}
		if len(nr) > 0 {
			reactions = append(reactions, nr)
		}
	}
	if len(reactions) > 0 {
		out["reaction"] = reactions
	}
	if status == "resolved" || status == "inactive" {
		end := map[string]any{"url": allergyEndExtURL, "extension": []any{map[string]any{"url": "reasonEnded", "valueString": "No information available"}}}
		// endDate is 1..1: the last occurrence when recorded, else when
		// the allergy was last written (the record keeps no end date).
		d := str(a["lastOccurrence"])
		if d == "" {
			d = recordedAt(a)
		}
		if d != "" {
			end["extension"] = []any{map[string]any{"url": "endDate", "valueDateTime": d}, list(end["extension"])[0]}
		}
		out["extension"] = []any{end}
	}
	return out
}

// ProblemSTU3 maps a problem-list Condition to the ProblemHeader: status
// codes, recordedDate as assertedDate, the UK Core significance as GP
// Connect's problem significance.
func ProblemSTU3(c fhir.Resource) fhir.Resource {
	out := base(c, "Condition", profileProblem)
	copyKeys(out, c, "identifier", "code", "subject", "onsetDateTime", "onsetPeriod", "abatementDateTime", "abatementPeriod", "note")
	dataIdentifier(out, c)
	// The profile fixes the category to Care Connect's code system.
	out["category"] = []any{map[string]any{"coding": []any{map[string]any{"system": conditionCategoryCS, "code": "problem-list-item", "display": "Problem List Item"}}}}
	status := firstCode(c["clinicalStatus"])
	if status == "remission" || status == "recurrence" || status == "relapse" {
		status = "active"
	}
	if status == "" {
		status = "inactive"
	}
	out["clinicalStatus"] = status
	if v := firstCode(c["verificationStatus"]); v != "" {
		out["verificationStatus"] = v
	}
	if d, ok := c["recordedDate"]; ok {
		out["assertedDate"] = d
	}
	if r, ok := c["recorder"]; ok {
		out["asserter"] = r
	} else if r, ok := c["asserter"]; ok {
		out["asserter"] = r
	}
	signif := str(extValue(c, ukProblemSignifURL, "valueCode"))
	if signif == "" {
		signif = "minor"
	}
	out["extension"] = []any{map[string]any{"url": problemSignifExtURL, "valueCode": signif}}
	return out
}

// ImmunizationSTU3 maps an Immunization: STU3 says notGiven where R4 says
// status not-done, date where R4 says occurrenceDateTime.
func ImmunizationSTU3(im fhir.Resource) fhir.Resource {
	out := base(im, "Immunization", profileImmunization)
	copyKeys(out, im, "identifier", "vaccineCode", "primarySource", "lotNumber", "expirationDate", "site", "route", "doseQuantity", "note")
	dataIdentifier(out, im)
	// DateRecorded is 1..1: when it was recorded, else when it was
	// written to this record (an imported immunisation has no recorded).
	d := str(im["recorded"])
	if d == "" {
		d = recordedAt(im)
	}
	if d != "" {
		out["extension"] = []any{map[string]any{"url": dateRecordedExtURL, "valueDateTime": d}}
	}
	out["patient"] = im["patient"]
	notGiven := str(im["status"]) == "not-done"
	out["status"] = "completed"
	out["notGiven"] = notGiven
	if _, ok := out["primarySource"]; !ok {
		out["primarySource"] = true
	}
	if d, ok := im["occurrenceDateTime"]; ok {
		out["date"] = d
	}
	var prs []any
	for _, pf := range list(im["performer"]) {
		if a, ok := obj(pf)["actor"]; ok {
			prs = append(prs, map[string]any{"actor": a})
		}
	}
	if len(prs) > 0 {
		out["practitioner"] = prs
	}
	if notGiven {
		if r, ok := im["statusReason"]; ok {
			out["explanation"] = map[string]any{"reasonNotGiven": []any{r}}
		}
	}
	for _, pa := range list(im["protocolApplied"]) {
		if n, ok := obj(pa)["doseNumberPositiveInt"]; ok {
			out["vaccinationProtocol"] = []any{map[string]any{"doseSequence": n,
				"targetDisease": []any{map[string]any{"text": "Not recorded"}}, "doseStatus": map[string]any{"text": "Counts"}}}
		}
	}
	return out
}

// dosagesSTU3 maps R4 Dosages: STU3 has dose[x] and rate[x] on the Dosage
// itself where R4 lists them under doseAndRate (the first is kept).
func dosagesSTU3(v any) []any {
	var out []any
	for _, d := range list(v) {
		dm := obj(d)
		nd := map[string]any{}
		for k, val := range dm {
			if k != "doseAndRate" {
				nd[k] = val
			}
		}
		if dr := list(dm["doseAndRate"]); len(dr) > 0 {
			for k, val := range obj(dr[0]) {
				if strings.HasPrefix(k, "dose") || strings.HasPrefix(k, "rate") {
					nd[k] = val
				}
			}
		}
		out = append(out, nd)
	}
	return out
}
