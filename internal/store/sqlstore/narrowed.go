package sqlstore

import (
	"context"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/search"
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
	var n int
	err := s.write.QueryRowContext(ctx, s.d.rebind(`SELECT count(*) FROM record WHERE kind = ? AND id = ?`), settingKind, narrowedDroppedID).Scan(&n)
	s.narrowedDropped.Store(n > 0)
	return err
}

// markNarrowedDropped records that the store holds no narrowed rows.
func markNarrowedDropped(ctx context.Context, c conn, d *Dialect) error {
	if _, err := c.ExecContext(ctx, d.rebind(`DELETE FROM record WHERE kind = ? AND id = ?`), settingKind, narrowedDroppedID); err != nil {
		return err
	}
	_, err := c.ExecContext(ctx, d.rebind(`INSERT INTO record (kind, id, body, expires) VALUES (?, ?, ?, 0)`), settingKind, narrowedDroppedID, []byte(`{}`))
	return err
}

// writesNarrowedRows tells whether this store's writes add the rows of
// narrowed parameters (an existing store whose servers of earlier
// versions may still read them).
func (s *Store) writesNarrowedRows() bool { return !s.narrowedDropped.Load() }

// keepReference tells whether an extracted reference row is written.
func keepReference(typ string, r search.ReferenceValue, narrowed bool) bool {
	return narrowed || search.RowsStored(typ, r.Param)
}

// DropNarrowedRows deletes the rows of narrowed reference parameters and
// records that the store holds none, so that its writes add none from
// now on (servers already running go on adding them until restarted:
// rows no search of this version reads, which running it again deletes).
// Run it once every server of the store runs this version or a later
// one: servers of earlier versions would find nothing by those
// parameters. It returns the number of rows deleted.
func (s *Store) DropNarrowedRows(ctx context.Context) (int64, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var deleted int64
	for _, stmt := range strings.Split(narrowedRowsDelete(), ";") {
		res, err := tx.ExecContext(ctx, stmt)
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		deleted += n
	}
	if err := markNarrowedDropped(ctx, tx, &s.d); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	s.narrowedDropped.Store(true)
	if s.d.AnalyzeAfterBuild {
		// A fifth of the table gone: PostgreSQL's planner needs to know.
		if _, err := s.write.ExecContext(ctx, `ANALYZE reference_index`); err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}
