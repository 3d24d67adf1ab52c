package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// AuditEvents as a patient or proxy reads them: who has used their
// record, when, what they did and why (the portal's "who has viewed your
// record" reads no more), and not what the event names besides the
// patient. An event of a member of staff's request names every entry
// they read and the search they ran (its path and query): entries the
// patient may not read (withheld, outside their online access) would be
// told by their ids and the search's words. So, for a patient-facing
// caller:
//   - an AuditEvent's entities are reduced to the patient's own, its
//     outcome's description is left out (it may quote a path), and so is
//     the network address of whoever acted;
//   - an AuditEvent search may use only patient, date and the result
//     parameters: a match by entity or by a query's text would tell the
//     same.

// auditForPatient is one AuditEvent body as a patient or proxy reads it.
// A body that does not decode is withheld whole.
func auditForPatient(body []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var ae map[string]any
	if err := d.Decode(&ae); err != nil {
		return []byte(`{"resourceType":"OperationOutcome"}`)
	}
	var kept []any
	entities, _ := ae["entity"].([]any)
	for _, e := range entities {
		m, _ := e.(map[string]any)
		what, _ := m["what"].(map[string]any)
		if ref, _ := what["reference"].(string); strings.HasPrefix(ref, "Patient/") {
			kept = append(kept, map[string]any{"what": what, "type": m["type"], "role": m["role"]})
		}
	}
	if kept == nil {
		delete(ae, "entity")
	} else {
		ae["entity"] = kept
	}
	delete(ae, "outcomeDesc")
	agents, _ := ae["agent"].([]any)
	for _, a := range agents {
		if m, ok := a.(map[string]any); ok {
			delete(m, "network")
		}
	}
	b, err := json.Marshal(ae)
	if err != nil {
		return []byte(`{"resourceType":"OperationOutcome"}`)
	}
	return b
}

// patientAuditParams are the parameters a patient or proxy searches
// AuditEvents by.
var patientAuditParams = []string{"patient", "date", "_sort", "_count", "_offset", "_search", "_format", "_total", "_summary", "_elements"}

// checkPatientAuditSearch refuses a patient or proxy an AuditEvent
// search by anything else.
func checkPatientAuditSearch(ctx context.Context, types []string, params map[string][]string) error {
	if !patientFacing(ctx) || !slices.Contains(types, "AuditEvent") {
		return nil
	}
	for name := range params {
		base, _, _ := strings.Cut(name, ":")
		if !slices.Contains(patientAuditParams, base) {
			return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "searching who has used your record by %s is not available: search by date", base)
		}
	}
	return nil
}
