package oracle

// Hand-written navigation of decoded JSON.

// list returns an array's elements, a single value as a one-element list,
// and nothing for nil.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// child returns the member key of an object, or nil.
func child(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

// walk follows path from root, flattening arrays at every step.
func walk(root any, path ...string) []any {
	cur := []any{root}
	for _, key := range path {
		var next []any
		for _, v := range cur {
			next = append(next, list(child(v, key))...)
		}
		cur = next
	}
	return cur
}

// text returns v if it is a string.
func text(v any) string {
	s, _ := v.(string)
	return s
}

// stringsAt returns the non-empty strings at path.
func stringsAt(res map[string]any, path ...string) []string {
	var out []string
	for _, v := range walk(res, path...) {
		if s := text(v); s != "" {
			out = append(out, s)
		}
	}
	return out
}
