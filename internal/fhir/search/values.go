package search

import "slices"

// Values are the index rows of one resource: every search parameter value
// extracted from it, by type. A store keeps them in typed tables, replaced
// on every write in the same transaction as the resource.
type Values struct {
	Strings    []StringValue
	Tokens     []TokenValue
	References []ReferenceValue
	Dates      []DateValue
	Numbers    []NumberValue
	Quantities []QuantityValue
	URIs       []URIValue
	Composites []CompositeValue
}

// Len is the number of rows.
func (v *Values) Len() int {
	return len(v.Strings) + len(v.Tokens) + len(v.References) + len(v.Dates) + len(v.Numbers) +
		len(v.Quantities) + len(v.URIs) + len(v.Composites)
}

// dedupe drops the rows a resource yields twice (an AuditEvent's two
// entities of one type, one code in two codings): a row says only that
// the resource matches, and a second one costs an index entry in every
// index of its table. Synthea at 1x with its audit trail held 180,097
// such token rows, all but 50 of them AuditEvent entity types.
func (v *Values) dedupe() {
	v.Strings = unique(v.Strings)
	v.Tokens = withoutRepeatedText(unique(v.Tokens))
	v.References = unique(v.References)
	v.Dates = unique(v.Dates)
	v.Numbers = unique(v.Numbers)
	v.Quantities = unique(v.Quantities)
	v.URIs = unique(v.URIs)
	v.Composites = unique(v.Composites)
}

// withoutRepeatedText drops the token rows that hold only a text (a
// CodeableConcept's, or a Coding's display without system or code) which
// another row of the parameter holds too: that row answers :text alike,
// and rows without a code match no other search. Synthea's concepts
// repeat their coding's display as their text: 57,157 of the 725,728
// index rows its patients took. The store's fourteenth migration deletes
// such rows that earlier versions wrote (sqlstore.ConceptTextRowsSchema).
func withoutRepeatedText(tokens []TokenValue) []TokenValue {
	textOnly := func(t TokenValue) bool { return t.System == "" && t.Code == "" }
	if !slices.ContainsFunc(tokens, textOnly) {
		return tokens
	}
	// In place: DeleteFunc only moves the rows it keeps, so every coded
	// row the test looks for stays in the slice while it runs.
	return slices.DeleteFunc(tokens, func(t TokenValue) bool {
		return textOnly(t) && slices.ContainsFunc(tokens, func(o TokenValue) bool {
			return !textOnly(o) && o.Param == t.Param && o.Text == t.Text
		})
	})
}

// unique keeps the first of equal elements, in order.
func unique[T comparable](s []T) []T {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	if len(s) <= 32 { // most resources: a scan beats a map
		for _, x := range s[1:] {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		return out
	}
	seen := make(map[T]bool, len(s))
	seen[s[0]] = true
	for _, x := range s[1:] {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// StringValue: Norm is the value lower-cased and without accents (for the
// default starts-with and :contains), Exact the value as written.
type StringValue struct {
	Param, Norm, Exact string
}

// TokenValue is system|code; Text holds the normalised display or text
// (for :text). Identifier type rows use Param "<code>:of-type" with the
// type's system and code+"|"+value; reference identifiers use
// "<code>:identifier".
type TokenValue struct {
	Param, System, Code, Text string
}

// ReferenceValue: a literal reference to a resource (TargetType/TargetID)
// or, for absolute URLs and canonicals, URL.
type ReferenceValue struct {
	Param, TargetType, TargetID, URL string
}

// DateValue is the range a date, dateTime, instant, Period or Timing
// covers, in microseconds since the Unix epoch (UTC), both ends inclusive.
type DateValue struct {
	Param  string
	Lo, Hi int64
}

// NumberValue is a number and the range its precision implies.
type NumberValue struct {
	Param         string
	Value, Lo, Hi float64
}

// QuantityValue is a Quantity (or Money, Age...), with the range its
// precision implies; Code is the UCUM code or, failing that, the unit.
type QuantityValue struct {
	Param              string
	System, Code, Unit string
	Value, Lo, Hi      float64
}

// URIValue is a uri, url or canonical.
type URIValue struct {
	Param, URI string
}

// CompositeValue is one pairing of a two-part composite parameter's
// components read from the same element. The first part is a token
// (FirstSystem|FirstCode) or a reference (FirstCode "Type/id"). The
// second is a token or reference (System, Code), a string (Code,
// normalised), a number or quantity (Lo = Hi = its value; System and Code
// its unit), or a date (Lo, Hi in microseconds).
type CompositeValue struct {
	Param                  string
	FirstSystem, FirstCode string
	System, Code           string
	Lo, Hi                 float64
}

// OnePatient is the id of the one Patient the resource's patient
// parameter names, or "" when it names none or more than one. Stores keep
// it on the resource's token rows (the patient key), so that a search
// going from codes to patients (Patient?_has:Observation:patient:code=X)
// reads it from the code's rows instead of looking up each match's
// reference: at 10x Synthea, 9,600 lookups for 860 patients. A resource
// naming several patients (an AuditEvent with a patient as agent and
// another as entity) has no key, and is found by its references. For a
// type with no patient parameter (Patient itself) it is "".
func (v *Values) OnePatient() string {
	one := ""
	for _, r := range v.References {
		if r.Param != "patient" || r.TargetType != "Patient" || r.TargetID == "" {
			continue
		}
		if one != "" && one != r.TargetID {
			return ""
		}
		one = r.TargetID
	}
	return one
}
