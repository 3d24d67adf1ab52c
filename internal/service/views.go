package service

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Names-only views. A role may read some types only as names
// (auth.NamesOnly): a receptionist reads a patient's repeat medicines to
// answer a request for one, not what they are for or how they are
// taken. Whatever the service returns of such a type (read, vread,
// search matches and includes, history) passes through view, which keeps
// the elements of namesOnlyElements and, for a medication that is not a
// repeat (courseOfTherapyType continuous), not even its name; the result
// carries the SUBSETTED tag, as _elements does, so that a client knows
// it holds part of the resource. Searches of such a type may use only
// parameters that match on what the view keeps (namesOnlyParams):
// searching by code would otherwise tell which acute medicines a patient
// had without showing their names.

// namesOnlyElements are what a names-only view keeps, per type.
var namesOnlyElements = map[string][]string{
	"MedicationRequest": {"resourceType", "id", "meta", "status", "intent", "courseOfTherapyType",
		"medicationCodeableConcept", "medicationReference", "subject", "authoredOn",
		"basedOn"}, // an issue names its authorisation, so that a repeat is listed once
}

// namesOnlyParams are the search parameters allowed on a names-only type.
var namesOnlyParams = []string{"patient", "subject", "status", "intent", "authoredon", "_id", "_lastUpdated",
	"_count", "_sort", "_total", "_summary", "_search", "_offset", "_format", "_pretty"}

// subsettedTag is FHIR's tag for a resource returned in part.
var subsettedTag = map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED", "display": "subsetted"}

// namesOnly reports whether the caller reads typ as names only.
func namesOnly(ctx context.Context, typ string) bool {
	p, ok := auth.FromContext(ctx)
	return ok && slices.Contains(auth.NamesOnly[p.Role], typ)
}

// checkNamesOnlySearch refuses a search of a names-only type by anything
// the view hides.
func checkNamesOnlySearch(ctx context.Context, types []string, params map[string][]string) error {
	// _has:MedicationRequest:patient:code=X would tell which patients had
	// a medicine without showing one: a reverse chain into a names-only
	// type may use only what the view keeps, too.
	for name := range params {
		rest, ok := strings.CutPrefix(name, "_has:")
		for ok {
			parts := strings.SplitN(rest, ":", 3)
			if len(parts) < 3 {
				break
			}
			param, _, _ := strings.Cut(parts[2], ":")
			if namesOnly(ctx, parts[0]) && !slices.Contains(namesOnlyParams, param) && param != "_has" {
				return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "your role reads %s as names only: searching by its %s is not allowed", parts[0], param)
			}
			rest, ok = strings.CutPrefix(parts[2], "_has:")
		}
	}
	for _, typ := range types {
		if !namesOnly(ctx, typ) {
			continue
		}
		for name := range params {
			base, _, _ := strings.Cut(name, ":")
			if !slices.Contains(namesOnlyParams, base) {
				return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "your role reads %s as names only: searching it by %s is not allowed", typ, base)
			}
		}
	}
	return nil
}

// viewed returns vs with each version of a names-only type (for the
// caller) reduced to its view, and for a patient or proxy with the
// phrases removed from online access replaced (redacted.go); vs itself
// is not changed.
func viewed(ctx context.Context, vs []store.Version) []store.Version {
	if patientFacing(ctx) {
		return redactedForPatient(vs, nil)
	}
	p, ok := auth.FromContext(ctx)
	if !ok || len(auth.NamesOnly[p.Role]) == 0 {
		return vs
	}
	var out []store.Version
	for i, v := range vs {
		if !slices.Contains(auth.NamesOnly[p.Role], v.Type) || v.Deleted || v.Body == nil {
			continue
		}
		if out == nil {
			out = slices.Clone(vs)
		}
		out[i].Body = namesOnlyBody(v.Type, v.Body)
	}
	if out == nil {
		return vs
	}
	return out
}

// viewedOne is viewed for one version.
func viewedOne(ctx context.Context, v store.Version) store.Version {
	return viewed(ctx, []store.Version{v})[0]
}

// namesOnlyBody reduces a resource to its names-only view. A body that
// does not decode is replaced by a bare one: the view never falls back to
// the whole.
func namesOnlyBody(typ string, body []byte) []byte {
	var res map[string]any
	if err := json.Unmarshal(body, &res); err != nil {
		res = map[string]any{}
	}
	out := map[string]any{"resourceType": typ}
	for _, k := range namesOnlyElements[typ] {
		if v, ok := res[k]; ok {
			out[k] = v
		}
	}
	if typ == "MedicationRequest" && !isRepeat(res) {
		delete(out, "medicationReference")
		out["medicationCodeableConcept"] = map[string]any{"text": "Not a repeat: not shown to your role"}
	}
	meta, _ := out["meta"].(map[string]any)
	meta = cloneMap(meta)
	meta["tag"] = append(anyList(meta["tag"]), subsettedTag)
	out["meta"] = meta
	b, err := json.Marshal(out)
	if err != nil {
		return []byte(`{"resourceType":"` + typ + `"}`)
	}
	return b
}

// isRepeat reports a MedicationRequest's courseOfTherapyType continuous
// (a repeat), the same test as the record summary's.
func isRepeat(res map[string]any) bool {
	c, _ := res["courseOfTherapyType"].(map[string]any)
	for _, cd := range anyList(c["coding"]) {
		if m, _ := cd.(map[string]any); m["code"] == "continuous" {
			return true
		}
	}
	return false
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
