package service

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Create stores res as a new resource of type typ with a server-assigned id
// (any id in the body is ignored, as the specification requires).
// ifNoneExist, when non-empty, is the query of a conditional create: one
// existing match is returned with status 200 and nothing is written;
// several matches answer 412.
func (s *Service) Create(ctx context.Context, typ string, res fhir.Resource, ifNoneExist string) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	var keys []string
	if ifNoneExist != "" {
		keys = append(keys, conditionKey(typ, ifNoneExist))
	}
	keys = referenceKeys(keys, res)
	var out Outcome
	err := s.inTx(ctx, retryConflicts, func(tx store.Tx) error {
		if err := tx.Lock(ctx, keys...); err != nil {
			return err
		}
		var err error
		out, err = s.createIn(ctx, tx, typ, res, ifNoneExist, newID())
		return err
	})
	return out, err
}

// createIn is Create inside a transaction, with the id to assign decided by
// the caller (a transaction bundle assigns ids before it writes anything).
func (s *Service) createIn(ctx context.Context, tx store.Tx, typ string, res fhir.Resource, ifNoneExist, id string) (Outcome, error) {
	if ifNoneExist != "" {
		match, err := s.matchOne(ctx, tx, typ, ifNoneExist, "If-None-Exist")
		if err != nil {
			return Outcome{}, err
		}
		if match != "" {
			out, err := s.readVisible(ctx, tx, typ, match)
			if err != nil {
				return Outcome{}, err
			}
			v := out.Version
			return Outcome{Status: http.StatusOK, Version: v, Issues: info("a matching resource already exists: %s/%s; nothing was created", typ, match)}, nil
		}
	}
	if err := s.resolveOwnReferences(ctx, tx, res); err != nil {
		return Outcome{}, err
	}
	if err := s.guardWrite(ctx, tx, typ, "", auth.Create, res); err != nil {
		return Outcome{}, err
	}
	w, err := prepareWrite(res, typ, id, 1, http.MethodPost, s.now(), s.codes)
	if err == nil {
		w, err = withUpload(ctx, w)
	}
	if err != nil {
		return Outcome{}, err
	}
	v, err := tx.Put(ctx, w)
	if err != nil {
		return Outcome{}, err
	}
	s.seen(ctx, v)
	s.wrote(v)
	return Outcome{Status: http.StatusCreated, Version: v, Issues: info("created %s/%s", typ, id)}, nil
}

// matchOne resolves a conditional query to at most one id: "" for no match,
// 412 for several. what names the header or element for messages.
func (s *Service) matchOne(ctx context.Context, r store.Reader, typ, query, what string) (string, error) {
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "%s: cannot parse query %q: %v", what, query, err)
	}
	ids, err := s.match(ctx, r, typ, values, 2)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	}
	return "", fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeMultipleMatch, "%s: %s?%s matches more than one resource", what, typ, query)
}

func info(format string, args ...any) []fhir.Issue {
	return []fhir.Issue{{Severity: fhir.SeverityInformation, Code: fhir.CodeInformational, Diagnostics: sprintf(format, args...)}}
}
