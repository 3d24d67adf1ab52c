package audit

import (
	"sort"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// Event is one access to record.
type Event struct {
	Time time.Time
	// Interaction is the FHIR interaction (read, vread, search-type,
	// create, update, patch, delete, history-instance, operation) or a
	// security event (login, token).
	Interaction string
	// Action is the AuditEvent action: C, R, U, D or E.
	Action string
	// Status is the HTTP status answered.
	Status int
	// Detail describes a refusal or failure.
	Detail string
	// Principal made the request; nil for an unauthenticated one.
	Principal *auth.Principal
	// Address is the client's network address.
	Address string
	// Path and Query are what was asked (the query is kept whole, as the
	// standard's entity.query does, so searches can be reviewed).
	Path, Query string
	// Resources are the resources read or written.
	Resources []Seen
	// Patients are patient ids known to be concerned without a body
	// (a compartment search, a read of a Patient).
	Patients []string

	// flushed marks Flush's marker (not an event): closed once written.
	flushed chan struct{}
}

// Seen is a resource read or written, with its body when there is one:
// the writer works out whose record it is from it, off the request path.
type Seen struct {
	Type, ID string
	Body     []byte
	// Owners, when OwnersKnown, are the patients whose record it is (a
	// write knows them from its index; the body need not be decoded).
	Owners      []string
	OwnersKnown bool
}

// maxEntities caps the resources listed in one event (a page of a
// population search); the patients concerned are always all listed.
const maxEntities = 50

const (
	chainURL        = "https://gpcloud.dev/fhir/StructureDefinition/audit-chain"
	breakGlassURL   = "https://gpcloud.dev/fhir/StructureDefinition/break-glass-reason"
	flagSystem      = "https://gpcloud.dev/fhir/CodeSystem/audit-flag"
	clientSystem    = "https://gpcloud.dev/fhir/sid/client-id"
	userSystem      = "https://gpcloud.dev/fhir/sid/user-id"
	actReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
)

// byPatient groups the resources touched by the patient whose record
// each belongs to; resources of no patient (reference data) are under "".
// Patients noted without a resource get an empty group.
func (e *Event) byPatient() map[string][]Seen {
	groups := map[string][]Seen{}
	for _, p := range e.Patients {
		if _, ok := groups[p]; !ok {
			groups[p] = nil
		}
	}
	for _, s := range e.Resources {
		var owners []string
		switch {
		case s.Type == "Patient":
			owners = []string{s.ID}
		case s.OwnersKnown:
			owners = s.Owners
		case len(s.Body) > 0 && len(definitions.PatientCompartment(s.Type)) > 0:
			if res, err := fhirjson.DecodeResource(s.Body, fhirjson.DefaultLimits); err == nil {
				owners = search.ReferencesTo(res, definitions.PatientCompartment(s.Type), "Patient")
			}
		}
		if len(owners) == 0 {
			owners = []string{""}
		}
		for _, o := range owners {
			groups[o] = append(groups[o], s)
		}
	}
	return groups
}

// AuditEvents renders the event as R4 AuditEvents (without id, meta and
// chain, which the writer adds): one per patient whose records the
// request touched, listing that patient and their resources only, so
// that a patient reading who accessed their record learns nothing of
// anyone else's; one event if it touched no patient's records.
func (e *Event) AuditEvents() []fhir.Resource {
	groups := e.byPatient()
	shared := groups[""]
	delete(groups, "")
	if len(groups) == 0 {
		return []fhir.Resource{e.render("", shared)}
	}
	ids := make([]string, 0, len(groups))
	for p := range groups {
		ids = append(ids, p)
	}
	sort.Strings(ids)
	out := make([]fhir.Resource, 0, len(ids))
	for _, p := range ids {
		out = append(out, e.render(p, append(groups[p], shared...)))
	}
	return out
}

// render builds one AuditEvent about a patient ("" for none) and the
// resources listed.
func (e *Event) render(patient string, seen []Seen) fhir.Resource {
	outcome, desc := "0", ""
	switch {
	case e.Status >= 500:
		outcome = "8"
	case e.Status >= 400:
		outcome = "4"
	}
	if e.Detail != "" {
		desc = e.Detail
	}
	ae := fhir.Resource{
		"resourceType": "AuditEvent",
		"type":         coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
		"subtype":      []any{coding("http://hl7.org/fhir/restful-interaction", e.Interaction, "")},
		"action":       e.Action,
		"recorded":     fhir.FormatInstant(e.Time),
		"outcome":      outcome,
		"source": map[string]any{
			"observer": map[string]any{"display": "gpcloud"},
			"type":     []any{coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")},
		},
		"agent": append([]any{e.agent()}, e.consumerAgents()...),
	}
	if e.Interaction == "login" || e.Interaction == "token" {
		ae["type"] = coding("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication")
		delete(ae, "subtype")
	}
	if desc != "" {
		ae["outcomeDesc"] = desc
	}
	purpose := "TREAT"
	if p := e.Principal; p != nil && p.BreakGlass != "" {
		// Flagged three ways: the purpose, the reason, and a subtype a
		// practice admin can search for (AuditEvent?subtype=break-glass).
		purpose = "ETREAT"
		ae["extension"] = []any{map[string]any{"url": breakGlassURL, "valueString": p.BreakGlass}}
		sub, _ := ae["subtype"].([]any)
		ae["subtype"] = append(sub, coding(flagSystem, "break-glass", "Break-glass access"))
	}
	if p := e.Principal; p != nil && p.Role == auth.RoleSystem {
		purpose = "HOPERAT"
	}
	ae["purposeOfEvent"] = []any{map[string]any{"coding": []any{map[string]any{"system": actReasonSystem, "code": purpose}}}}

	var entities []any
	if patient != "" {
		entities = append(entities, map[string]any{
			"what": map[string]any{"reference": "Patient/" + patient},
			"type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
			"role": coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
		})
	}
	for i, s := range seen {
		if i == maxEntities {
			break
		}
		if s.Type == "Patient" {
			continue // listed above
		}
		entities = append(entities, map[string]any{
			"what": map[string]any{"reference": s.Type + "/" + s.ID},
			"type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
		})
	}
	if e.Path != "" {
		q := map[string]any{
			"type":        coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
			"description": e.Path,
		}
		if e.Query != "" {
			q["query"] = e.Query // base64Binary: encoded by the caller
		}
		entities = append(entities, q)
	}
	if len(entities) > 0 {
		ae["entity"] = entities
	}
	return ae
}

func (e *Event) agent() map[string]any {
	a := map[string]any{"requestor": true}
	if e.Address != "" {
		a["network"] = map[string]any{"address": e.Address, "type": "2"}
	}
	p := e.Principal
	if p == nil {
		a["who"] = map[string]any{"display": "unauthenticated"}
		return a
	}
	switch {
	case p.FHIRUser != "":
		a["who"] = map[string]any{"reference": p.FHIRUser}
	case p.Role == auth.RoleSystem:
		a["who"] = map[string]any{"identifier": map[string]any{"system": clientSystem, "value": p.ClientID}}
	default:
		a["who"] = map[string]any{"identifier": map[string]any{"system": userSystem, "value": p.Subject}}
	}
	if p.Subject != "" {
		a["altId"] = p.Subject
	}
	if p.Role != "" {
		a["type"] = map[string]any{"text": string(p.Role)}
	}
	if p.TokenID != "" {
		a["policy"] = []any{"urn:gpcloud:token:" + p.TokenID}
	}
	return a
}

// consumerAgents are, for a GP Connect request, the organisation and
// the user the consumer system acted for (its JWT's claims), so that
// the practice and the patient see who looked, not only which system.
func (e *Event) consumerAgents() []any {
	if e.Principal == nil || e.Principal.Consumer == nil {
		return nil
	}
	c := e.Principal.Consumer
	org := map[string]any{"requestor": false,
		"type": map[string]any{"text": "requesting organisation"},
		"who":  map[string]any{"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": c.Organization}, "display": c.OrganizationName}}
	user := map[string]any{"requestor": true,
		"type":   map[string]any{"text": "requesting practitioner"},
		"who":    map[string]any{"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": c.SDSUserID}, "display": c.UserName},
		"altId":  c.UserID,
		"policy": []any{"urn:nhs:gpconnect:reason:" + c.Reason, "urn:nhs:ssp:trace:" + c.TraceID, "urn:nhs:asid:" + c.ASID}}
	if c.InteractionID != "" {
		user["policy"] = append(user["policy"].([]any), c.InteractionID)
	}
	if c.SDSRoleProfileID != "" {
		user["role"] = []any{map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "code": c.SDSRoleProfileID}}}}
	}
	return []any{user, org}
}

func coding(system, code, display string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return c
}
