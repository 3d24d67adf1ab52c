package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Store is a store.Store over a SQL database.
type Store struct {
	write *sql.DB // write transactions (and migrations)
	read  *sql.DB // reads outside transactions; may be write
	d     Dialect
	q     queries
	// lastCleanup is when expired stored searches were last removed (Unix
	// seconds): at most once a minute, by whichever search stores next.
	lastCleanup atomic.Int64
	// lastStagedPurge is when expired staged content was last removed
	// (Unix seconds), likewise.
	lastStagedPurge atomic.Int64
	// inserts holds the texts of index row INSERTs by table and row count
	// (insertSQL).
	inserts sync.Map
	// term caches the current terminology releases (terminology.go).
	term termCache
	// deferral is this process's deferred index build (deferred.go).
	deferral deferral
	// narrowedDropped: the store holds no rows of narrowed reference
	// parameters, and writes add none (narrowed.go).
	narrowedDropped atomic.Bool
	// systems, params and patients are the dictionaries of token
	// systems, parameters and patient keys (dictionary.go).
	systems, params, patients dictionary
	// apart gives new dictionary numbers outside write transactions
	// (GiveNumbersOn); nil gives them inside.
	apart *sql.DB
}

// Open wraps the databases and applies pending migrations. read may equal
// write; SQLite uses a separate pool so that readers never wait for the
// single writer connection.
func Open(ctx context.Context, write, read *sql.DB, d Dialect) (*Store, error) {
	return open(ctx, write, read, d, false)
}

// OpenExisting is Open for a database that must already hold a gpcloud
// schema (an older one is migrated forward): one without it is refused
// with a *store.NoStoreError and left untouched.
func OpenExisting(ctx context.Context, write, read *sql.DB, d Dialect) (*Store, error) {
	return open(ctx, write, read, d, true)
}

func open(ctx context.Context, write, read *sql.DB, d Dialect, existing bool) (*Store, error) {
	s := &Store{write: write, read: read, d: d, q: newQueries(&d)}
	if err := s.migrate(ctx, existing); err != nil {
		return nil, err
	}
	if err := s.loadNarrowedRows(ctx); err != nil {
		return nil, err
	}
	if err := s.loadDictionaries(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// versionColumns is the column list scanVersion expects.
const versionColumns = `v.type, v.id, v.version_id, v.last_updated, v.deleted, v.method, v.body, v.seq`

type rowScanner interface{ Scan(dest ...any) error }

func scanVersion(r rowScanner) (store.Version, error) {
	var v store.Version
	var micros int64
	if err := r.Scan(&v.Type, &v.ID, &v.VersionID, &micros, &v.Deleted, &v.Method, &v.Body, &v.Seq); err != nil {
		return store.Version{}, err
	}
	v.LastUpdated = time.UnixMicro(micros).UTC()
	if v.Deleted {
		v.Body = nil
	}
	return v, nil
}

// conn is what both a *sql.DB and a *sql.Tx offer.
type conn interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) Read(ctx context.Context, typ, id string) (store.Version, error) {
	return retryRead(ctx, s, func() (store.Version, error) { return readCurrent(ctx, s.read, s.q.read, typ, id) })
}

func (s *Store) VRead(ctx context.Context, typ, id string, versionID int64) (store.Version, error) {
	return retryRead(ctx, s, func() (store.Version, error) { return readVersion(ctx, s.read, s.q.vread, typ, id, versionID) })
}

func (s *Store) Find(ctx context.Context, q store.FindQuery) ([]string, error) {
	if len(q.Criteria) > 0 {
		s.needIndexes()
	}
	return retryRead(ctx, s, func() ([]string, error) { return find(ctx, s.read, s.builder(time.Time{}), q) })
}

func readCurrent(ctx context.Context, c conn, query, typ, id string) (store.Version, error) {
	v, err := scanVersion(c.QueryRowContext(ctx, query, typ, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Version{}, store.ErrNotFound
	}
	return v, err
}

func readVersion(ctx context.Context, c conn, query, typ, id string, versionID int64) (store.Version, error) {
	v, err := scanVersion(c.QueryRowContext(ctx, query, typ, id, versionID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Version{}, store.ErrNotFound
	}
	return v, err
}

// find selects current, not deleted ids: from the token index when there
// are criteria (each one an EXISTS, on the bounded values the index
// keeps), else from the current-version table. Criteria after the first
// are probes of the first one's matches (Dialect.ProbeSuffix): PostgreSQL
// would otherwise turn each EXISTS into a join, and took 9 seconds to plan
// 200 of them.
func find(ctx context.Context, c conn, sb *sqlBuilder, q store.FindQuery) ([]string, error) {
	sb.w(`SELECT c.id FROM resource_current c WHERE c.type = ? AND NOT c.deleted`, q.Type)
	if len(q.IDs) > 0 {
		sb.w(` AND c.id IN (`+placeholders(len(q.IDs))+`)`, anySlice(q.IDs)...)
	}
	for i, cr := range q.Criteria {
		sb.w(` AND EXISTS (SELECT 1 FROM token_index t WHERE `)
		sb.ownedByRowOf("t", "c")
		sb.w(` AND `)
		sb.paramIn(`t.pid`, []string{cr.Param})
		if cr.Code != "" {
			sb.w(` AND t.code = ?`, bound(cr.Code))
		}
		if cr.System != "" || cr.SystemSet {
			sb.w(` AND `)
			sb.systemIs(`t.sid`, cr.System)
		}
		if i > 0 {
			sb.w(sb.dialect.ProbeSuffix)
		}
		sb.w(`)`)
	}
	sb.w(` ORDER BY c.id`)
	if q.Limit > 0 {
		sb.w(fmt.Sprintf(` LIMIT %d`, q.Limit))
	}
	rows, err := c.QueryContext(ctx, sb.dialect.rebind(sb.b.String()), sb.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// historyWhere builds the filter of a history query; withPaging adds the
// cursor (Before), which the total ignores.
func historyWhere(q store.HistoryQuery, withPaging bool) (string, []any) {
	var conds []string
	var args []any
	if q.Type != "" {
		conds = append(conds, `v.type = ?`)
		args = append(args, q.Type)
	}
	if q.ID != "" {
		conds = append(conds, `v.id = ?`)
		args = append(args, q.ID)
	}
	if !q.Since.IsZero() {
		conds = append(conds, `v.last_updated >= ?`)
		args = append(args, q.Since.UnixMicro())
	}
	if !q.At.IsZero() {
		at := q.At.UnixMicro()
		conds = append(conds, `v.last_updated <= ? AND NOT EXISTS (SELECT 1 FROM resource_version n
			WHERE n.type = v.type AND n.id = v.id AND n.version_id > v.version_id AND n.last_updated <= ?)`)
		args = append(args, at, at)
	}
	if withPaging && q.Before > 0 {
		conds = append(conds, `v.seq < ?`)
		args = append(args, q.Before)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (s *Store) History(ctx context.Context, q store.HistoryQuery) ([]store.Version, error) {
	where, args := historyWhere(q, true)
	query := `SELECT ` + versionColumns + ` FROM resource_version v` + where + ` ORDER BY v.seq DESC`
	if q.Count > 0 {
		query += fmt.Sprintf(` LIMIT %d`, q.Count)
	}
	sb := &sqlBuilder{args: args}
	sb.w(query)
	return retryRead(ctx, s, func() ([]store.Version, error) { return s.queryVersions(ctx, s.read, sb) })
}

func (s *Store) HistoryCount(ctx context.Context, q store.HistoryQuery) (int, error) {
	where, args := historyWhere(q, false)
	return retryRead(ctx, s, func() (int, error) {
		var n int
		err := s.read.QueryRowContext(ctx, s.d.rebind(`SELECT count(*) FROM resource_version v`+where), args...).Scan(&n)
		return n, err
	})
}

// InTx runs fn in a write transaction; buffered writes are flushed before
// commit, and a conflict anywhere becomes store.ErrConflict. A broken
// connection becomes store.ErrUnavailable before the commit (nothing was
// written: fn is not run again here, as it may not be idempotent; the
// caller decides) and store.ErrOutcomeUnknown during it.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	sqlTx, err := retryRead(ctx, s, func() (*sql.Tx, error) { return s.write.BeginTx(ctx, nil) })
	if err != nil {
		return s.mapError(err)
	}
	tx := &tx{s: s, sql: sqlTx}
	err = fn(tx)
	if err == nil {
		err = tx.flush(ctx) // or the error of one that failed before
	}
	if err != nil {
		// fn may have turned a broken connection's error into its own;
		// a rollback that fails too tells that the connection broke.
		if rerr := sqlTx.Rollback(); s.transient(err) || s.transient(rerr) {
			s.dropIdle()
			return unavailable(err)
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		if s.transient(err) {
			s.dropIdle()
			return fmt.Errorf("%w: %w", store.ErrOutcomeUnknown, err)
		}
		return s.mapError(err)
	}
	for c, ids := range tx.numbered {
		c.remember(ids)
	}
	return nil
}

// mapError turns the engine's conflict errors into store.ErrConflict.
func (s *Store) mapError(err error) error {
	if err != nil && s.d.IsConflict != nil && s.d.IsConflict(err) {
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// Ping checks that the database answers and is fully migrated.
func (s *Store) Ping(ctx context.Context) error {
	v, err := retryRead(ctx, s, func() (int, error) { return schemaVersion(ctx, s.read) })
	if err != nil {
		return err
	}
	if v < len(s.d.Migrations) {
		return fmt.Errorf("schema at version %d, want %d", v, len(s.d.Migrations))
	}
	return nil
}

// GiveNumbersOn has the store give new dictionary numbers (dictionary.go)
// on db, a pool of its own, in statements committed at once, instead of
// inside the write transaction that meets the name: for a database whose
// writers run concurrently (PostgreSQL), where a number given inside one
// transaction would hold every other writer meeting the same name until
// that transaction ended (two meeting each other's would deadlock), and
// one given on the writers' own pool could wait for a connection that
// every open transaction holds. Not for SQLite, whose one writer would
// wait for itself. The store closes db when it closes.
func (s *Store) GiveNumbersOn(db *sql.DB) { s.apart = db }

// Close closes the pools.
func (s *Store) Close() error {
	s.deferral.wg.Wait()
	err := s.write.Close()
	if s.apart != nil {
		err = errors.Join(err, s.apart.Close())
	}
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

var _ store.Store = (*Store)(nil)
