// Package oracle is an independent, brute-force evaluator of a subset of
// FHIR R4 search (https://hl7.org/fhir/R4/search.html), used by
// differential tests to check the SQL-indexed search engine.
//
// It is written from the R4 specification alone, without the engine's
// code: it uses no FHIRPath engine and shares no extraction,
// normalisation or SQL with package search. Each resource is walked by
// hand as decoded JSON and every query is tested against every resource,
// so the engine and the oracle agree only when both follow the
// specification.
//
// Supported: _id on every type and the string, token, reference, date and
// quantity parameters of Patient, Observation, Condition, Encounter,
// MedicationRequest, Procedure and Immunization listed in params.go; the
// string modifiers :exact and :contains, token :not, reference :[type],
// :missing on every parameter, the date prefixes eq ne gt lt ge le sa eb
// and the quantity prefixes eq ne gt lt ge le. Parameters are ANDed
// (repeats of one name too); comma-separated values are ORed.
package oracle

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// test reports whether a resource satisfies one parameter occurrence.
type test func(res map[string]any) bool

// param is one search parameter of one resource type.
type param interface {
	// present reports whether the resource has a value for the parameter
	// (the :missing modifier).
	present(res map[string]any) bool
	// matcher builds the test for a modifier and a list of ORed values,
	// each still carrying its backslash escapes.
	matcher(modifier string, values []string) (test, error)
}

// ignored are result-control parameters that do not filter.
var ignored = map[string]bool{"_count": true, "_sort": true, "_total": true}

// Match returns the ids (sorted ascending, as strings) of the resources of type resourceType in
// resources that match every parameter in query (AND across parameters, OR across comma-separated
// values within one parameter). Resources are decoded JSON objects (map[string]any, numbers may be
// float64 or json.Number — handle both). Unknown parameters return an error.
func Match(resources []map[string]any, resourceType string, query url.Values) ([]string, error) {
	tests, err := compile(resourceType, query)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, res := range resources {
		if rt, _ := res["resourceType"].(string); rt != resourceType {
			continue
		}
		if all(res, tests) {
			id, _ := res["id"].(string)
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func all(res map[string]any, tests []test) bool {
	for _, t := range tests {
		if !t(res) {
			return false
		}
	}
	return true
}

// compile turns the query into tests, one per occurrence of a parameter.
func compile(resourceType string, query url.Values) ([]test, error) {
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic error reporting
	var tests []test
	for _, key := range keys {
		name, modifier, hasModifier := strings.Cut(key, ":")
		if ignored[name] {
			continue
		}
		p, ok := lookup(resourceType, name)
		if !ok {
			return nil, fmt.Errorf("oracle: unknown search parameter %q for %s", name, resourceType)
		}
		if hasModifier && modifier == "" {
			return nil, fmt.Errorf("oracle: empty modifier in %q", key)
		}
		for _, raw := range query[key] {
			t, err := occurrence(p, modifier, raw)
			if err != nil {
				return nil, fmt.Errorf("oracle: %s=%s: %w", key, raw, err)
			}
			if t != nil {
				tests = append(tests, t)
			}
		}
	}
	return tests, nil
}

// occurrence builds the test of one key=value pair; a value that is empty
// once split on commas is ignored, as R4 asks of empty parameters.
func occurrence(p param, modifier, raw string) (test, error) {
	if modifier == "missing" {
		switch raw {
		case "true":
			return func(res map[string]any) bool { return !p.present(res) }, nil
		case "false":
			return p.present, nil
		}
		return nil, fmt.Errorf(":missing takes true or false")
	}
	var values []string
	for _, v := range splitEscaped(raw, ',') {
		if v != "" {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return nil, nil
	}
	return p.matcher(modifier, values)
}

// anyMatch reports whether any value satisfies any of the predicates.
func anyMatch[T any](values []T, preds []func(T) bool) bool {
	for _, v := range values {
		for _, p := range preds {
			if p(v) {
				return true
			}
		}
	}
	return false
}

// splitEscaped splits s at each sep not escaped by a backslash; the parts
// keep their escapes (see unescape).
func splitEscaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// unescape removes the search escapes \, \| \$ and \\.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitPrefix separates a two-letter comparison prefix from a date or
// number; without one the prefix is eq.
func splitPrefix(v string) (prefix, rest string) {
	if len(v) >= 2 && isLetter(v[0]) && isLetter(v[1]) {
		return v[:2], v[2:]
	}
	return "eq", v
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
