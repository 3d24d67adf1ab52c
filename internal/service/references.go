package service

import (
	"context"
	"net/http"

	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// resolveTargets decides, before anything is written, which id every
// writing entry writes to, and records each entry's fullUrl → Type/id so
// that references to it can be rewritten. Conditional creates, updates,
// patches and deletes are matched against the store here. Two entries
// writing the same resource make the bundle invalid.
func (s *Service) resolveTargets(ctx context.Context, tx store.Tx, entries []*bundleEntry) error {
	written := map[string]int{}
	for _, e := range entries {
		var err error
		switch e.method {
		case http.MethodPost:
			if e.ifNoneExist != "" {
				e.existing, err = s.matchOne(ctx, tx, e.typ, e.ifNoneExist, "ifNoneExist")
			}
			if e.existing == "" {
				e.target = newID()
			}
		case http.MethodPut:
			e.target = e.id
			if e.query != nil {
				e.target, err = s.conditionalTarget(ctx, tx, e.typ, e.query, e.resource)
				if err == nil && e.resource.ID() == "" {
					e.resource["id"] = e.target
				}
			}
		case http.MethodPatch, http.MethodDelete:
			e.target = e.id
			if e.query != nil {
				if e.method == http.MethodPatch {
					e.target, err = s.matchExisting(ctx, tx, e.typ, e.query, "conditional patch")
				} else {
					e.target, err = s.deleteTarget(ctx, tx, e.typ, e.query)
				}
			}
		}
		if err != nil {
			return entryError(e.index, err)
		}
		if e.target != "" {
			key := e.typ + "/" + e.target
			if prev, dup := written[key]; dup {
				return entryError(e.index, fhir.Errorf(http.StatusBadRequest, fhir.CodeDuplicate, "%s is also written by entry %d: a transaction may change a resource only once", key, prev))
			}
			written[key] = e.index
		}
	}
	return nil
}

// deleteTarget resolves a conditional delete: "" when nothing matches.
// The caller's scopes are checked first: a token that may not delete
// gets 403 whether or not anything matches.
func (s *Service) deleteTarget(ctx context.Context, r store.Reader, typ string, query url.Values) (string, error) {
	if _, err := allow(ctx, typ, auth.Delete); err != nil {
		return "", err
	}
	ids, err := s.match(ctx, r, typ, query, 2)
	if err != nil {
		return "", err
	}
	if len(ids) > 1 {
		return "", fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeMultipleMatch, "conditional delete: %s?%s matches more than one resource", typ, query.Encode())
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	return "", nil
}

// rewriteReferences replaces, in every entry's resource, each reference to
// another entry's fullUrl (urn:uuid:, urn:oid: or an absolute URL) by the
// Type/id that entry writes, and each conditional reference
// (Type?identifier=...) by the one resource it matches, in the store or in
// the bundle. References are found wherever they are: nested elements,
// extensions and contained resources alike.
func (s *Service) rewriteReferences(ctx context.Context, tx store.Tx, entries []*bundleEntry) error {
	return s.rewriteReferencesRecording(ctx, tx, entries, nil)
}

// rewriteReferencesRecording is rewriteReferences reading r (a
// transaction, or the store outside one), noting in resolved, when it is
// not nil, the resource each conditional reference named.
func (s *Service) rewriteReferencesRecording(ctx context.Context, r store.Reader, entries []*bundleEntry, resolved map[string]string) error {
	refs := map[string]string{}
	for _, e := range entries {
		id := e.target
		if e.existing != "" {
			id = e.existing
		}
		if e.fullURL != "" && id != "" {
			refs[e.fullURL] = e.typ + "/" + id
		}
	}
	for _, e := range entries {
		if e.resource == nil || e.method == http.MethodPatch {
			continue
		}
		var failure error
		fhir.WalkReferences(map[string]any(e.resource), func(ref string) (string, bool) {
			if failure != nil {
				return "", false
			}
			if to, ok := refs[ref]; ok {
				return to, true
			}
			if typ, query, ok := conditionalReference(ref); ok {
				to, err := s.resolveConditionalReference(ctx, r, entries, typ, query)
				if err != nil {
					failure = entryError(e.index, err)
					return "", false
				}
				refs[ref] = to
				if resolved != nil {
					resolved[ref] = to
				}
				return to, true
			}
			return "", false
		})
		if failure != nil {
			return failure
		}
	}
	return nil
}

// conditionalReference recognises "Type?query".
func conditionalReference(ref string) (typ, query string, ok bool) {
	typ, query, ok = strings.Cut(ref, "?")
	if !ok || strings.Contains(typ, "/") || checkType(typ) != nil {
		return "", "", false
	}
	return typ, query, true
}

// resolveConditionalReference finds the one resource a conditional
// reference denotes: first among stored resources the caller reaches,
// then among the resources this bundle creates (so a bundle may refer to
// a Practitioner it carries by identifier). No match or several matches
// fail with 412. A record out of the caller's reach is not a match: the
// answer is the same as when nobody has it, so that a conditional
// reference cannot test whether, say, an NHS number is registered at
// another practice.
func (s *Service) resolveConditionalReference(ctx context.Context, r store.Reader, entries []*bundleEntry, typ, query string) (string, error) {
	ref := typ + "?" + query
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "conditional reference %q: cannot parse query: %v", ref, err)
	}
	ids, err := s.match(ctx, r, typ, values, 2)
	if err != nil {
		return "", err
	}
	// Conditions the token index answers see the bundle's own entries too
	// (the search engine sees committed data only).
	if q, err := findQuery(typ, values); err == nil {
		for _, e := range entries {
			if e.resource != nil && e.typ == typ && e.target != "" && (e.method == http.MethodPost || e.method == http.MethodPut) && matchesQuery(q, e.target, e.resource) {
				ids = appendUnique(ids, e.target)
			}
		}
	}
	switch len(ids) {
	case 1:
		return typ + "/" + ids[0], nil
	case 0:
		return "", fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeNotFound, "conditional reference %q matches no resource", ref)
	}
	return "", fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeMultipleMatch, "conditional reference %q matches more than one resource", ref)
}

// resolveOwnReferences rewrites the conditional references of a resource
// written on its own (a create, update or patch outside a transaction) to
// the one resource each denotes, as a transaction would: stored verbatim,
// Observation.subject "Patient?identifier=..." would tie the record to no
// patient, and anyone could read it.
func (s *Service) resolveOwnReferences(ctx context.Context, tx store.Tx, res fhir.Resource) error {
	var failure error
	fhir.WalkReferences(map[string]any(res), func(ref string) (string, bool) {
		if failure != nil {
			return "", false
		}
		typ, query, ok := conditionalReference(ref)
		if !ok {
			return "", false
		}
		to, err := s.resolveConditionalReference(ctx, tx, nil, typ, query)
		if err != nil {
			failure = err
			return "", false
		}
		return to, true
	})
	return failure
}

// matchesQuery evaluates a FindQuery against a resource not yet stored.
func matchesQuery(q store.FindQuery, id string, res fhir.Resource) bool {
	if len(q.IDs) > 0 && !contains(q.IDs, id) {
		return false
	}
	tokens := indexOf(res).Tokens
	for _, c := range q.Criteria {
		found := false
		for _, t := range tokens {
			if t.Param == c.Param && (c.Code == "" || t.Code == c.Code) && (!c.SystemSet && c.System == "" || t.System == c.System) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}
