package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// ConditionalParams are the search parameters that conditional
// interactions, conditional references and the basic search support until
// the search engine indexes every SearchParameter. The CapabilityStatement
// lists exactly these.
var ConditionalParams = []string{"_id", "identifier"}

// resultParams are parameters that shape results rather than select them;
// conditional matching ignores them.
var resultParams = map[string]bool{
	"_format": true, "_pretty": true, "_summary": true, "_elements": true,
	"_count": true, "_sort": true, "_total": true, "_include": true, "_revinclude": true,
}

// findQuery compiles the search parameters of a conditional interaction
// into a store query; a condition without any parameter is refused (it
// would match everything).
func findQuery(typ string, values url.Values) (store.FindQuery, error) {
	q, selecting, err := parseCriteria(typ, values)
	if err == nil && !selecting {
		err = fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "a conditional interaction on %s needs at least one search parameter", typ)
	}
	return q, err
}

// parseCriteria compiles search parameters into a store query and tells
// whether any parameter selects (rather than shapes) results.
func parseCriteria(typ string, values url.Values) (q store.FindQuery, selecting bool, err error) {
	q.Type = typ
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if resultParams[k] {
			continue
		}
		for _, v := range values[k] {
			if err := search.CheckParam(k, v); err != nil {
				return q, false, err
			}
			selecting = true
			switch k {
			case "_id":
				for _, id := range strings.Split(v, ",") {
					if err := checkID(id); err != nil {
						return q, false, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "search parameter _id: invalid id %q", id)
					}
					q.IDs = append(q.IDs, id)
				}
			case "identifier":
				if strings.Contains(v, ",") {
					return q, false, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "search parameter identifier: several values (OR) are not supported yet")
				}
				c, err := parseToken("identifier", v)
				if err != nil {
					return q, false, err
				}
				q.Criteria = append(q.Criteria, c)
			default:
				return q, false, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported,
					"search parameter %q is not supported here (supported: %s)", k, strings.Join(ConditionalParams, ", "))
			}
		}
	}
	// The search engine's limits hold here too (each identifier is an
	// EXISTS of its own).
	if err := search.CheckValues("_id", len(q.IDs)); err != nil {
		return q, false, err
	}
	if err := search.CheckValues("identifier", len(q.Criteria)); err != nil {
		return q, false, err
	}
	return q, selecting, nil
}

// parseToken parses a token search value: code, system|code, |code or system|.
func parseToken(param, v string) (store.Criterion, error) {
	c := store.Criterion{Param: param}
	if i := strings.IndexByte(v, '|'); i >= 0 {
		c.System, c.SystemSet, c.Code = v[:i], true, v[i+1:]
	} else {
		c.Code = v
	}
	if c.Code == "" && c.System == "" {
		return c, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "search parameter %s: empty value", param)
	}
	return c, nil
}

// match returns up to limit ids of resources of typ matching values,
// among those the caller reaches: a condition must not find (and so
// reveal, or overwrite) a record outside it.
func (s *Service) match(ctx context.Context, r store.Reader, typ string, values url.Values, limit int) ([]string, error) {
	reach, err := allow(ctx, typ, auth.Read)
	if err != nil {
		return nil, err
	}
	// A condition is a search: a patient or proxy may not match through
	// other entries (_has, chains) or by free text, as in Search.
	if err := checkWithheldSearch(ctx, values); err != nil {
		return nil, err
	}
	if err := checkRedactedSearch(ctx, []string{typ}, values); err != nil {
		return nil, err
	}
	want := limit
	if reach != nil && limit > 0 {
		limit = max(limit, restrictedMatchLimit) // some matches may be out of reach
	}
	var ids []string
	q, err := findQuery(typ, values)
	switch {
	case needsSearchEngine(err):
		ids, err = s.searchIDs(ctx, typ, values, limit)
	case err == nil:
		q.Limit = limit
		ids, err = r.Find(ctx, q)
		err = mapStoreError(err)
	}
	if err != nil || reach == nil {
		return ids, err
	}
	var visible []string
	for _, id := range ids {
		v, err := r.Read(ctx, typ, id)
		if err != nil {
			return nil, mapStoreError(err)
		}
		ok, err := s.seesVersion(ctx, r, reach, v)
		if err != nil {
			return nil, err
		}
		if ok {
			visible = append(visible, id)
		}
		if want > 0 && len(visible) == want {
			break
		}
	}
	return visible, nil
}

// restrictedMatchLimit is how many matches a restricted caller's
// condition looks through for the ones they reach.
const restrictedMatchLimit = 50

// needsSearchEngine reports a condition the token index alone cannot
// answer (parameters other than _id and identifier, or several values).
func needsSearchEngine(err error) bool {
	var fe *fhir.Error
	if !errors.As(err, &fe) || len(fe.Issues) == 0 {
		return false
	}
	return fe.Issues[0].Code == fhir.CodeNotSupported
}

// searchIDs answers a condition with the search engine, strictly (an
// unknown parameter is an error, not ignored: a condition that ignored
// part of itself could match the wrong resource). It reads committed data:
// inside a transaction it does not see the transaction's own writes.
func (s *Service) searchIDs(ctx context.Context, typ string, values url.Values, limit int) ([]string, error) {
	criteria := url.Values{}
	for k, v := range values {
		if !resultParams[k] {
			criteria[k] = v
		}
	}
	q, ignored, err := search.Parse([]string{typ}, criteria, search.ParseOptions{BaseURL: s.baseURL, DefaultCount: limit, MaxCount: limit})
	if err != nil {
		return nil, err
	}
	if len(ignored) > 0 {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "condition %s: %s", ignored[0].Name, ignored[0].Reason)
	}
	if err := s.resolveTerminology(ctx, q.Filters); err != nil {
		return nil, err
	}
	// The matches themselves are checked one by one by the caller; what
	// the condition's chains and _has walk through is guarded here.
	if err := guardSteps(ctx, q); err != nil {
		return nil, err
	}
	page, err := s.store.Search(ctx, q, store.PageRequest{})
	if err != nil {
		return nil, mapStoreError(err)
	}
	ids := make([]string, 0, len(page.Matches))
	for _, v := range page.Matches {
		ids = append(ids, v.ID)
	}
	return ids, nil
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
