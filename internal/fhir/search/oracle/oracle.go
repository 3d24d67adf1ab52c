// Package oracle is an independent, brute-force evaluator of a subset of
// FHIR R4 search, for differential testing of the indexed engine. It is
// written from the R4 search rules and walks the raw JSON by hand: it
// shares no code with package search (no FHIRPath, no extraction, no
// SQL), so that the two agree only if both follow the specification.
//
// It covers the parameters of the resource types Synthea produces that a
// GP system searches most (names, identifiers, codes, statuses, subjects,
// dates, quantities), with the default and :exact/:contains string
// matches, token forms and :not, reference forms and :[type], date and
// quantity prefixes, and :missing.
package oracle

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// kind is a parameter type.
type kind int

const (
	kString kind = iota
	kToken
	kReference
	kDate
	kQuantity
)

// param describes how the oracle reads one parameter: its type and the
// values it takes from a resource.
type param struct {
	kind   kind
	values func(res map[string]any) []any // strings, tokens, refs, dateRanges, quantities
	// refType restricts a reference parameter to one target type
	// ("patient" is subject where the subject is a Patient).
	refType string
}

type token struct{ system, code string }
type ref struct{ typ, id string }

var params = map[string]map[string]param{
	"Patient": {
		"name":               {kind: kString, values: humanNames},
		"family":             {kind: kString, values: func(r map[string]any) []any { return nameParts(r, "family") }},
		"given":              {kind: kString, values: func(r map[string]any) []any { return nameParts(r, "given") }},
		"gender":             {kind: kToken, values: plainCode("gender")},
		"birthdate":          {kind: kDate, values: dateOf("birthDate")},
		"identifier":         {kind: kToken, values: identifiers},
		"address-city":       {kind: kString, values: addressPart("city")},
		"address-postalcode": {kind: kString, values: addressPart("postalCode")},
	},
	"Observation": {
		"code":           {kind: kToken, values: codings("code")},
		"category":       {kind: kToken, values: codings("category")},
		"status":         {kind: kToken, values: plainCode("status")},
		"subject":        {kind: kReference, values: refsOf("subject")},
		"patient":        {kind: kReference, values: refsOf("subject"), refType: "Patient"},
		"encounter":      {kind: kReference, values: refsOf("encounter")},
		"date":           {kind: kDate, values: choiceDate("effective")},
		"value-quantity": {kind: kQuantity, values: quantityOf("valueQuantity")},
	},
	"Condition": {
		"code":            {kind: kToken, values: codings("code")},
		"category":        {kind: kToken, values: codings("category")},
		"clinical-status": {kind: kToken, values: codings("clinicalStatus")},
		"subject":         {kind: kReference, values: refsOf("subject")},
		"patient":         {kind: kReference, values: refsOf("subject"), refType: "Patient"},
		"onset-date":      {kind: kDate, values: choiceDate("onset")},
	},
	"Encounter": {
		"date":    {kind: kDate, values: choiceDate("period")},
		"subject": {kind: kReference, values: refsOf("subject")},
		"patient": {kind: kReference, values: refsOf("subject"), refType: "Patient"},
		"class":   {kind: kToken, values: codings("class")},
		"type":    {kind: kToken, values: codings("type")},
		"status":  {kind: kToken, values: plainCode("status")},
	},
	"MedicationRequest": {
		"status":     {kind: kToken, values: plainCode("status")},
		"intent":     {kind: kToken, values: plainCode("intent")},
		"subject":    {kind: kReference, values: refsOf("subject")},
		"patient":    {kind: kReference, values: refsOf("subject"), refType: "Patient"},
		"authoredon": {kind: kDate, values: dateOf("authoredOn")},
		"code":       {kind: kToken, values: codings("medicationCodeableConcept")},
	},
	"Procedure": {
		"code":    {kind: kToken, values: codings("code")},
		"status":  {kind: kToken, values: plainCode("status")},
		"subject": {kind: kReference, values: refsOf("subject")},
		"patient": {kind: kReference, values: refsOf("subject"), refType: "Patient"},
		"date":    {kind: kDate, values: choiceDate("performed")},
	},
	"Immunization": {
		"vaccine-code": {kind: kToken, values: codings("vaccineCode")},
		"status":       {kind: kToken, values: plainCode("status")},
		"patient":      {kind: kReference, values: refsOf("patient")},
		"date":         {kind: kDate, values: choiceDate("occurrence")},
	},
}

// Supports reports whether the oracle knows a parameter of a type.
func Supports(resourceType, name string) bool {
	_, ok := params[resourceType][name]
	return ok || name == "_id"
}

// Match returns the ids, sorted, of the resources of resourceType that
// match every parameter of query (AND across parameters and repeats, OR
// across comma-separated values). _count, _sort and _total are ignored.
func Match(resources []map[string]any, resourceType string, query url.Values) ([]string, error) {
	type test func(map[string]any) bool
	var tests []test
	for key, raw := range query {
		switch key {
		case "_count", "_sort", "_total":
			continue
		}
		name, modifier, _ := strings.Cut(key, ":")
		for _, value := range raw {
			if name == "_id" {
				ids := strings.Split(value, ",")
				tests = append(tests, func(r map[string]any) bool { return contains(ids, str(r, "id")) })
				continue
			}
			p, ok := params[resourceType][name]
			if !ok {
				return nil, fmt.Errorf("oracle: unknown parameter %s for %s", name, resourceType)
			}
			t, err := makeTest(p, modifier, value)
			if err != nil {
				return nil, fmt.Errorf("oracle: %s=%s: %w", key, value, err)
			}
			tests = append(tests, t)
		}
	}
	var ids []string
	for _, r := range resources {
		if str(r, "resourceType") != resourceType {
			continue
		}
		ok := true
		for _, t := range tests {
			if !t(r) {
				ok = false
				break
			}
		}
		if ok {
			ids = append(ids, str(r, "id"))
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// makeTest builds the predicate of one parameter occurrence.
func makeTest(p param, modifier, value string) (func(map[string]any) bool, error) {
	valuesOf := func(r map[string]any) []any {
		vs := p.values(r)
		if p.refType == "" {
			return vs
		}
		var out []any
		for _, v := range vs {
			if rf, ok := v.(ref); ok && rf.typ == p.refType {
				out = append(out, v)
			}
		}
		return out
	}
	if modifier == "missing" {
		want := value == "true"
		return func(r map[string]any) bool { return (len(valuesOf(r)) == 0) == want }, nil
	}
	var alternatives []func(any) bool
	for _, v := range strings.Split(value, ",") {
		m, err := matcher(p.kind, modifier, v)
		if err != nil {
			return nil, err
		}
		alternatives = append(alternatives, m)
	}
	anyMatch := func(r map[string]any) bool {
		for _, v := range valuesOf(r) {
			for _, m := range alternatives {
				if m(v) {
					return true
				}
			}
		}
		return false
	}
	if modifier == "not" {
		return func(r map[string]any) bool { return !anyMatch(r) }, nil
	}
	return anyMatch, nil
}

func matcher(k kind, modifier, value string) (func(any) bool, error) {
	switch k {
	case kString:
		return stringMatcher(modifier, value), nil
	case kToken:
		return tokenMatcher(value), nil
	case kReference:
		return refMatcher(modifier, value), nil
	case kDate:
		return dateMatcher(value)
	case kQuantity:
		return quantityMatcher(value)
	}
	return nil, fmt.Errorf("unknown kind")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
