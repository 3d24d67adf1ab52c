package terminology

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// The systems this package knows by name.
const (
	SNOMED = "http://snomed.info/sct"
	DMD    = "https://dmd.nhs.uk"
)

// Sources: one current release each (store.Terminology).
const (
	SourceSNOMED = "snomed"
	SourceDMD    = "dmd"
	SourceFHIR   = "fhir-r4"
)

// SNOMED CT identifiers the service reads or writes.
const (
	sctFSN        = "900000000000003001"
	sctSynonym    = "900000000000013009"
	sctPreferred  = "900000000000548007"
	sctAcceptable = "900000000000549004"
	sctDefining   = "900000000000011006" // characteristic type: inferred
)

// Service answers terminology operations from a store's terminology.
type Service struct {
	st store.Terminology
}

// New returns the service over st, or an error when st keeps no
// terminology.
func New(st store.Store) (*Service, error) {
	t, ok := st.(store.Terminology)
	if !ok {
		return nil, errors.New("terminology: the store keeps no terminology")
	}
	return &Service{st: t}, nil
}

// Store returns the terminology storage (for loaders).
func (s *Service) Store() store.Terminology { return s.st }

func systemName(system string) string {
	switch system {
	case SNOMED:
		return "SNOMED CT"
	case DMD:
		return "dm+d"
	}
	return system
}

// errNoCode is a $lookup of a code the system does not hold.
func errNoCode(system, code string) error {
	return fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "the code %q is not in %s", code, systemName(system))
}

func errParam(format string, args ...any) error {
	return fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, format, args...)
}

// knownSystem reports whether a release holds system.
func (s *Service) knownSystem(ctx context.Context, system string) (bool, error) {
	rels, err := s.st.TermReleases(ctx)
	if err != nil {
		return false, err
	}
	for _, r := range rels {
		for _, sys := range r.Systems {
			if sys == system {
				return true, nil
			}
		}
	}
	return false, nil
}

func (s *Service) needSystem(ctx context.Context, system string) error {
	if system == "" {
		return errParam("the parameter system is required")
	}
	ok, err := s.knownSystem(ctx, system)
	if err != nil {
		return err
	}
	if !ok {
		return fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "the code system %s is not loaded", system)
	}
	return nil
}

var randRead = rand.Read
