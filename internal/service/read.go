package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// GoneError is returned when the current version of a resource is a
// deletion: the HTTP layer answers 410 Gone and may use Version for headers.
type GoneError struct {
	Err     *fhir.Error
	Version store.Version
}

func (e *GoneError) Error() string { return e.Err.Error() }
func (e *GoneError) Unwrap() error { return e.Err }

// Read returns the current version of a resource: 404 if it never existed,
// 410 (a *GoneError) if it was deleted. The body is as stored: a Binary's
// data may be beside it (binary.go), for the caller to stream
// (SplitBinary) or put back (Expanded).
func (s *Service) Read(ctx context.Context, typ, id string) (Outcome, error) {
	out, err := s.readVisible(ctx, s.store, typ, id)
	out.Version = viewedOne(ctx, out.Version)
	return out, err
}

// readVisible is readFrom for the caller: their scopes must allow reading
// the type, and a resource outside their reach (deleted or not) is
// answered as unknown.
func (s *Service) readVisible(ctx context.Context, r store.Reader, typ, id string) (Outcome, error) {
	reach, err := allow(ctx, typ, auth.Read)
	if err != nil {
		return Outcome{}, err
	}
	out, err := readFrom(ctx, r, typ, id)
	if reach == nil && !patientFacing(ctx) {
		s.seen(ctx, out.Version)
		return out, err
	}
	v := out.Version
	var gone *GoneError
	switch {
	case errors.As(err, &gone):
		v = gone.Version
	case err != nil:
		return out, err
	}
	ok, verr := s.seesVersion(ctx, r, reach, v)
	if verr != nil {
		return Outcome{}, verr
	}
	if !ok {
		return Outcome{}, notVisible(typ, id)
	}
	s.seen(ctx, out.Version)
	return out, err
}

func readFrom(ctx context.Context, r store.Reader, typ, id string) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	if err := checkID(id); err != nil {
		return Outcome{}, err
	}
	v, err := r.Read(ctx, typ, id)
	if errors.Is(err, store.ErrNotFound) {
		return Outcome{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s is not known", typ, id)
	}
	if err != nil {
		return Outcome{}, mapStoreError(err)
	}
	if v.Deleted {
		return Outcome{}, &GoneError{
			Err:     fhir.Errorf(http.StatusGone, fhir.CodeDeleted, "%s/%s was deleted (version %d)", typ, id, v.VersionID),
			Version: v,
		}
	}
	return Outcome{Status: http.StatusOK, Version: v}, nil
}

// VRead returns one version of a resource. A deletion version answers
// 410 Gone; an unknown version 404.
func (s *Service) VRead(ctx context.Context, typ, id, vid string) (Outcome, error) {
	if err := checkType(typ); err != nil {
		return Outcome{}, err
	}
	if err := checkID(id); err != nil {
		return Outcome{}, err
	}
	n, ok := parseVersion(vid)
	if !ok {
		return Outcome{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s has no version %q: versions are positive integers", typ, id, vid)
	}
	reach, err := allow(ctx, typ, auth.Read)
	if err != nil {
		return Outcome{}, err
	}
	v, err := s.store.VRead(ctx, typ, id, n)
	if errors.Is(err, store.ErrNotFound) {
		return Outcome{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s/_history/%d is not known", typ, id, n)
	}
	if err != nil {
		return Outcome{}, mapStoreError(err)
	}
	cur, err := s.currentViews(ctx, s.store, []store.Version{v})
	if err != nil {
		return Outcome{}, err
	}
	if ok, err := s.seesVersion(ctx, s.store, reach, v); err != nil || !ok || cur[typ+"/"+id].withheld {
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{}, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s/_history/%d is not known", typ, id, n)
	}
	if v.Deleted {
		return Outcome{}, &GoneError{
			Err:     fhir.Errorf(http.StatusGone, fhir.CodeDeleted, "%s/%s/_history/%d is a deletion", typ, id, n),
			Version: v,
		}
	}
	s.seen(ctx, v)
	return Outcome{Status: http.StatusOK, Version: viewedVersions(ctx, []store.Version{v}, cur)[0]}, nil
}

// parseVersion parses a version id; versions are positive integers.
func parseVersion(s string) (int64, bool) {
	var n int64
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

// ParseETag extracts the version from an ETag or If-Match value such as
// W/"3" or "3".
func ParseETag(s string) (int64, error) {
	t := s
	if len(t) > 2 && (t[:2] == "W/" || t[:2] == "w/") {
		t = t[2:]
	}
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		t = t[1 : len(t)-1]
	}
	n, ok := parseVersion(t)
	if !ok {
		return 0, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "invalid version tag %q: expected W/\"<version>\"", s)
	}
	return n, nil
}

// ETag renders a version id as a weak ETag.
func ETag(versionID int64) string { return fmt.Sprintf(`W/"%d"`, versionID) }

// Existing tells which of ids name current (not deleted) resources of
// typ that the caller may see: an import asking which of its resources
// an earlier run created already.
func (s *Service) Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error) {
	if err := checkType(typ); err != nil {
		return nil, err
	}
	reach, err := allow(ctx, typ, auth.Read)
	if err != nil {
		return nil, err
	}
	found, err := s.store.Find(ctx, store.FindQuery{Type: typ, IDs: ids})
	if err != nil {
		return nil, mapStoreError(err)
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		if reach != nil {
			v, err := s.store.Read(ctx, typ, id)
			if err != nil {
				return nil, mapStoreError(err)
			}
			if ok, err := s.seesVersion(ctx, s.store, reach, v); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		out[id] = true
	}
	return out, nil
}
