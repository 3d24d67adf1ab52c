package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Rows of narrowed reference parameters (search.Param.StoredTarget; the
// package documentation). Every search reads such a parameter through
// its parts' rows. Whether a store also holds the parameter's own rows
// depends on its history: servers of versions before this one read those
// rows, so a store they may still serve (a rolling upgrade, two
// replicas, a rollback) must keep them, and this version goes on writing
// them there. A new store, which no earlier version ever served, never
// has them; an existing one drops them when its operator says every
// server reads through the parts (gpcloud admin drop-duplicate-rows,
// DropNarrowedRows). A record says which.

// settingKind and narrowedDroppedID name the record saying the store
// holds no rows of narrowed parameters.
const settingKind, narrowedDroppedID = "store-setting", "narrowed-rows-dropped"

// loadNarrowedRows reads whether the store holds narrowed rows.
func (s *Store) loadNarrowedRows(ctx context.Context) error {
	_, err := getRecord(ctx, s.write, &s.d, "", settingKind, narrowedDroppedID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.narrowedDropped.Store(false)
	case err != nil:
		return fmt.Errorf("read the store's settings: %w", err)
	default:
		s.narrowedDropped.Store(true)
	}
	return nil
}

// narrowedDropped is the record saying the store holds no narrowed rows.
var narrowedDropped = store.Record{Kind: settingKind, ID: narrowedDroppedID, Body: []byte(`{}`)}

// markNewStore records, as a new store is created (migrateLocked, on the
// migration's connection), that it holds no narrowed rows.
func markNewStore(ctx context.Context, c conn, d *Dialect) error {
	_, err := c.ExecContext(ctx, d.rebind(`INSERT INTO record (kind, id, body, expires) VALUES (?, ?, ?, 0) ON CONFLICT (kind, id) DO NOTHING`),
		narrowedDropped.Kind, narrowedDropped.ID, narrowedDropped.Body)
	return err
}

// writesNarrowedRows tells whether this store's writes add the rows of
// narrowed parameters (an existing store whose servers of earlier
// versions may still read them).
func (s *Store) writesNarrowedRows() bool { return !s.narrowedDropped.Load() }

// DropNarrowedRows deletes the rows of narrowed reference parameters and
// records that the store holds none, in one write transaction, so that
// its writes add none from now on (servers already running go on adding
// them until restarted: rows no search of this version reads, which
// running it again deletes). Run it once every server of the store runs
// this version or a later one: servers of earlier versions would find
// nothing by those parameters. It returns the number of rows deleted.
func (s *Store) DropNarrowedRows(ctx context.Context) (int64, error) {
	var deleted int64
	err := s.InTx(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		for _, stmt := range strings.Split(narrowedRowsDelete(), ";") {
			res, err := t.sql.ExecContext(ctx, stmt)
			if err != nil {
				return s.mapError(err)
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
		return t.PutRecord(ctx, narrowedDropped)
	})
	if err != nil {
		return 0, fmt.Errorf("nothing deleted: %w", err)
	}
	s.narrowedDropped.Store(true)
	if s.d.AnalyzeAfterBuild {
		// A fifth of the table gone: PostgreSQL's planner needs to know.
		if _, err := s.write.ExecContext(ctx, `ANALYZE reference_index`); err != nil {
			return deleted, fmt.Errorf("rows deleted; ANALYZE reference_index: %w", err)
		}
	}
	return deleted, nil
}
