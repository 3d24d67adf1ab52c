package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Connections break: a PostgreSQL backend is terminated (a failover, an
// operator's pg_terminate_backend, a restart) and the pool's idle
// connections are dead without knowing it. A read fails on one, is tried
// again on a fresh connection, and succeeds; a write transaction that
// broke before its commit wrote nothing, and says so (store.ErrUnavailable)
// so that the caller may run it again; one that broke while committing
// may or may not have been committed (store.ErrOutcomeUnknown).

// retryBackoff is how long to wait before each further attempt of a
// read: the first at once (another connection), then a server that is
// restarting gets about a second and a half.
var retryBackoff = []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, time.Second}

// transient reports a broken or refused connection.
func (s *Store) transient(err error) bool {
	return err != nil && s.d.IsTransient != nil && !errors.Is(err, sql.ErrNoRows) && s.d.IsTransient(err)
}

// dropIdle closes the pools' idle connections: when one turned out to be
// broken, those opened beside it probably are too, and each would cost a
// failed attempt. New ones are opened on demand.
func (s *Store) dropIdle() {
	for _, db := range []*sql.DB{s.write, s.read} {
		n := db.Stats().MaxOpenConnections
		db.SetMaxIdleConns(0)
		db.SetMaxIdleConns(n)
	}
}

// unavailable wraps a connection error as store.ErrUnavailable.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// retryRead runs an idempotent read, again on a broken connection.
func retryRead[T any](ctx context.Context, s *Store, read func() (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := read()
		if !s.transient(err) {
			return v, err
		}
		var zero T
		if attempt == len(retryBackoff) {
			return zero, unavailable(err)
		}
		if attempt == 0 {
			s.dropIdle()
		}
		select {
		case <-time.After(retryBackoff[attempt]):
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}
