package service

import (
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Conditions decide on the absence of a match: a conditional create
// writes only when nothing matches, a conditional reference fails when
// nothing does. Two transactions deciding on the same condition at the
// same time would both see no match (PostgreSQL's read committed does not
// see the other's uncommitted create) and both create. So a write takes a
// lock named after each condition it decides on, before matching; the
// later transaction then waits for the earlier, and sees its commit.

// conditionKey names a condition's lock: the type and its selecting
// parameters in a canonical order (url.Values.Encode sorts keys).
func conditionKey(typ, query string) string {
	values, err := url.ParseQuery(query)
	if err != nil {
		return typ + "?" + query // refused later, when matched
	}
	return conditionKeyOf(typ, values)
}

func conditionKeyOf(typ string, values url.Values) string {
	selecting := url.Values{}
	for k, v := range values {
		if !resultParams[k] {
			selecting[k] = v
		}
	}
	return typ + "?" + selecting.Encode()
}

// referenceKeys adds the keys of a resource's conditional references.
func referenceKeys(keys []string, res fhir.Resource) []string {
	if res == nil {
		return keys
	}
	fhir.WalkReferences(map[string]any(res), func(ref string) (string, bool) {
		if typ, query, ok := conditionalReference(ref); ok {
			keys = append(keys, conditionKey(typ, query))
		}
		return "", false
	})
	return keys
}

// entryKeys are the condition keys of bundle entries: their
// ifNoneExist, conditional update URLs and conditional references.
func entryKeys(entries []*bundleEntry) []string {
	var keys []string
	for _, e := range entries {
		if e.ifNoneExist != "" {
			keys = append(keys, conditionKey(e.typ, e.ifNoneExist))
		}
		if e.query != nil && e.method == http.MethodPut {
			keys = append(keys, conditionKeyOf(e.typ, e.query))
		}
		keys = referenceKeys(keys, e.resource)
	}
	return keys
}
