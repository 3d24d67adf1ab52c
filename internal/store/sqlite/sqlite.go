// Package sqlite is the embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver, so the binary needs no C toolchain and no
// database server. The database is one file, gpcloud.db, in WAL mode:
// readers work alongside the single writer, and writers queue on one
// connection whose transactions take the write lock at BEGIN
// (_txlock=immediate), so two writers never deadlock upgrading a lock.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlstore"
)

// FileName is the database file inside the data directory.
const FileName = "gpcloud.db"

// Open opens (creating if needed) the database in dir and migrates it.
func Open(ctx context.Context, dir string) (store.Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	pragmas := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(30000)", "foreign_keys(OFF)", "cache_size(-65536)", "wal_autocheckpoint(16384)"} {
		pragmas.Add("_pragma", p)
	}
	writeDSN := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"
	readDSN := "file:" + path + "?" + pragmas.Encode() + "&_pragma=query_only(1)"

	write, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)

	read, err := sql.Open("sqlite", readDSN)
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)

	s, err := sqlstore.Open(ctx, write, read, dialect)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

var dialect = sqlstore.Dialect{
	Name:       "sqlite",
	Migrations: migrations,
	IsConflict: isConflict,
	MaxParams:  32766,
	Unindexed:  func(col string) string { return "+" + col },
}

// isConflict: a unique or primary key violation means a concurrent
// writer (only possible from another process on the same file) won.
func isConflict(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}
