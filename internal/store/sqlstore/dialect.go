package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Dialect is what one database engine needs beyond the shared SQL.
type Dialect struct {
	Name string
	// Numbered placeholders ($1, $2...) instead of "?".
	NumberedPlaceholders bool
	// Migrations are the schema changes in order; a database at version n
	// has had the first n applied. Append only: never edit a released one.
	Migrations []string
	// ReadLock is appended to the current-version lookup inside a write
	// transaction, to lock the row read ("FOR UPDATE OF c" on PostgreSQL):
	// concurrent writers to one resource then queue instead of failing.
	ReadLock string
	// IsConflict reports errors that mean a concurrent writer won: unique
	// violations, deadlocks, serialization failures.
	IsConflict func(error) bool
	// LockMigrations serialises migrations between processes; it returns
	// the function that releases the lock. Nil when the engine's own write
	// lock suffices.
	LockMigrations func(ctx context.Context, c *sql.Conn) (unlock func(), err error)
	// MaxParams bounds the parameters of one statement.
	MaxParams int
	// Unindexed is written before a column to keep the planner from using
	// an index on it ("+" on SQLite), so that per-resource probes go
	// through the owner index (type, id) rather than scanning a lookup
	// index led by (type, param). Empty where the planner has statistics
	// to choose well (PostgreSQL).
	Unindexed string
}

// rebind turns "?" placeholders into $n for engines that number them.
func (d *Dialect) rebind(q string) string {
	if !d.NumberedPlaceholders {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
