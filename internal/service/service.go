package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/validate"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Options configure a Service.
type Options struct {
	// BaseURL is the public FHIR base, e.g. "http://localhost:8080/fhir",
	// used for Bundle fullUrls and links.
	BaseURL string
	// Now returns the current time; tests may fix it. Defaults to time.Now.
	Now func() time.Time
	// Booking decides whether a caller may take a Slot (embargoes, who
	// the slot is for); nil allows any free Slot (booking.go).
	Booking BookingPolicy
	// Codes answers for the bindings of UK Core profiles on write and in
	// $validate (the terminology service); nil means the value sets the
	// definitions can enumerate (validate.DefinitionCodes).
	Codes validate.CodeValidator
}

// Service runs FHIR interactions against a store.
type Service struct {
	store   store.Store
	baseURL string
	now     func() time.Time
	// registrations caches where patients are registered, for staff
	// access checks.
	registrations registrationCache
	booking       BookingPolicy
	codes         validate.CodeValidator
	// term is the terminology service, made on first use (terminology.go).
	term termHolder
}

// New returns a Service over st.
func New(st store.Store, opts Options) *Service {
	s := &Service{store: st, baseURL: strings.TrimRight(opts.BaseURL, "/"), now: opts.Now, booking: opts.Booking, codes: opts.Codes}
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
	// More, for a search, tells whether more match than the page holds
	// (a FirstPageOnly search has no next link to say so).
	More bool
}

// Location returns the version-specific relative URL of o's version.
func (o Outcome) Location() string {
	v := o.Version
	if v.Type == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/_history/%d", v.Type, v.ID, v.VersionID)
}

// newID returns a server-assigned logical id (36 characters, within
// FHIR's 64-character limit): a time-ordered UUID (version 7, RFC 9562),
// 48 bits of Unix milliseconds, then random bits. Ids that grow over
// time append to the end of every (type, id) index instead of landing on
// a random page, which keeps writes cheap as the store grows (several
// times faster loading on SQLite). The creation time the id reveals is
// no secret: it is meta.lastUpdated of the first version.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// maxRetries bounds how often an interaction is run again when a
// concurrent writer wins the race for the same resource, or the database
// connection breaks before the commit.
const maxRetries = 5

// retryPolicy says when an interaction's transaction may be run again.
type retryPolicy int

const (
	// runOnce: the function changes its input as it runs (a transaction
	// Bundle rewrites its entries), so a second run would start from
	// something else. A conflict answers 409, a broken connection 503.
	runOnce retryPolicy = iota
	// retryUnavailable: the function is idempotent; it runs again when
	// the connection broke before the commit (nothing was written). A
	// conflict is the answer (If-Match asked for one version).
	retryUnavailable
	// retryConflicts: also again on store.ErrConflict: the interaction
	// computed its version from what it read, so running it against the
	// newer state is correct.
	retryConflicts
)

// policyFor is the policy of a write with an If-Match precondition or not.
func policyFor(ifMatch Precondition) retryPolicy {
	if ifMatch.Set || ifMatch.Absent {
		return retryUnavailable
	}
	return retryConflicts
}

// inTx runs fn in a store transaction, again as the policy allows.
func (s *Service) inTx(ctx context.Context, policy retryPolicy, fn func(store.Tx) error) error {
	// A patient's or proxy's online access is decided before the
	// transaction takes its connection: deciding it inside would wait for
	// a second connection from a pool the open transactions may hold.
	if err := s.decideAccess(ctx); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var written []audit.Seen
		err := s.store.InTx(ctx, func(tx store.Tx) error {
			at := &auditedTx{Tx: tx, svc: s}
			if err := fn(at); err != nil {
				return err
			}
			written = at.written
			return audit.Stage(ctx, tx, written)
		})
		if err == nil {
			audit.Staged(ctx, written)
		}
		again := policy >= retryUnavailable && errors.Is(err, store.ErrUnavailable) ||
			policy == retryConflicts && errors.Is(err, store.ErrConflict)
		if err == nil || !again || attempt >= maxRetries {
			return mapStoreError(err)
		}
		if errors.Is(err, store.ErrUnavailable) {
			select {
			case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
			case <-ctx.Done():
				return mapStoreError(ctx.Err())
			}
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
	case errors.Is(err, store.ErrOutcomeUnknown):
		return fhir.Errorf(http.StatusServiceUnavailable, fhir.CodeTransient, "the connection to the database failed while the change was being committed: it may or may not have been made; read before retrying")
	case errors.Is(err, store.ErrUnavailable):
		return fhir.Errorf(http.StatusServiceUnavailable, fhir.CodeTransient, "the database is unavailable; nothing was changed: retry shortly")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fhir.Errorf(http.StatusServiceUnavailable, fhir.CodeTimeout, "request cancelled or timed out")
	}
	return err
}
