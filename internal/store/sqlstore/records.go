package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Records live in one table keyed by (kind, id). An expired record is
// treated as absent everywhere; it is removed when a writer next inserts
// over it, so no sweeper is needed.

const recordColumns = `c.kind, c.id, c.body, c.expires`

func scanRecord(r rowScanner) (store.Record, error) {
	var rec store.Record
	var expires int64
	if err := r.Scan(&rec.Kind, &rec.ID, &rec.Body, &expires); err != nil {
		return store.Record{}, err
	}
	if expires != 0 {
		rec.Expires = time.UnixMicro(expires).UTC()
	}
	return rec, nil
}

func expiresMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func getRecord(ctx context.Context, c conn, d *Dialect, lock, kind, id string) (store.Record, error) {
	q := `SELECT ` + recordColumns + ` FROM record c WHERE c.kind = ? AND c.id = ? AND (c.expires = 0 OR c.expires > ?)`
	if lock != "" {
		q += " " + lock
	}
	rec, err := scanRecord(c.QueryRowContext(ctx, d.rebind(q), kind, id, time.Now().UnixMicro()))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, store.ErrNotFound
	}
	return rec, err
}

// listRecords lists a kind's records, the first limit of them (0: all).
func listRecords(ctx context.Context, c conn, d *Dialect, kind string, limit int) ([]store.Record, error) {
	q := `SELECT ` + recordColumns + ` FROM record c WHERE c.kind = ? AND (c.expires = 0 OR c.expires > ?) ORDER BY c.id`
	args := []any{kind, time.Now().UnixMicro()}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := c.QueryContext(ctx, d.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

func (s *Store) GetRecord(ctx context.Context, kind, id string) (store.Record, error) {
	return retryRead(ctx, s, func() (store.Record, error) { return getRecord(ctx, s.read, &s.d, "", kind, id) })
}

func (s *Store) ListRecords(ctx context.Context, kind string) ([]store.Record, error) {
	return retryRead(ctx, s, func() ([]store.Record, error) { return listRecords(ctx, s.read, &s.d, kind, 0) })
}

func (s *Store) FirstRecords(ctx context.Context, kind string, n int) ([]store.Record, error) {
	return retryRead(ctx, s, func() ([]store.Record, error) { return listRecords(ctx, s.read, &s.d, kind, max(n, 1)) })
}

func (t *tx) GetRecord(ctx context.Context, kind, id string) (store.Record, error) {
	if err := t.flush(ctx); err != nil {
		return store.Record{}, err
	}
	return getRecord(ctx, t.sql, &t.s.d, t.s.d.ReadLock, kind, id)
}

func (t *tx) ListRecords(ctx context.Context, kind string) ([]store.Record, error) {
	return t.listRecords(ctx, kind, 0)
}

func (t *tx) FirstRecords(ctx context.Context, kind string, n int) ([]store.Record, error) {
	return t.listRecords(ctx, kind, max(n, 1))
}

func (t *tx) listRecords(ctx context.Context, kind string, limit int) ([]store.Record, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return listRecords(ctx, t.sql, &t.s.d, kind, limit)
}

func validRecord(r store.Record) error {
	if r.Kind == "" || r.ID == "" {
		return fmt.Errorf("sqlstore: record without kind or id")
	}
	return nil
}

// InsertRecord inserts with ON CONFLICT DO NOTHING rather than catching a
// unique violation, which would abort a PostgreSQL transaction.
func (t *tx) InsertRecord(ctx context.Context, r store.Record) error {
	if err := validRecord(r); err != nil {
		return err
	}
	if err := t.flush(ctx); err != nil {
		return err
	}
	now := time.Now().UnixMicro()
	if _, err := t.sql.ExecContext(ctx, t.s.d.rebind(`DELETE FROM record WHERE kind = ? AND id = ? AND expires <> 0 AND expires <= ?`), r.Kind, r.ID, now); err != nil {
		return t.s.mapError(err)
	}
	res, err := t.sql.ExecContext(ctx, t.s.d.rebind(`INSERT INTO record (kind, id, body, expires) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING`),
		r.Kind, r.ID, nonNil(r.Body), expiresMicros(r.Expires))
	if err != nil {
		return t.s.mapError(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: record %s/%s exists", store.ErrConflict, r.Kind, r.ID)
	}
	return nil
}

func (t *tx) PutRecord(ctx context.Context, r store.Record) error {
	if err := validRecord(r); err != nil {
		return err
	}
	if err := t.flush(ctx); err != nil {
		return err
	}
	_, err := t.sql.ExecContext(ctx, t.s.d.rebind(`INSERT INTO record (kind, id, body, expires) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, expires = excluded.expires`),
		r.Kind, r.ID, nonNil(r.Body), expiresMicros(r.Expires))
	return t.s.mapError(err)
}

func (t *tx) DeleteRecord(ctx context.Context, kind, id string) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	_, err := t.sql.ExecContext(ctx, t.s.d.rebind(`DELETE FROM record WHERE kind = ? AND id = ?`), kind, id)
	return t.s.mapError(err)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
