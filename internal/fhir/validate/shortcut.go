package validate

// Invariants decided without FHIRPath where the answer is plain from the
// object itself. On the Synthea set, ref-1 (every Reference) and per-1
// (every Period) were a fifth of validation's time; almost every such
// object is decided here, and the rest go to FHIRPath as before.
// TestShortcutsMatchFHIRPath holds each to its expression.

// shortcuts decide one invariant on obj: decided false leaves it to
// FHIRPath; otherwise pass is the expression's answer (true or empty).
var shortcuts = map[string]func(obj map[string]any) (pass, decided bool){
	"ref-1": localReference,
	"per-1": periodInOrder,
}

// localReference decides ref-1, reference.startsWith('#').not() or
// (reference.substring(1) in %rootResource.contained.id): a reference
// that is absent (empty) or not local (true) passes; a local one is
// looked up by FHIRPath.
func localReference(obj map[string]any) (pass, decided bool) {
	v, present := obj["reference"]
	if !present {
		return true, true
	}
	s, ok := v.(string)
	if !ok || s == "" || s[0] == '#' {
		return false, false
	}
	return true, true
}

// periodInOrder decides per-1, start.hasValue().not() or
// end.hasValue().not() or (start <= end): without both values it passes;
// with both at the same precision and in the same zone (dates, or
// dateTimes to the second with one offset) their text orders as their
// instants do. Anything else goes to FHIRPath.
func periodInOrder(obj map[string]any) (pass, decided bool) {
	sv, hasStart := obj["start"]
	ev, hasEnd := obj["end"]
	if !hasStart || !hasEnd {
		return true, true
	}
	start, ok1 := sv.(string)
	end, ok2 := ev.(string)
	if !ok1 || !ok2 || len(start) != len(end) || !isDateTime(start) || !isDateTime(end) {
		return false, false
	}
	switch {
	case len(start) <= len("2006-01-02"):
	case len(start) == len("2006-01-02T15:04:05Z") || len(start) == len("2006-01-02T15:04:05+00:00"):
		// No fraction (their lengths differ from these), no leap second,
		// and one zone.
		if start[19:] != end[19:] || start[17:19] == "60" || end[17:19] == "60" {
			return false, false
		}
	default:
		return false, false
	}
	return start <= end, true
}
