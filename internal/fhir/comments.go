package fhir

// CommentsKey is the DSTU2 JSON member for XML comments. R4 JSON has no
// comments, but converters (the npm fhir package among them) still write
// it, for example in the UK Core examples.
const CommentsKey = "fhir_comments"

// DropComments removes every fhir_comments member from a decoded JSON
// value, in place, and reports how many it removed. A primitive's
// extension object (_status) that held nothing but comments goes too, as
// does an array of them that is left all null. The server accepts such
// resources rather than refusing otherwise valid content over a
// converter's leftovers, and does not store the comments.
func DropComments(v any) int {
	switch x := v.(type) {
	case Resource:
		return dropInObject(x)
	case map[string]any:
		return dropInObject(x)
	case []any:
		n := 0
		for _, c := range x {
			n += DropComments(c)
		}
		return n
	}
	return 0
}

func dropInObject(m map[string]any) int {
	n := 0
	if _, ok := m[CommentsKey]; ok {
		delete(m, CommentsKey)
		n++
	}
	for k, c := range m {
		removed := DropComments(c)
		n += removed
		if removed == 0 {
			continue
		}
		switch cv := c.(type) {
		case map[string]any:
			if len(cv) == 0 {
				delete(m, k)
			}
		case []any:
			allNull := true
			for i, item := range cv {
				if im, ok := item.(map[string]any); ok && len(im) == 0 {
					cv[i] = nil
				}
				allNull = allNull && cv[i] == nil
			}
			if allNull {
				delete(m, k)
			}
		}
	}
	return n
}
