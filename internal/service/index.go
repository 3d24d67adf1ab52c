package service

import (
	"strconv"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// indexOf extracts the index rows of a resource. Until the search engine
// indexes every SearchParameter, it indexes the business identifiers
// (the top-level identifier element) that conditional interactions and
// conditional references match on.
func indexOf(res fhir.Resource) store.Index {
	var idx store.Index
	add := func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		value, _ := m["value"].(string)
		if value == "" {
			return
		}
		system, _ := m["system"].(string)
		idx.Tokens = append(idx.Tokens, store.Token{Param: "identifier", System: system, Code: value})
	}
	switch v := res["identifier"].(type) {
	case []any:
		for _, e := range v {
			add(e)
		}
	case map[string]any:
		add(v)
	}
	return idx
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
