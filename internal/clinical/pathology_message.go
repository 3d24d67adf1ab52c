package clinical

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// A pathology report as labs send it as a FHIR message (DAPB4101
// Pathology FHIR, UK Core R4: a Bundle of type "message" whose entries
// are the MessageHeader, the DiagnosticReport, the Patient, its
// Observations, specimens and the sending organisation, each a separate
// entry referenced by fullUrl), turned into the inbox's item: the
// DiagnosticReport with the Patient the lab described, its
// Observations and its specimens contained, tagged as received from pathology. The lab's
// Patient never becomes a Patient of the store (a second record); the
// intake matches the contained one against the practice's patients.

// MessageInfo is what a message says about itself.
type MessageInfo struct {
	// ID is the MessageHeader's id (the reply names it); Event its event
	// code.
	ID, Event string
	// Source is the sending system's endpoint or name.
	Source string
}

// InboxItemsFromMessage reads a message Bundle's DiagnosticReports as
// inbox items, or says what is wrong with it.
func InboxItemsFromMessage(b fhir.Resource) ([]fhir.Resource, MessageInfo, error) {
	var info MessageInfo
	if b.Type() != "Bundle" || str(b, "type") != "message" {
		return nil, info, fmt.Errorf("$process-message takes a Bundle of type message")
	}
	entries := list(b, "entry")
	if len(entries) == 0 || str(mapOf(entries[0]["resource"]), "resourceType") != "MessageHeader" {
		return nil, info, fmt.Errorf("the message's first entry must be its MessageHeader")
	}
	header := mapOf(entries[0]["resource"])
	info.ID = str(header, "id")
	info.Event = firstNonEmpty(str(mapOf(header["eventCoding"]), "code"), str(header, "eventUri"))
	src := mapOf(header["source"])
	info.Source = firstNonEmpty(str(src, "name"), str(src, "endpoint"))
	// Entries by every way a reference may name them: fullUrl,
	// Type/id and the fullUrl's tail.
	byRef := map[string]map[string]any{}
	for _, e := range entries {
		res := mapOf(e["resource"])
		if res == nil {
			continue
		}
		if u := str(e, "fullUrl"); u != "" {
			byRef[u] = res
			if i := strings.LastIndex(u, "/"); i > 0 && !strings.HasPrefix(u, "urn:") {
				if j := strings.LastIndex(u[:i], "/"); j >= 0 {
					byRef[u[j+1:]] = res
				}
			}
		}
		if id := str(res, "id"); id != "" {
			byRef[str(res, "resourceType")+"/"+id] = res
		}
	}
	var items []fhir.Resource
	for _, e := range entries[1:] {
		res := mapOf(e["resource"])
		if str(res, "resourceType") != "DiagnosticReport" {
			continue
		}
		item, err := inboxReport(res, byRef)
		if err != nil {
			return nil, info, err
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		return nil, info, fmt.Errorf("the message carries no DiagnosticReport")
	}
	return items, info, nil
}

// inboxReport builds one report with its patient and observations
// contained.
func inboxReport(dr map[string]any, byRef map[string]map[string]any) (fhir.Resource, error) {
	subject := byRef[str(mapOf(dr["subject"]), "reference")]
	if subject == nil || str(subject, "resourceType") != "Patient" {
		return nil, fmt.Errorf("DiagnosticReport %q: its subject is not a Patient in the message", str(dr, "id"))
	}
	patient := map[string]any{"resourceType": "Patient", "id": "patient"}
	for _, k := range []string{"identifier", "name", "birthDate", "gender", "address"} {
		if v, ok := subject[k]; ok {
			patient[k] = v
		}
	}
	contained := []any{patient}
	// The specimens the report names, contained (GP Connect sends each
	// as a Specimen of the report): what was taken, when, and received.
	// A test's own specimen reference is not kept: a contained resource
	// may not point at another (the server's ref-1 check refuses it), and
	// the report's specimens are its tests'.
	specimens := map[string]string{} // the message's reference → "#spec{n}"
	var specimenRefs []any
	for _, sp := range list(dr, "specimen") {
		spec := byRef[str(sp, "reference")]
		if spec == nil || str(spec, "resourceType") != "Specimen" || specimens[str(sp, "reference")] != "" {
			continue
		}
		id := "spec" + strconv.Itoa(len(specimenRefs)+1)
		c := map[string]any{"resourceType": "Specimen", "id": id}
		for _, k := range []string{"accessionIdentifier", "status", "type", "receivedTime", "note"} {
			if v, ok := spec[k]; ok {
				c[k] = v
			}
		}
		if col := mapOf(spec["collection"]); col != nil {
			kept := map[string]any{}
			for _, k := range []string{"collectedDateTime", "collectedPeriod", "quantity", "bodySite"} {
				if v, ok := col[k]; ok {
					kept[k] = v
				}
			}
			if len(kept) > 0 {
				c["collection"] = kept
			}
		}
		contained = append(contained, c)
		specimens[str(sp, "reference")] = "#" + id
		specimenRefs = append(specimenRefs, map[string]any{"reference": "#" + id})
	}
	var results []any
	n := 0
	var add func(ref string, depth int) error
	add = func(ref string, depth int) error {
		obs := byRef[ref]
		if obs == nil || str(obs, "resourceType") != "Observation" {
			return fmt.Errorf("DiagnosticReport %q: result %q is not an Observation in the message", str(dr, "id"), ref)
		}
		// A panel (a full blood count) lists its tests as members: the
		// tests are the results.
		if members := list(obs, "hasMember"); len(members) > 0 && depth < 3 {
			for _, m := range members {
				if err := add(str(m, "reference"), depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		n++
		id := "obs" + strconv.Itoa(n)
		c := map[string]any{"resourceType": "Observation", "id": id}
		for _, k := range []string{"status", "category", "code", "effectiveDateTime", "effectivePeriod", "issued", "valueQuantity",
			"valueString", "valueCodeableConcept", "interpretation", "referenceRange", "identifier", "dataAbsentReason"} {
			if v, ok := obs[k]; ok {
				c[k] = v
			}
		}
		// A comment's text and time (its author is an entry that is not
		// kept).
		var notes []any
		for _, nt := range list(obs, "note") {
			if t := str(nt, "text"); t != "" {
				notes = append(notes, map[string]any{"text": t})
			}
		}
		if notes != nil {
			c["note"] = notes
		}
		if c["status"] == nil {
			c["status"] = "final"
		}
		contained = append(contained, c)
		results = append(results, map[string]any{"reference": "#" + id})
		return nil
	}
	for _, r := range list(dr, "result") {
		if err := add(str(r, "reference"), 0); err != nil {
			return nil, err
		}
	}
	out := fhir.Resource{"resourceType": "DiagnosticReport", "contained": contained, "subject": map[string]any{"reference": "#patient"},
		"meta": map[string]any{"tag": []any{map[string]any{"system": InboxTagSystem, "code": InboxReceived},
			map[string]any{"system": InboxSourceSystem, "code": "pathology"}}}}
	for _, k := range []string{"identifier", "status", "category", "code", "effectiveDateTime", "effectivePeriod", "issued", "conclusion", "conclusionCode"} {
		if v, ok := dr[k]; ok {
			out[k] = v
		}
	}
	// The practice's order number, as an identifier: a request in the
	// message is named by its identifier, not kept.
	var basedOn []any
	for _, bo := range list(dr, "basedOn") {
		id := mapOf(bo["identifier"])
		if sr := byRef[str(bo, "reference")]; id == nil && sr != nil {
			for _, i := range list(sr, "identifier") {
				if str(i, "system") == OrderNumberSystem || id == nil {
					id = i
				}
			}
		}
		if id != nil {
			basedOn = append(basedOn, map[string]any{"identifier": id})
		}
	}
	if basedOn != nil {
		out["basedOn"] = basedOn
	}
	if out["status"] == nil {
		out["status"] = "final"
	}
	if results != nil {
		out["result"] = results
	}
	if specimenRefs != nil {
		out["specimen"] = specimenRefs
	}
	// The performing lab, by name (the Organization is not stored).
	var performers []any
	for _, p := range list(dr, "performer") {
		name := str(p, "display")
		if org := byRef[str(p, "reference")]; org != nil && name == "" {
			name = str(org, "name")
		}
		if name != "" {
			performers = append(performers, map[string]any{"display": name})
		}
	}
	if performers != nil {
		out["performer"] = performers
	}
	return out, nil
}
