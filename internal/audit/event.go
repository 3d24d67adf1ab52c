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
}

// Seen is a resource read or written, with its body when there is one:
// the writer works out whose record it is from it, off the request path.
type Seen struct {
	Type, ID string
	Body     []byte
}

// maxEntities caps the resources listed in one event (a page of a
// population search); the patients concerned are always all listed.
const maxEntities = 50

const (
	chainURL        = "https://gpcloud.dev/fhir/StructureDefinition/audit-chain"
	breakGlassURL   = "https://gpcloud.dev/fhir/StructureDefinition/break-glass-reason"
	clientSystem    = "https://gpcloud.dev/fhir/sid/client-id"
	userSystem      = "https://gpcloud.dev/fhir/sid/user-id"
	actReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
)

// patients returns the ids of the patients whose records the event
// touched, sorted.
func (e *Event) patients() []string {
	set := map[string]bool{}
	for _, p := range e.Patients {
		set[p] = true
	}
	for _, s := range e.Resources {
		if s.Type == "Patient" {
			set[s.ID] = true
			continue
		}
		params := definitions.PatientCompartment(s.Type)
		if len(params) == 0 || len(s.Body) == 0 {
			continue
		}
		res, err := fhirjson.DecodeResource(s.Body, fhirjson.DefaultLimits)
		if err != nil {
			continue
		}
		for _, id := range search.ReferencesTo(res, params, "Patient") {
			set[id] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Resource renders the event as an R4 AuditEvent (without id, meta and
// chain, which the writer adds).
func (e *Event) Resource() fhir.Resource {
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
		"agent": []any{e.agent()},
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
		purpose = "ETREAT"
		ae["extension"] = []any{map[string]any{"url": breakGlassURL, "valueString": p.BreakGlass}}
	}
	if p := e.Principal; p != nil && p.Role == auth.RoleSystem {
		purpose = "HOPERAT"
	}
	ae["purposeOfEvent"] = []any{map[string]any{"coding": []any{map[string]any{"system": actReasonSystem, "code": purpose}}}}

	var entities []any
	for _, p := range e.patients() {
		entities = append(entities, map[string]any{
			"what": map[string]any{"reference": "Patient/" + p},
			"type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
			"role": coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
		})
	}
	for i, s := range e.Resources {
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

func coding(system, code, display string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return c
}
