package service

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Delete records a deletion version of typ/id. Deleting a resource that is
// already deleted changes nothing and succeeds (deletes are idempotent);
// one that never existed answers 404.
func (s *Service) Delete(ctx context.Context, typ, id string, ifMatch Precondition) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	if err := checkID(id); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err := s.inTx(ctx, policyFor(ifMatch), func(tx store.Tx) error {
		var err error
		out, err = s.deleteIn(ctx, tx, typ, id, ifMatch)
		return err
	})
	return out, err
}

// ConditionalDelete deletes the one resource matching query. No match
// succeeds with nothing deleted; several matches answer 412.
func (s *Service) ConditionalDelete(ctx context.Context, typ string, query url.Values) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err := s.inTx(ctx, retryConflicts, func(tx store.Tx) error {
		id, err := s.deleteTarget(ctx, tx, typ, query)
		if err != nil {
			return err
		}
		if id == "" {
			out = Outcome{Status: http.StatusNoContent, Issues: info("no %s matched; nothing was deleted", typ)}
			return nil
		}
		out, err = s.deleteIn(ctx, tx, typ, id, Precondition{})
		return err
	})
	return out, err
}

func (s *Service) deleteIn(ctx context.Context, tx store.Tx, typ, id string, ifMatch Precondition) (Outcome, error) {
	if err := s.guardWrite(ctx, tx, typ, id, auth.Delete, nil); err != nil {
		return Outcome{}, err
	}
	cur, err := tx.Read(ctx, typ, id)
	if errors.Is(err, store.ErrNotFound) {
		return Outcome{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s is not known", typ, id)
	}
	if err != nil {
		return Outcome{}, err
	}
	if ifMatch.Set && cur.VersionID != ifMatch.Version {
		return Outcome{}, fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "If-Match: %s/%s is at version %d, not %d", typ, id, cur.VersionID, ifMatch.Version)
	}
	if cur.Deleted {
		return Outcome{Status: http.StatusNoContent, Version: cur, Issues: info("%s/%s was already deleted", typ, id)}, nil
	}
	v, err := tx.Put(ctx, store.Write{Version: store.Version{
		Type: typ, ID: id, VersionID: cur.VersionID + 1, LastUpdated: s.now(), Deleted: true, Method: http.MethodDelete,
	}})
	if err != nil {
		return Outcome{}, err
	}
	audit.Saw(ctx, typ, id, cur.Body) // what was deleted: whose record it was
	s.wrote(v)
	return Outcome{Status: http.StatusNoContent, Version: v, Issues: info("deleted %s/%s (version %d)", typ, id, v.VersionID)}, nil
}

// decodeStored decodes a stored version's body.
func decodeStored(v store.Version) (fhir.Resource, error) {
	res, err := fhir.Unmarshal(v.Body)
	if err != nil {
		return nil, errors.New("stored resource " + v.Type + "/" + v.ID + " cannot be decoded: " + err.Error())
	}
	return res, nil
}
