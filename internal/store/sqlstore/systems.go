package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Token systems as numbers (the fifteenth migration, TokenSystemSchema).
//
// A token row names its code system by a number from token_system, the
// store's dictionary of the systems its rows have named: an AuditEvent's
// systems are 40-57 characters ("http://terminology.hl7.org/CodeSystem/
// audit-event-type") and each was kept in the row and in both of the
// table's indexes. The number is given once, by the write that first
// names the system, and never changes or is reused, so a server may keep
// what it has read of the dictionary for as long as it runs.
//
// Each server keeps the dictionary in memory (tokenSystems), read whole
// when the store opens and added to by its own writes once they commit:
// a number given inside a transaction that then rolls back does not
// exist, and SQLite would give it again to another system. A search
// binds a system's number when the server knows it; one it does not know
// (written by another server since it read the dictionary, or by nobody)
// is looked up by the statement itself, in its own snapshot, so a search
// is never wrong for want of a number. The empty system (a code without
// one) is 0.

// maxCachedSystems bounds the dictionary kept in memory: systems are what
// clients write, and a client writing a new one in every resource must
// not grow the server without bound. Past it, systems are looked up in
// the store (a search's statement, or a write's lookup per transaction).
const maxCachedSystems = 10_000

// tokenSystems is a server's copy of the dictionary: url (in its indexed
// form, search.IndexPrefix) to number.
type tokenSystems struct {
	mu  sync.RWMutex
	ids map[string]int64
}

// id returns the number of url, when known.
func (c *tokenSystems) id(url string) (int64, bool) {
	if url == "" {
		return 0, true
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	sid, ok := c.ids[url]
	return sid, ok
}

// remember adds committed numbers, up to maxCachedSystems in all.
func (c *tokenSystems) remember(ids map[string]int64) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]int64{}
	}
	for url, sid := range ids {
		if len(c.ids) >= maxCachedSystems {
			return
		}
		c.ids[url] = sid
	}
}

// loadSystems reads the dictionary (up to maxCachedSystems of it) when the
// store opens.
func (s *Store) loadSystems(ctx context.Context) error {
	rows, err := s.read.QueryContext(ctx, s.d.rebind(`SELECT url, sid FROM token_system ORDER BY sid LIMIT ?`), maxCachedSystems)
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var url string
		var sid int64
		if err := rows.Scan(&url, &sid); err != nil {
			return err
		}
		ids[url] = sid
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.systems.remember(ids)
	return nil
}

// systemIs writes that col, a token row's system (sid), is url's number: bound
// when the server knows it, else looked up by the statement (NULL, which
// matches no row, for a system no row names).
func (sb *sqlBuilder) systemIs(col, url string) {
	url = bound(url)
	if sb.systems != nil {
		if sid, ok := sb.systems.id(url); ok {
			sb.w(col+` = ?`, sid)
			return
		}
	}
	sb.w(col+` = (SELECT sid FROM token_system WHERE url = ?)`, url)
}

// systemID is the number of a token row's system in this transaction:
// the server's, or one this transaction looked up or gave.
func (t *tx) systemID(url string) int64 {
	if sid, ok := t.s.systems.id(url); ok {
		return sid
	}
	return t.newSystems[url]
}

// numberSystems makes sure every token system of ws has a number before
// their rows are written: the server's, else the store's, else a new one
// given in this transaction (kept in t.newSystems, and remembered by the
// server once the transaction commits). In sorted order, so that two
// PostgreSQL writers giving numbers to the same new systems wait for each
// other rather than deadlock.
func (t *tx) numberSystems(ctx context.Context, ws []store.Write) error {
	var missing []string
	for i := range ws {
		for _, r := range ws[i].Index.Tokens {
			url := bound(r.System)
			if _, ok := t.s.systems.id(url); ok {
				continue
			}
			if _, ok := t.newSystems[url]; ok || slices.Contains(missing, url) {
				continue
			}
			missing = append(missing, url)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	if t.newSystems == nil {
		t.newSystems = map[string]int64{}
	}
	for _, url := range missing {
		sid, err := t.lookupSystem(ctx, url)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := t.sql.ExecContext(ctx, t.s.d.rebind(`INSERT INTO token_system (url) VALUES (?) ON CONFLICT DO NOTHING`), url); err != nil {
				return err
			}
			sid, err = t.lookupSystem(ctx, url)
		}
		if err != nil {
			return err
		}
		t.newSystems[url] = sid
	}
	return nil
}

func (t *tx) lookupSystem(ctx context.Context, url string) (int64, error) {
	var sid int64
	err := t.sql.QueryRowContext(ctx, t.s.d.rebind(`SELECT sid FROM token_system WHERE url = ?`), url).Scan(&sid)
	return sid, err
}
