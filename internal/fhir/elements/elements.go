// Package elements returns subsets of resources for the _summary and
// _elements parameters, using the isSummary and min flags of the official
// element definitions. Subsets are marked with the SUBSETTED tag, as the
// specification requires, so that nobody mistakes them for the whole
// resource.
//
// Filtering applies to top-level elements; nested elements of a kept
// element are returned whole (a documented simplification).
package elements

import (
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// SummaryMode is a value of _summary.
type SummaryMode string

// The _summary modes.
const (
	SummaryTrue  SummaryMode = "true"
	SummaryText  SummaryMode = "text"
	SummaryData  SummaryMode = "data"
	SummaryCount SummaryMode = "count"
	SummaryFalse SummaryMode = "false"
)

// ParseSummary validates a _summary value.
func ParseSummary(v string) (SummaryMode, error) {
	switch m := SummaryMode(v); m {
	case SummaryTrue, SummaryText, SummaryData, SummaryCount, SummaryFalse:
		return m, nil
	}
	return "", fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "_summary=%s: expected true, text, data, count or false", v)
}

// always are kept in every subset.
var always = map[string]bool{"resourceType": true, "id": true, "meta": true}

// Summary returns the subset of res for mode (a new map; res is not changed).
func Summary(res fhir.Resource, mode SummaryMode) fhir.Resource {
	switch mode {
	case SummaryFalse, "":
		return res
	case SummaryData:
		out := copyTop(res, func(k string) bool { return baseName(k) != "text" })
		return markSubsetted(out)
	case SummaryText:
		out := copyTop(res, func(k string) bool {
			return always[k] || baseName(k) == "text" || isMandatory(res.Type(), k)
		})
		return markSubsetted(out)
	}
	out := copyTop(res, func(k string) bool {
		return always[k] || isSummary(res.Type(), k)
	})
	return markSubsetted(out)
}

// Select returns res with only the named top-level elements (plus
// resourceType, id and meta, and the mandatory elements the specification
// asks servers to keep).
func Select(res fhir.Resource, names []string) fhir.Resource {
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if i := strings.IndexByte(n, '.'); i >= 0 { // Type.element form
			n = n[i+1:]
		}
		if n != "" {
			want[n] = true
		}
	}
	out := copyTop(res, func(k string) bool {
		b := baseName(k)
		return always[k] || want[b] || want[k] || want[choiceRoot(res.Type(), b)] || isMandatory(res.Type(), k)
	})
	return markSubsetted(out)
}

func copyTop(res fhir.Resource, keep func(string) bool) fhir.Resource {
	out := make(fhir.Resource, len(res))
	for k, v := range res {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}

// baseName maps a primitive extension key (_birthDate) to its element.
func baseName(k string) string { return strings.TrimPrefix(k, "_") }

// markSubsetted adds the SUBSETTED security tag to a copy of meta.
func markSubsetted(res fhir.Resource) fhir.Resource {
	meta := map[string]any{}
	if m, ok := res["meta"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	tags, _ := meta["tag"].([]any)
	tags = append(append([]any(nil), tags...), map[string]any{
		"system":  "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
		"code":    "SUBSETTED",
		"display": "subsetted",
	})
	meta["tag"] = tags
	res["meta"] = meta
	return res
}

// element finds the definition of top-level JSON key k of typ, resolving
// choice keys (valueQuantity → value[x]).
func element(typ, k string) *definitions.Element {
	t := definitions.Lookup(typ)
	if t == nil {
		return nil
	}
	name := baseName(k)
	if e := t.Element(typ + "." + name); e != nil {
		return e
	}
	if root := choiceRoot(typ, name); root != "" {
		return t.Element(typ + "." + root + "[x]")
	}
	return nil
}

// choiceRoot returns "value" for "valueQuantity" when typ has value[x].
func choiceRoot(typ, name string) string {
	t := definitions.Lookup(typ)
	if t == nil {
		return ""
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] >= 'A' && name[i] <= 'Z' {
			if t.Element(typ+"."+name[:i]+"[x]") != nil {
				return name[:i]
			}
		}
	}
	return ""
}

func isSummary(typ, k string) bool {
	e := element(typ, k)
	return e != nil && e.IsSummary
}

func isMandatory(typ, k string) bool {
	e := element(typ, k)
	return e != nil && e.Min > 0
}
