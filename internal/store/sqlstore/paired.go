package sqlstore

import "github.com/gpcloud/gpcloud/internal/fhir/search"

// withPairedFilters returns q with each pair of its filters that one
// composite's rows answer exactly (search.Paired: code and value-quantity
// as code-value-quantity) replaced by the composite's filter, so that the
// pair is one range of the composite's lookup index (the twelfth
// migration) instead of one filter's rows each probed for the other. q is
// not changed. Both pages of a search plan it alike, so a continuation
// names a match of the same list.
func withPairedFilters(q *search.Query) *search.Query {
	if len(q.Types) != 1 || len(q.Filters) < 2 {
		return q
	}
	typ := q.Types[0]
	used := make([]bool, len(q.Filters))
	var out []*search.Filter
	for i, f := range q.Filters {
		if used[i] {
			continue
		}
		for j := i + 1; j < len(q.Filters) && !used[i]; j++ {
			if used[j] {
				continue
			}
			if p := search.Paired(typ, f, q.Filters[j]); p != nil {
				used[i], used[j] = true, true
				out = append(out, p)
			}
		}
		if !used[i] {
			out = append(out, f)
		}
	}
	if len(out) == len(q.Filters) {
		return q
	}
	paired := *q
	paired.Filters = out
	return &paired
}
