package terminology

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Subsumes answers CodeSystem/$subsumes: whether codeA subsumes codeB
// (equivalent, subsumes, subsumed-by or not-subsumed) in the IS-A
// hierarchy. codingA and codingB (system|code) may stand for them.
func (s *Service) Subsumes(ctx context.Context, p url.Values) (fhir.Resource, error) {
	system, a, b := p.Get("system"), p.Get("codeA"), p.Get("codeB")
	if c := p.Get("codingA"); c != "" && a == "" {
		system, a = splitCoding(c)
	}
	if c := p.Get("codingB"); c != "" && b == "" {
		var sysB string
		sysB, b = splitCoding(c)
		if system == "" {
			system = sysB
		} else if sysB != "" && sysB != system {
			return nil, errParam("codingA and codingB are in different systems")
		}
	}
	if a == "" || b == "" {
		return nil, errParam("$subsumes needs codeA and codeB (with system), or codingA and codingB")
	}
	if err := s.needSystem(ctx, system); err != nil {
		return nil, err
	}
	for _, code := range []string{a, b} {
		if _, _, err := s.st.TermConcept(ctx, system, code); errors.Is(err, store.ErrNotFound) {
			return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeCodeInvalid, "the code %q is not in %s", code, systemName(system))
		} else if err != nil {
			return nil, err
		}
	}
	outcome, err := s.relate(ctx, system, a, b)
	if err != nil {
		return nil, err
	}
	return fhir.Resource{"resourceType": "Parameters", "parameter": []any{param("outcome", "valueCode", outcome)}}, nil
}

// relate names how a and b relate in the hierarchy.
func (s *Service) relate(ctx context.Context, system, a, b string) (string, error) {
	if a == b {
		return "equivalent", nil
	}
	ok, err := s.st.TermSubsumes(ctx, system, a, b)
	if err != nil || ok {
		return "subsumes", err
	}
	ok, err = s.st.TermSubsumes(ctx, system, b, a)
	if err != nil || ok {
		return "subsumed-by", err
	}
	return "not-subsumed", nil
}
