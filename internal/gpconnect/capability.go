package gpconnect

import (
	"net/http"
)

// The CapabilityStatements say what is implemented and no more: the
// interactions served, JSON and XML, and in the description what is not
// offered yet (see README "GP Connect").

func rest(resources []any, ops []any) []any {
	r := map[string]any{"mode": "server", "security": map[string]any{"cors": true}}
	if len(resources) > 0 { // FHIR JSON has no empty arrays
		r["resource"] = resources
	}
	if len(ops) > 0 {
		r["operation"] = ops
	}
	return []any{r}
}

func resource(typ, profile string, interactions []string, params ...[2]string) map[string]any {
	var its []any
	for _, i := range interactions {
		its = append(its, map[string]any{"code": i})
	}
	res := map[string]any{"type": typ, "profile": map[string]any{"reference": profile}, "interaction": its}
	var sp []any
	for _, p := range params {
		sp = append(sp, map[string]any{"name": p[0], "type": p[1]})
	}
	if len(sp) > 0 {
		res["searchParam"] = sp
	}
	return res
}

func (p *Provider) capability(c *call, name, version, description string, resources, ops []any) map[string]any {
	return map[string]any{
		"resourceType": "CapabilityStatement",
		"meta":         map[string]any{"profile": []any{sd + "GPConnect-CapabilityStatement-1"}},
		"version":      version,
		"name":         name,
		"status":       "active",
		"date":         "2026-12-01",
		"publisher":    "gpcloud",
		"description":  description,
		"kind":         "instance",
		"software":     map[string]any{"name": "gpcloud", "version": p.opts.SoftwareVersion},
		"implementation": map[string]any{"description": "gpcloud GP Connect provider for " + c.ods,
			"url": c.base},
		"fhirVersion":   "3.0.1",
		"acceptUnknown": "both",
		"format":        []any{"application/fhir+json", "application/fhir+xml"},
		"rest":          rest(resources, ops),
	}
}

func (p *Provider) metadata(w http.ResponseWriter, r *http.Request, c *call) *Error {
	writeJSON(w, http.StatusOK, p.capability(c, "GP Connect", "1.2.7",
		"GP Connect Foundations and Appointment Management. $gpc.registerpatient registers temporary "+
			"residents only after a verified PDS trace (PDS is not connected: every registration is refused). Not implemented: "+
			"amending anything but the description and comment. Slot searchFilter: the consumer's ODS code and "+
			"GPConnect-OrganisationType-1 type select the slots the practice released to them. "+careRecordDescription,
		[]any{
			resource("Patient", profilePatient, []string{"read", "search-type"}, [2]string{"identifier", "token"}),
			resource("Practitioner", profilePractitioner, []string{"read", "search-type"}, [2]string{"identifier", "token"}),
			resource("Organization", profileOrganization, []string{"read", "search-type"}, [2]string{"identifier", "token"}),
			resource("Location", profileLocation, []string{"read"}),
			resource("Slot", profileSlot, []string{"search-type"}, [2]string{"start", "date"}, [2]string{"end", "date"}, [2]string{"status", "token"}, [2]string{"searchFilter", "token"}),
			// Schedule is served only as a slot search's include: STU3
			// lists a resource with at least one interaction.
			resource("Appointment", profileAppointment, []string{"read", "create", "update", "search-type"}, [2]string{"start", "date"}),
		}, []any{map[string]any{"name": "gpc.registerpatient",
			"definition": map[string]any{"reference": "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-RegisterPatient-Operation-1"}},
			careRecordOperation}))
	return nil
}

func (p *Provider) structuredMetadata(w http.ResponseWriter, r *http.Request, c *call) *Error {
	writeJSON(w, http.StatusOK, p.capability(c, "GP Connect - Access Record Structured", "1.6.0",
		"Access Record Structured: allergies (with ended), medications (a MedicationStatement and plan per authorisation, its issues as orders unless includePrescriptionIssues is false, medicines prescribed elsewhere as a statement and plan; medicationSearchFromDate), problems "+
			"(status and significance filters), immunisations, consultations (most recent and search period; topic and "+
			"heading Lists from the practice's structured consultations), uncategorised data (search period), "+
			"investigations (filed test reports with their results, filing comments and test requests; search period), "+
			"outbound referrals (search period) and diary entries (recalls and medication reviews still due; search date).",
		[]any{}, []any{map[string]any{"name": "gpc.getstructuredrecord",
			"definition": map[string]any{"reference": "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1"}}}))
	return nil
}
