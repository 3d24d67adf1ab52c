package fhir

// DeepCopy copies decoded JSON's maps and lists, so that the copy can be
// changed in place without changing v; strings, numbers and other values
// are shared (they are not changed in place).
func DeepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = DeepCopy(e)
		}
		return out
	case Resource:
		return Resource(DeepCopy(map[string]any(t)).(map[string]any))
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = DeepCopy(e)
		}
		return out
	}
	return v
}
