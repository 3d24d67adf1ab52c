package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// tx buffers Puts and writes them in bulk before any read and at commit.
type tx struct {
	s       *Store
	sql     *sql.Tx
	pending []store.Write
	keys    map[resourceKey]bool
	// failed is the first error of a bulk write: the transaction cannot
	// commit once one failed, even if the caller goes on (an ErrConflict
	// from a flush is not a record that exists). Its statements may have
	// written part of their rows (Dialect.BulkInsert), and its queue is
	// gone.
	failed error
	// numbered are the names this transaction numbered that the server
	// did not know (dictionary.go): remembered once it commits.
	numbered numbered
	// unnumbered is the first name index rows were made with that had
	// no number (nameID), "" for none.
	unnumbered string
}

type resourceKey struct{ typ, id string }

func (t *tx) Read(ctx context.Context, typ, id string) (store.Version, error) {
	if err := t.flush(ctx); err != nil {
		return store.Version{}, err
	}
	if t.s.q.lock == "" {
		return readCurrent(ctx, t.sql, t.s.q.read, typ, id)
	}
	var versionID int64
	err := t.sql.QueryRowContext(ctx, t.s.q.lock, typ, id).Scan(&versionID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Version{}, store.ErrNotFound
	}
	if err != nil {
		return store.Version{}, t.s.mapError(err)
	}
	return readVersion(ctx, t.sql, t.s.q.vread, typ, id, versionID)
}

func (t *tx) VRead(ctx context.Context, typ, id string, versionID int64) (store.Version, error) {
	if err := t.flush(ctx); err != nil {
		return store.Version{}, err
	}
	return readVersion(ctx, t.sql, t.s.q.vread, typ, id, versionID)
}

func (t *tx) Find(ctx context.Context, q store.FindQuery) ([]string, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	if len(q.Criteria) > 0 {
		t.s.needIndexes()
	}
	return find(ctx, t.sql, t.s.builder(time.Time{}), q)
}

// Put queues a version. The version check happens when the queue is
// written (at the next read or at commit), so a conflict may surface there
// rather than here; the returned Version's Seq is not known yet and is 0.
func (t *tx) Put(ctx context.Context, w store.Write) (store.Version, error) {
	if w.VersionID < 1 || w.Type == "" || w.ID == "" {
		return store.Version{}, fmt.Errorf("sqlstore: invalid write %s/%s version %d", w.Type, w.ID, w.VersionID)
	}
	k := resourceKey{w.Type, w.ID}
	if t.keys[k] {
		// A second version of one resource in one batch: write the first,
		// so that the version check of the second sees it.
		if err := t.flush(ctx); err != nil {
			return store.Version{}, err
		}
	}
	if t.keys == nil {
		t.keys = map[resourceKey]bool{}
	}
	t.keys[k] = true
	if w.Deleted {
		if w.Content != nil {
			return store.Version{}, fmt.Errorf("sqlstore: a deletion of %s/%s cannot have content", w.Type, w.ID)
		}
		w.Body = nil
		w.Index = search.Values{}
	}
	if w.Content != nil {
		// Written now, chunk by chunk, rather than queued: the queue
		// holds versions, not the content's bytes.
		if err := t.putContent(ctx, w); err != nil {
			return store.Version{}, t.s.mapError(err)
		}
		w.Content = nil
	}
	t.pending = append(t.pending, w)
	return w.Version, nil
}

// flush writes the queued versions: current-version rows first (the
// version check), then the versions, then the token index.
func (t *tx) flush(ctx context.Context) error {
	if t.failed != nil || len(t.pending) == 0 {
		return t.failed
	}
	pending := t.pending
	t.pending, t.keys = nil, nil
	if err := t.numberResources(ctx, pending); err != nil {
		return t.fail(err)
	}
	if err := t.upsertCurrent(ctx, pending); err != nil {
		return t.fail(err)
	}
	if err := t.insertVersions(ctx, pending); err != nil {
		return t.fail(err)
	}
	if err := t.replaceIndexes(ctx, pending); err != nil {
		return t.fail(err)
	}
	return nil
}

// fail records a bulk write's error (mapped) as the transaction's.
func (t *tx) fail(err error) error {
	t.failed = t.s.mapError(err)
	return t.failed
}

// upsertCurrent advances each resource's current-version row, but only
// from the version the writer started from: new resources are inserted
// (doing nothing when the row exists), updates change the row only where
// it still holds the previous version. A row the database does not change
// means another writer got there first.
func (t *tx) upsertCurrent(ctx context.Context, ws []store.Write) error {
	var created []store.Write
	for _, w := range ws {
		if w.VersionID == 1 {
			created = append(created, w)
			continue
		}
		res, err := t.sql.ExecContext(ctx, t.s.q.advance, w.VersionID, w.Deleted, w.Type, w.ID, w.VersionID-1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: %s/%s is no longer at version %d", store.ErrConflict, w.Type, w.ID, w.VersionID-1)
		}
	}
	const cols = 5
	return t.chunked(ctx, len(created), cols, func(lo, hi int) (string, []any) {
		var b strings.Builder
		args := make([]any, 0, (hi-lo)*cols)
		b.WriteString(t.s.d.insertInto(`resource_current`) + ` (type, id, version_id, deleted, rid) VALUES `)
		for i, w := range created[lo:hi] {
			if i > 0 {
				b.WriteString(`, `)
			}
			b.WriteString(`(?, ?, ?, ?, ?)`)
			args = append(args, w.Type, w.ID, w.VersionID, w.Deleted, t.resourceID(w.Type, w.ID))
		}
		b.WriteString(` ON CONFLICT (type, id) DO NOTHING`)
		return b.String(), args
	}, true)
}

func (t *tx) insertVersions(ctx context.Context, ws []store.Write) error {
	const cols = 7
	return t.chunked(ctx, len(ws), cols, func(lo, hi int) (string, []any) {
		var b strings.Builder
		args := make([]any, 0, (hi-lo)*cols)
		b.WriteString(t.s.d.insertInto(`resource_version`) + ` (type, id, version_id, last_updated, deleted, method, body) VALUES `)
		for i, w := range ws[lo:hi] {
			if i > 0 {
				b.WriteString(`, `)
			}
			b.WriteString(`(?, ?, ?, ?, ?, ?, ?)`)
			args = append(args, w.Type, w.ID, w.VersionID, w.LastUpdated.UnixMicro(), w.Deleted, w.Method, w.Body)
		}
		return b.String(), args
	}, false)
}

// chunked runs build over [0,n) in slices small enough for the dialect's
// parameter limit. With mustAffectAll, a statement that changes fewer rows
// than it was given is a lost race: store.ErrConflict.
func (t *tx) chunked(ctx context.Context, n, cols int, build func(lo, hi int) (string, []any), mustAffectAll bool) error {
	per := max(1, min(500, t.s.d.MaxParams/cols))
	return eachChunk(n, per, func(lo, hi int) error {
		query, args := build(lo, hi)
		res, err := t.sql.ExecContext(ctx, t.s.d.rebind(query), args...)
		if err != nil {
			return err
		}
		if mustAffectAll {
			affected, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if affected != int64(hi-lo) {
				return fmt.Errorf("%w: %d of %d resources changed by another writer", store.ErrConflict, int64(hi-lo)-affected, hi-lo)
			}
		}
		return nil
	})
}

// eachChunk calls fn with the bounds [lo, hi) of each statement's share
// of n rows, per at most, sized by chunkSize; it stops at fn's first
// error.
func eachChunk(n, per int, fn func(lo, hi int) error) error {
	for lo, hi := 0, 0; lo < n; lo = hi {
		hi = lo + chunkSize(n-lo, per)
		if err := fn(lo, hi); err != nil {
			return err
		}
	}
	return nil
}

// chunkSize is how many of n rows left the next statement takes: whole
// chunks of per, then the rest in sizes from a small set (up to 16 rows
// as they come, then powers of two), so that the statements a connection
// keeps prepared (SQLite's, pgx's) are met again instead of parsed anew
// for every count of rows.
func chunkSize(n, per int) int {
	if n >= per {
		return per
	}
	if n <= 16 {
		return n
	}
	p := 16
	for p*2 <= n {
		p *= 2
	}
	return p
}

// Lock takes the dialect's transaction-scoped locks on keys, hashed to
// 64 bits and sorted (one global order: no two transactions wait for each
// other in a cycle), in one statement.
func (t *tx) Lock(ctx context.Context, keys ...string) error {
	if t.s.d.LockKeys == "" || len(keys) == 0 {
		return nil
	}
	hashed := make([]int64, 0, len(keys))
	for _, k := range keys {
		h := fnv.New64a()
		h.Write([]byte("gpcloud-lock:" + k))
		hashed = append(hashed, int64(h.Sum64()))
	}
	slices.Sort(hashed)
	hashed = slices.Compact(hashed)
	var n int64
	if err := t.sql.QueryRowContext(ctx, t.s.d.LockKeys, hashed).Scan(&n); err != nil {
		return t.s.mapError(err)
	}
	return nil
}
