package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Options configure a Service.
type Options struct {
	// BaseURL is the public FHIR base, e.g. "http://localhost:8080/fhir",
	// used for Bundle fullUrls and links.
	BaseURL string
	// Now returns the current time; tests may fix it. Defaults to time.Now.
	Now func() time.Time
}

// Service runs FHIR interactions against a store.
type Service struct {
	store   store.Store
	baseURL string
	now     func() time.Time
	// registrations caches where patients are registered, for staff
	// access checks.
	registrations registrationCache
}

// New returns a Service over st.
func New(st store.Store, opts Options) *Service {
	s := &Service{store: st, baseURL: strings.TrimRight(opts.BaseURL, "/"), now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// BaseURL returns the public FHIR base the service was configured with.
func (s *Service) BaseURL() string { return s.baseURL }

// Outcome is the result of one interaction.
type Outcome struct {
	// Status is the HTTP status of success: 200, 201 or 204.
	Status int
	// Version is the version read or written (zero for interactions that
	// produce no version, such as a delete of an already deleted resource).
	Version store.Version
	// Resource is set for interactions whose result is not a stored
	// version (bundles, OperationOutcomes, validation results).
	Resource fhir.Resource
	// Issues are informational messages for Prefer: return=OperationOutcome.
	Issues []fhir.Issue
}

// Location returns the version-specific relative URL of o's version.
func (o Outcome) Location() string {
	v := o.Version
	if v.Type == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/_history/%d", v.Type, v.ID, v.VersionID)
}

// newID returns a server-assigned logical id: a random UUID (36 characters,
// within FHIR's 64-character id limit).
// newID returns a time-ordered UUID (version 7, RFC 9562): 48 bits of
// Unix milliseconds, then random bits. Ids that grow over time append to
// the end of every (type, id) index instead of landing on a random page,
// which keeps writes cheap as the store grows (several times faster
// loading on SQLite). The creation time the id reveals is no secret: it
// is meta.lastUpdated of the first version.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// maxConflictRetries bounds how often an interaction without If-Match is
// retried when a concurrent writer wins the race for the same resource.
const maxConflictRetries = 5

// inTx runs fn in a store transaction, retrying on store.ErrConflict when
// retry is true (the interaction computed its version from what it read,
// so running it again against the newer state is correct).
func (s *Service) inTx(ctx context.Context, retry bool, fn func(store.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.store.InTx(ctx, fn)
		if err == nil || !retry || !errors.Is(err, store.ErrConflict) || attempt >= maxConflictRetries {
			return mapStoreError(err)
		}
	}
}

// mapStoreError turns adapter errors into FHIR errors; *fhir.Error passes
// through unchanged.
func mapStoreError(err error) error {
	if err == nil {
		return nil
	}
	var fe *fhir.Error
	if errors.As(err, &fe) {
		return fe
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		return fhir.Errorf(http.StatusConflict, fhir.CodeConflict, "the resource was changed by another request at the same time; retry")
	case errors.Is(err, store.ErrNotFound):
		return fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "not found")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fhir.Errorf(http.StatusServiceUnavailable, fhir.CodeTimeout, "request cancelled or timed out")
	}
	return err
}
