package definitions

import "sort"

// SearchParam is one official R4 SearchParameter.
type SearchParam struct {
	URL  string
	Code string
	// Base lists the resource types the parameter applies to ("Resource"
	// and "DomainResource" for the common ones).
	Base       []string
	Type       string // number, date, string, token, reference, composite, quantity, uri, special
	Expression string // FHIRPath
	Target     []string
	// Components are a composite parameter's parts, in order: the
	// parameter each is searched as (by URL) and the FHIRPath expression
	// that reads it from the element Expression selects.
	Components []SearchComponent
}

// SearchComponent is one part of a composite search parameter.
type SearchComponent struct {
	Definition string
	Expression string
}

// SearchParameters returns the parameters that apply to a resource type,
// including those defined on Resource and DomainResource, sorted by code.
func SearchParameters(resourceType string) []SearchParam {
	var out []SearchParam
	for _, p := range searchParamTable {
		for _, b := range p.Base {
			if b == resourceType || b == "Resource" || (b == "DomainResource" && Lookup(resourceType).Base == "DomainResource") {
				out = append(out, p)
				break
			}
		}
	}
	sortParams(out)
	return out
}

// AllSearchParameters returns every parameter, sorted by URL.
func AllSearchParameters() []SearchParam {
	return append([]SearchParam(nil), searchParamTable...)
}

func sortParams(ps []SearchParam) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Code < ps[j].Code })
}
