package bulk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// stopError is a failure that every later write would meet too (the
// server cannot be reached, refuses the token, is not a FHIR server): the
// import stops at once with it, one message instead of one per line.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// stopSink passes writes on and, at the first stopError, cancels the
// import; stopped is that error.
type stopSink struct {
	Sink
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
}

func (s *stopSink) Transaction(ctx context.Context, bundle fhir.Resource) error {
	err := s.Sink.Transaction(ctx, bundle)
	var se *stopError
	if errors.As(err, &se) {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
		s.cancel()
	}
	return err
}

func (s *stopSink) stopped() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return nil
	}
	return fmt.Errorf("stopped: %w", s.err)
}
