package service

import (
	"context"
	"net/http"
	"net/url"
	"sync"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

// The terminology operations hold no patient data: a caller who may read
// CodeSystem (for $lookup and $subsumes) or ValueSet (for $expand and
// $validate-code) may run them. The request is audited like any other by
// the HTTP layer.

type termHolder struct {
	once sync.Once
	svc  *terminology.Service
	err  error
}

// Terminology returns the terminology service over the store, or a 501
// when the store keeps none.
func (s *Service) Terminology() (*terminology.Service, error) {
	s.term.once.Do(func() {
		s.term.svc, s.term.err = terminology.New(s.store)
	})
	if s.term.err != nil {
		return nil, fhir.Errorf(http.StatusNotImplemented, fhir.CodeNotSupported, "%v", s.term.err)
	}
	return s.term.svc, nil
}

func (s *Service) termOp(ctx context.Context, typ string, op func(*terminology.Service) (fhir.Resource, error)) (Outcome, error) {
	if _, err := allow(ctx, typ, auth.Read); err != nil {
		return Outcome{}, err
	}
	t, err := s.Terminology()
	if err != nil {
		return Outcome{}, err
	}
	r, err := op(t)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: http.StatusOK, Resource: r}, nil
}

// Lookup is CodeSystem/$lookup.
func (s *Service) Lookup(ctx context.Context, p url.Values) (Outcome, error) {
	return s.termOp(ctx, "CodeSystem", func(t *terminology.Service) (fhir.Resource, error) { return t.Lookup(ctx, p) })
}

// Subsumes is CodeSystem/$subsumes.
func (s *Service) Subsumes(ctx context.Context, p url.Values) (Outcome, error) {
	return s.termOp(ctx, "CodeSystem", func(t *terminology.Service) (fhir.Resource, error) { return t.Subsumes(ctx, p) })
}

// Expand is ValueSet/$expand; vs is a ValueSet given in the request, or nil.
func (s *Service) Expand(ctx context.Context, p url.Values, vs fhir.Resource) (Outcome, error) {
	return s.termOp(ctx, "ValueSet", func(t *terminology.Service) (fhir.Resource, error) { return t.Expand(ctx, p, vs) })
}

// ValidateCode is ValueSet/$validate-code; vs as for Expand.
func (s *Service) ValidateCode(ctx context.Context, p url.Values, vs fhir.Resource) (Outcome, error) {
	return s.termOp(ctx, "ValueSet", func(t *terminology.Service) (fhir.Resource, error) { return t.ValidateCode(ctx, p, vs) })
}

// FindProducts is the drug typeahead over dm+d (terminology.FindProducts),
// for a caller who may expand value sets.
func (s *Service) FindProducts(ctx context.Context, text string, limit int) ([]terminology.Product, error) {
	if _, err := allow(ctx, "ValueSet", auth.Read); err != nil {
		return nil, err
	}
	t, err := s.Terminology()
	if err != nil {
		return nil, err
	}
	return t.FindProducts(ctx, text, limit)
}

// Product reads a dm+d VMP or AMP (terminology.Product), for a caller who
// may look codes up.
func (s *Service) Product(ctx context.Context, code string) (terminology.Product, error) {
	if _, err := allow(ctx, "CodeSystem", auth.Read); err != nil {
		return terminology.Product{}, err
	}
	t, err := s.Terminology()
	if err != nil {
		return terminology.Product{}, err
	}
	return t.Product(ctx, code)
}
