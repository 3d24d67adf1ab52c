package service

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/jsonpatch"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Patch applies a JSON Patch to the current version of typ/id and stores
// the result as the next version. A patch that fails (a failed test, a
// missing path) answers 422; a patch that changes resourceType or id, or
// whose result is invalid, is refused like any invalid update.
func (s *Service) Patch(ctx context.Context, typ, id string, patch jsonpatch.Patch, ifMatch Precondition) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err := s.inTx(ctx, policyFor(ifMatch), func(tx store.Tx) error {
		var err error
		out, err = s.patchIn(ctx, tx, typ, id, patch, ifMatch)
		return err
	})
	return out, err
}

// ConditionalPatch patches the one resource matching query (404 when none
// matches, 412 when several do).
func (s *Service) ConditionalPatch(ctx context.Context, typ string, query url.Values, patch jsonpatch.Patch, ifMatch Precondition) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err := s.inTx(ctx, policyFor(ifMatch), func(tx store.Tx) error {
		id, err := s.matchExisting(ctx, tx, typ, query, "conditional patch")
		if err != nil {
			return err
		}
		out, err = s.patchIn(ctx, tx, typ, id, patch, ifMatch)
		return err
	})
	return out, err
}

// matchExisting resolves a conditional query that must match exactly one
// resource: 404 for none, 412 for several.
func (s *Service) matchExisting(ctx context.Context, r store.Reader, typ string, query url.Values, what string) (string, error) {
	if _, err := allow(ctx, typ, auth.Update); err != nil {
		return "", err // before matching: a refusal must not depend on the data
	}
	ids, err := s.match(ctx, r, typ, query, 2)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s: %s?%s matches no resource", what, typ, query.Encode())
	case 1:
		return ids[0], nil
	}
	return "", fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeMultipleMatch, "%s: %s?%s matches more than one resource", what, typ, query.Encode())
}

func (s *Service) patchIn(ctx context.Context, tx store.Tx, typ, id string, patch jsonpatch.Patch, ifMatch Precondition) (Outcome, error) {
	cur, err := s.readVisible(ctx, tx, typ, id)
	if err != nil {
		return Outcome{}, err
	}
	if ifMatch.Set && cur.Version.VersionID != ifMatch.Version {
		return Outcome{}, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "If-Match: %s/%s is at version %d, not %d", typ, id, cur.Version.VersionID, ifMatch.Version)
	}
	// A patch applies to the resource as the client knows it: a Binary
	// with its data.
	stored, err := ExpandBody(ctx, tx, cur.Version)
	if err != nil {
		return Outcome{}, mapStoreError(err)
	}
	doc, err := decodeStored(stored)
	if err != nil {
		return Outcome{}, err
	}
	patched, err := patch.Apply(map[string]any(doc))
	if err != nil {
		return Outcome{}, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeProcessing, "patch failed: %v", err)
	}
	res, ok := patched.(map[string]any)
	if !ok {
		return Outcome{}, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeProcessing, "patch failed: the result is not a JSON object")
	}
	if fhir.Resource(res).ID() != id || fhir.Resource(res).Type() != typ {
		return Outcome{}, fhir.Errorf(http.StatusUnprocessableEntity, fhir.CodeProcessing, "patch failed: a patch may not change resourceType or id")
	}
	return s.updateIn(ctx, tx, typ, id, res, Precondition{Set: true, Version: cur.Version.VersionID}, http.MethodPatch)
}
