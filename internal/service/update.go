package service

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Precondition carries If-Match: when Set, the write happens only if the
// current version is Version (412 otherwise). Absent is If-None-Match: *
// on an update: it happens only if the resource does not exist (a create
// under a chosen id that must never overwrite; 412 otherwise).
type Precondition struct {
	Set     bool
	Version int64
	Absent  bool
}

// Update stores res as the next version of typ/id, creating the resource
// with that id when it does not exist (update-as-create). The id in the
// body must equal id.
func (s *Service) Update(ctx context.Context, typ, id string, res fhir.Resource, ifMatch Precondition) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	keys := referenceKeys(nil, res)
	var out Outcome
	err := s.inTx(ctx, policyFor(ifMatch), func(tx store.Tx) error {
		if err := tx.Lock(ctx, keys...); err != nil {
			return err
		}
		var err error
		out, err = s.updateIn(ctx, tx, typ, id, res, ifMatch, http.MethodPut)
		return err
	})
	return out, err
}

// ConditionalUpdate updates the one resource matching query; with no match
// it creates (with the body's id if it has one); several matches give 412.
func (s *Service) ConditionalUpdate(ctx context.Context, typ string, query url.Values, res fhir.Resource, ifMatch Precondition) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	keys := referenceKeys([]string{conditionKeyOf(typ, query)}, res)
	var out Outcome
	err := s.inTx(ctx, policyFor(ifMatch), func(tx store.Tx) error {
		if err := tx.Lock(ctx, keys...); err != nil {
			return err
		}
		id, err := s.conditionalTarget(ctx, tx, typ, query, res)
		if err != nil {
			return err
		}
		if res.ID() == "" {
			res["id"] = id // the body may leave the id to the condition
		}
		out, err = s.updateIn(ctx, tx, typ, id, res, ifMatch, http.MethodPut)
		return err
	})
	return out, err
}

// conditionalTarget decides which id a conditional update writes to.
func (s *Service) conditionalTarget(ctx context.Context, r store.Reader, typ string, query url.Values, res fhir.Resource) (string, error) {
	if _, err := allow(ctx, typ, auth.Update); err != nil {
		return "", err // before matching: a refusal must not depend on the data
	}
	ids, err := s.match(ctx, r, typ, query, 2)
	if err != nil {
		return "", err
	}
	bodyID := res.ID()
	switch len(ids) {
	case 0:
		if bodyID != "" {
			return bodyID, nil
		}
		return newID(), nil
	case 1:
		if bodyID != "" && bodyID != ids[0] {
			return "", fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "the body's id %q differs from the id %q of the resource the condition matched", bodyID, ids[0]).At(typ + ".id")
		}
		return ids[0], nil
	}
	return "", fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeMultipleMatch, "conditional update: %s?%s matches more than one resource", typ, query.Encode())
}

// updateIn is Update inside a transaction.
func (s *Service) updateIn(ctx context.Context, tx store.Tx, typ, id string, res fhir.Resource, ifMatch Precondition, method string) (Outcome, error) {
	if err := checkID(id); err != nil {
		return Outcome{}, err
	}
	if bodyID, ok := res["id"]; !ok || bodyID != id {
		if !ok {
			return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeRequired, "the resource must carry id %q to update %s/%s", id, typ, id).At(typ + ".id")
		}
		return Outcome{}, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "the resource id %v does not match the id %q in the URL", bodyID, id).At(typ + ".id")
	}
	if err := s.resolveOwnReferences(ctx, tx, res); err != nil {
		return Outcome{}, err
	}
	// A create-only update (If-None-Match: *) can never change what
	// exists, so creating is the right it needs (as in a transaction's
	// prepared writes): a lab's system that may create results but read
	// or change none can still send a report twice safely.
	perm := auth.Update
	if ifMatch.Absent {
		perm = auth.Create
	}
	if err := s.guardWrite(ctx, tx, typ, id, perm, res); err != nil {
		return Outcome{}, err
	}
	cur, next, live, err := nextVersion(ctx, tx, typ, id, ifMatch)
	if err != nil {
		return Outcome{}, err
	}
	w, err := prepareWrite(res, typ, id, next, method, s.now(), s.codes)
	if err == nil {
		w, err = withUpload(ctx, w)
	}
	if err != nil {
		return Outcome{}, err
	}
	if live && unchanged(w, cur) {
		// Nothing new: no version is written, so that sending the same
		// content again (a re-run import, a retried request) leaves the
		// record and its history as they were.
		s.seen(ctx, cur)
		return Outcome{Status: http.StatusOK, Version: cur, Issues: info("%s/%s is unchanged at version %d", typ, id, cur.VersionID)}, nil
	}
	v, err := tx.Put(ctx, w)
	if err != nil {
		return Outcome{}, err
	}
	s.seen(ctx, v)
	s.wrote(v)
	status := http.StatusOK
	if !live {
		status = http.StatusCreated
	}
	return Outcome{Status: status, Version: v, Issues: info("%s/%s is now version %d", typ, id, next)}, nil
}

// nextVersion reads the current version (locking it where the store can),
// checks If-Match, and returns the version to write and whether the
// resource exists now (not deleted): writing a resource that does not is
// a create.
func nextVersion(ctx context.Context, tx store.Tx, typ, id string, ifMatch Precondition) (cur store.Version, next int64, live bool, err error) {
	cur, err = tx.Read(ctx, typ, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if ifMatch.Set {
			return cur, 0, false, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "If-Match: %s/%s does not exist", typ, id)
		}
		return cur, 1, false, nil
	case err != nil:
		return cur, 0, false, err
	}
	if ifMatch.Set && (cur.VersionID != ifMatch.Version || cur.Deleted) {
		return cur, 0, false, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "If-Match: %s/%s is at version %d, not %d", typ, id, cur.VersionID, ifMatch.Version)
	}
	if ifMatch.Absent && !cur.Deleted {
		return cur, 0, false, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeDuplicate, "If-None-Match: *: %s/%s exists already", typ, id)
	}
	return cur, cur.VersionID + 1, !cur.Deleted, nil
}

// unchanged reports whether a prepared write says exactly what the
// current version says: the same stored JSON once the current versionId
// and lastUpdated are put back (a Binary's data is stored beside it, and
// its marker carries the data's SHA-256, so comparing the JSON compares
// the data too).
func unchanged(w store.Write, cur store.Version) bool {
	body := bytes.Replace(w.Body, []byte(`"versionId":"`+itoa(w.VersionID)+`"`), []byte(`"versionId":"`+itoa(cur.VersionID)+`"`), 1)
	body = bytes.Replace(body, []byte(`"lastUpdated":"`+fhir.FormatInstant(w.LastUpdated)+`"`), []byte(`"lastUpdated":"`+fhir.FormatInstant(cur.LastUpdated)+`"`), 1)
	return bytes.Equal(body, cur.Body)
}
