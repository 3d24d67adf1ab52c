package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Deferred index builds (issue 12; figures in doc.go).
//
// Every write puts a resource's search index rows in the same transaction
// as the resource, so a search never misses what is stored. What an import
// into a new store may defer is the B-tree indexes over those rows: it
// drops them first (DeferIndexes), writes rows into plain tables, and
// builds each index once, sorted, at the end (BuildIndexes). Meanwhile
// searches are complete, only slower.
//
// The statements that rebuild them are kept in a record written in the
// transaction that drops them, and deleted in the one that builds them.
// A process killed in between leaves the record: the next Open of the
// store (a restart, or the next command) builds them before it serves.
// The process that deferred starts building them early, in the
// background, as soon as it relies on them: an update (its old rows are
// found by the owner index) or a search. Not in the transaction that
// needs them: one that fails (a conditional reference not resolved yet)
// would take the build with it, and the next would build again; and not
// at once outside it, as on SQLite's one write connection a search made
// inside another transaction would wait for itself.
const deferredKind, deferredID = "store", "deferred-indexes"

// deferral is the process's own deferral: on from DeferIndexes until the
// indexes are built.
type deferral struct {
	mu       sync.Mutex // serialises builds outside transactions
	on       atomic.Bool
	building atomic.Bool    // a background build is under way
	wg       sync.WaitGroup // the background build, for Close
}

// DeferIndexes drops the secondary indexes of the search index tables
// when the store holds at most maxResources resources (a new store being
// loaded, not a practice's live one) and no other process has deferred
// them already; it reports whether it did. The caller must call
// BuildIndexes when its load ends, also when it fails.
func (s *Store) DeferIndexes(ctx context.Context, maxResources int) (bool, error) {
	s.deferral.wg.Wait() // a build asked for earlier does not end this deferral
	deferred := false
	err := s.underMigrationLock(ctx, func(tx *sql.Tx) error {
		if _, ok, err := readDeferred(ctx, tx, &s.d); err != nil || ok {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT count(*) FROM (SELECT 1 FROM resource_current LIMIT ?) c`), maxResources+1).Scan(&n); err != nil {
			return err
		}
		if n > maxResources {
			return nil
		}
		defs, err := indexDefinitions(ctx, tx, &s.d)
		if err != nil || len(defs) == 0 {
			return err
		}
		body, err := json.Marshal(defs)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO record (kind, id, body, expires) VALUES (?, ?, ?, 0)`), deferredKind, deferredID, body); err != nil {
			return err
		}
		if s.d.LockIndexTables != "" {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(s.d.LockIndexTables, indexTableList(), "ACCESS EXCLUSIVE")); err != nil {
				return err
			}
		}
		for _, d := range defs {
			if _, err := tx.ExecContext(ctx, `DROP INDEX `+d.Name); err != nil {
				return fmt.Errorf("%w in DROP INDEX %s", err, d.Name)
			}
		}
		deferred = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("defer search indexes: %w", err)
	}
	if deferred {
		s.deferral.on.Store(true)
	}
	return deferred, nil
}

// DefersByDefault: see store.IndexDeferrer and Dialect.DefersByDefault.
func (s *Store) DefersByDefault() bool { return s.d.DefersByDefault }

// BuildIndexes builds the indexes DeferIndexes dropped, if they are still
// to be built (by this process or one that was killed).
func (s *Store) BuildIndexes(ctx context.Context) error {
	s.deferral.mu.Lock()
	defer s.deferral.mu.Unlock()
	err := s.underMigrationLock(ctx, func(tx *sql.Tx) error {
		_, err := buildDeferred(ctx, tx, &s.d)
		return err
	})
	if err != nil {
		return fmt.Errorf("build search indexes: %w", err)
	}
	s.deferral.on.Store(false)
	s.analyzeIndexTables(ctx)
	return nil
}

// needIndexes starts building the deferred indexes in the background
// when a search or an update would use them; they go on without them
// (complete, only slower), and the build takes the write connection once
// it is free.
func (s *Store) needIndexes() {
	if !s.deferral.on.Load() || !s.deferral.building.CompareAndSwap(false, true) {
		return
	}
	s.deferral.wg.Add(1)
	go func() {
		defer s.deferral.wg.Done()
		defer s.deferral.building.Store(false)
		_ = s.BuildIndexes(context.Background()) // on failure, the next search or the load's end tries again
	}()
}

// indexDefinition is one index to rebuild: its name and the statement
// that creates it as the catalog gave it.
type indexDefinition struct {
	Name string `json:"name"`
	DDL  string `json:"ddl"`
}

// indexDefinitions reads the search index tables' secondary indexes from
// the catalog, so that the migrations stay their one definition.
func indexDefinitions(ctx context.Context, tx *sql.Tx, d *Dialect) ([]indexDefinition, error) {
	rows, err := tx.QueryContext(ctx, d.IndexDefinitions)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []indexDefinition
	for rows.Next() {
		var table string
		var def indexDefinition
		if err := rows.Scan(&table, &def.Name, &def.DDL); err != nil {
			return nil, err
		}
		if !isIndexTable(table) || !strings.HasPrefix(def.DDL, "CREATE INDEX ") {
			continue
		}
		out = append(out, def)
	}
	slices.SortFunc(out, func(a, b indexDefinition) int { return strings.Compare(a.Name, b.Name) })
	return out, rows.Err()
}

// indexTableList names the index tables in the order writes reach them.
func indexTableList() string {
	names := make([]string, len(indexTables))
	for i, t := range indexTables {
		names[i] = t.name
	}
	return strings.Join(names, ", ")
}

func isIndexTable(name string) bool {
	return slices.ContainsFunc(indexTables, func(t indexTable) bool { return t.name == name })
}

func readDeferred(ctx context.Context, c conn, d *Dialect) ([]indexDefinition, bool, error) {
	var body []byte
	err := c.QueryRowContext(ctx, d.rebind(`SELECT body FROM record WHERE kind = ? AND id = ?`), deferredKind, deferredID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var defs []indexDefinition
	if err := json.Unmarshal(body, &defs); err != nil {
		return nil, false, fmt.Errorf("record %s/%s: %w", deferredKind, deferredID, err)
	}
	return defs, true, nil
}

// buildDeferred creates the indexes the deferral record names (those
// that exist already are left) and deletes the record, in the caller's
// transaction (the load's own, or an Open's while a load in another
// process still writes); it reports whether there was anything to build.
func buildDeferred(ctx context.Context, c conn, d *Dialect) (built bool, err error) {
	defs, ok, err := readDeferred(ctx, c, d)
	if err != nil || !ok {
		return false, err
	}
	if d.LockIndexTables != "" {
		// All at once, in the order writers take them, before the first
		// index: building table by table, a writer holding a later table
		// and waiting for an earlier one would deadlock.
		if _, err := c.ExecContext(ctx, fmt.Sprintf(d.LockIndexTables, indexTableList(), "SHARE")); err != nil {
			return false, err
		}
	}
	// The settings are the connection's, not the transaction's: put back
	// whatever becomes of the build.
	defer func() {
		for _, stmt := range d.AfterBuild {
			if _, aerr := c.ExecContext(ctx, stmt); aerr != nil && err == nil {
				built, err = false, fmt.Errorf("%w in %s", aerr, stmt)
			}
		}
	}()
	for _, stmt := range d.BuildSettings {
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("%w in %s", err, stmt)
		}
	}
	for _, def := range defs {
		ddl := "CREATE INDEX IF NOT EXISTS " + strings.TrimPrefix(def.DDL, "CREATE INDEX ")
		if _, err := c.ExecContext(ctx, ddl); err != nil {
			return false, fmt.Errorf("%w in %s", err, ddl)
		}
	}
	if _, err := c.ExecContext(ctx, d.rebind(`DELETE FROM record WHERE kind = ? AND id = ?`), deferredKind, deferredID); err != nil {
		return false, err
	}
	return true, nil
}

// underMigrationLock runs fn in a transaction holding the dialect's
// migration lock, so that two processes never build or drop at once.
func (s *Store) underMigrationLock(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.withMigrationLock(ctx, func(c *sql.Conn) error { return connTx(ctx, c, fn) })
}

// connTx runs fn in a transaction on c, committed when fn returns nil.
func connTx(ctx context.Context, c *sql.Conn, fn func(*sql.Tx) error) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// analyzeIndexTables gives the planner the new tables' statistics where
// the dialect keeps them (PostgreSQL); errors leave it to autovacuum.
func (s *Store) analyzeIndexTables(ctx context.Context) {
	if !s.d.AnalyzeAfterBuild {
		return
	}
	for _, t := range indexTables {
		_, _ = s.write.ExecContext(ctx, `ANALYZE `+t.name)
	}
	_, _ = s.write.ExecContext(ctx, `ANALYZE resource_current`)
	_, _ = s.write.ExecContext(ctx, `ANALYZE resource_version`)
}
