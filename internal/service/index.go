package service

import (
	"strconv"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
)

// indexOf extracts the search index rows of a resource: every supported
// R4 search parameter of its type, with the official expressions.
func indexOf(res fhir.Resource) search.Values { return search.Extract(res) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
