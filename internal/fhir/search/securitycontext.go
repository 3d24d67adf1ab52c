package search

// SecurityContextParam names the index rows that hold a Binary's
// securityContext. R4 defines no search parameter on it, so no search can
// name these rows; the access condition of a search reads them, because a
// Binary, outside every compartment, is reached as the resource its
// securityContext names is (see package service).
const SecurityContextParam = "_securityContext"

// SecurityContext returns the reference in a Binary's securityContext, as
// an index row (its target type and id set), or false when there is none
// or it names no resource (a contained or unparseable reference).
func SecurityContext(resource map[string]any) (ReferenceValue, bool) {
	if resource["resourceType"] != "Binary" {
		return ReferenceValue{}, false
	}
	sc, _ := resource["securityContext"].(map[string]any)
	ref := str(sc, "reference")
	if ref == "" || ref[0] == '#' {
		return ReferenceValue{}, false
	}
	rv := referenceValue(SecurityContextParam, ref)
	return rv, rv.TargetType != "" && rv.TargetID != ""
}
