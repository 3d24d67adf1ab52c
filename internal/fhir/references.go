package fhir

// WalkReferences calls fn with every string under a "reference" key in v,
// replacing it when fn says so: wherever it is (nested elements,
// extensions, contained resources).
func WalkReferences(v any, fn func(string) (string, bool)) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if k == "reference" {
				if ref, ok := child.(string); ok {
					if to, ok := fn(ref); ok {
						t[k] = to
					}
					continue
				}
			}
			WalkReferences(child, fn)
		}
	case []any:
		for _, child := range t {
			WalkReferences(child, fn)
		}
	}
}
