package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/redaction"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Redaction for patients and proxies. Words a clinician removed from
// online access within an entry (package redaction) are replaced here,
// in what the service returns to a patient or proxy (read, vread,
// search matches and includes, history, a transaction's reads), so
// that every patient-facing path (the portal's pages, which run as the
// patient through the service, and the FHIR API with a patient's or
// proxy's token) gets the same redacted entry and none can forget it.
// An earlier version of an entry (history, vread) is redacted with its
// own phrases and those of the current version, since a phrase marked
// today was in the entry's earlier versions too. Searches by free text
// are refused to these roles (checkRedactedSearch): the index holds the
// words as written, so a match would tell that a removed phrase is there.

// patientFacing reports a caller reading the record as its patient or as
// their proxy.
func patientFacing(ctx context.Context) bool {
	p, ok := auth.FromContext(ctx)
	return ok && (p.Role == auth.RolePatient || p.Role == auth.RoleProxy)
}

var redactionMark = []byte(redaction.OnlineRedactionURL)

// redactedForPatient returns vs with every version that carries a
// redaction (or whose resource's current version does: later, by
// "Type/id") replaced by the patient's view, and every AuditEvent by
// what a patient reads of it (audit_view.go); vs itself is not changed.
func redactedForPatient(vs []store.Version, later map[string][]string) []store.Version {
	var out []store.Version
	for i, v := range vs {
		if v.Type == auditEventType && !v.Deleted && v.Body != nil {
			// Reduced to what the patient may read (audit_view.go).
			if out == nil {
				out = append([]store.Version(nil), vs...)
			}
			out[i].Body = auditForPatient(v.Body)
			continue
		}
		extra := later[v.Type+"/"+v.ID]
		if v.Deleted || v.Body == nil || (len(extra) == 0 && !bytes.Contains(v.Body, redactionMark)) {
			continue
		}
		if out == nil {
			out = append([]store.Version(nil), vs...)
		}
		out[i].Body = redactedBody(v.Body, extra)
	}
	if out == nil {
		return vs
	}
	return out
}

// redactedBody is one body as the patient reads it. Numbers are kept as
// written (a decimal's precision is part of its value). A body that does
// not decode is withheld whole: the view never falls back to the words.
func redactedBody(body []byte, extra []string) []byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var res map[string]any
	if err := d.Decode(&res); err != nil {
		return []byte(`{"resourceType":"OperationOutcome"}`)
	}
	b, err := json.Marshal(redaction.ForPatient(res, extra...))
	if err != nil {
		return []byte(`{"resourceType":"OperationOutcome"}`)
	}
	return b
}

// viewedVersions is viewed for versions that may be earlier than the
// current one (history, vread): a patient's view is redacted with the
// current content's phrases too (cur: currentViews).
func viewedVersions(ctx context.Context, vs []store.Version, cur map[string]currentView) []store.Version {
	if patientFacing(ctx) {
		later := map[string][]string{}
		for k, cv := range cur {
			later[k] = cv.phrases
		}
		return redactedForPatient(vs, later)
	}
	return viewed(ctx, vs)
}

// checkRedactedSearch refuses a patient or proxy a search by free text
// (a string parameter, or a token searched :text) of a type in the
// patient compartment, directly or through _has: the index holds an
// entry's words as written, so a match, a total or a count would tell
// them that a phrase removed from online access is in their record.
func checkRedactedSearch(ctx context.Context, types []string, params map[string][]string) error {
	if !patientFacing(ctx) {
		return nil
	}
	for name := range params {
		typs, param := types, name
		if rest, ok := strings.CutPrefix(name, "_has:"); ok {
			for ok {
				parts := strings.SplitN(rest, ":", 3)
				if len(parts) < 3 {
					break
				}
				typs, param = []string{parts[0]}, parts[2]
				rest, ok = strings.CutPrefix(parts[2], "_has:")
			}
		}
		if i := strings.LastIndex(param, "."); i >= 0 {
			// A chain (result.value-string) ends in any type: its last
			// parameter is judged against every type it might be.
			typs, param = definitions.ResourceTypes(), param[i+1:]
		}
		base, modifier, _ := strings.Cut(param, ":")
		if base == "_text" || base == "_content" || base == "_filter" {
			return freeTextRefused(base)
		}
		for _, typ := range typs {
			if typ == "Patient" || len(definitions.PatientCompartment(typ)) == 0 {
				continue
			}
			p := search.Lookup(typ, base)
			if p != nil && (p.Type == "string" || modifier == "text") {
				return freeTextRefused(base)
			}
		}
	}
	return nil
}

func freeTextRefused(param string) error {
	return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "searching your record by its words (%s) is not available: some words may have been removed from online access by your GP surgery", param)
}
