// Package sqlite is the embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver, so the binary needs no C toolchain and no
// database server. The database is one file, gpcloud.db, in WAL mode:
// readers work alongside the single writer, and writers queue on one
// connection whose transactions take the write lock at BEGIN
// (_txlock=immediate), so two writers never deadlock upgrading a lock.
package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
		return nil, fmt.Errorf("sqlite: cannot create the data directory %s: %w", dir, cause(err))
	}
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	return open(ctx, dir, false)
}

// OpenExisting opens the database in dir only if dir holds a gpcloud
// store (an older schema is migrated forward); otherwise it creates
// nothing and returns a *store.NoStoreError.
func OpenExisting(ctx context.Context, dir string) (store.Store, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &store.NoStoreError{Reason: "the directory does not exist"}
	case err != nil:
		return nil, fmt.Errorf("sqlite: data directory %s: %w", dir, cause(err))
	case !fi.IsDir():
		return nil, &store.NoStoreError{Reason: "it is a file, not a directory"}
	}
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &store.NoStoreError{Reason: "the directory holds no " + FileName}
	}
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s is not writable (%w)", path, cause(err))
	}
	f.Close()
	return open(ctx, dir, true)
}

// checkWritable tells plainly that the data directory cannot be written,
// rather than letting SQLite fail later with "unable to open database
// file" or "attempt to write a readonly database".
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".gpcloud-write-check-*")
	if err != nil {
		return fmt.Errorf("sqlite: the data directory %s is not writable (%w)", dir, cause(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// cause drops the path an *fs.PathError repeats ("mkdir x: permission
// denied" becomes "permission denied"): messages name the path once.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func open(ctx context.Context, dir string, existing bool) (store.Store, error) {
	path := filepath.Join(dir, FileName)
	mode, openSQL := "", sqlstore.Open
	if existing {
		// mode=rw: should the file vanish meanwhile, SQLite fails rather
		// than create an empty one.
		mode, openSQL = "&mode=rw", sqlstore.OpenExisting
	}
	pragmas := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(30000)", "foreign_keys(OFF)", "cache_size(" + cacheSize + ")", "wal_autocheckpoint(" + writerAutoCheckpoint + ")"} {
		pragmas.Add("_pragma", p)
	}
	writeDSN := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate" + mode
	readDSN := "file:" + path + "?" + pragmas.Encode() + "&_pragma=query_only(1)" + mode
	checkpointDSN := "file:" + path + "?" + pragmas.Encode() + mode

	write := openDB(writeDSN)
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)

	read := openDB(readDSN)
	n := max(4, runtime.GOMAXPROCS(0)*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)

	s, err := openSQL(ctx, write, read, dialect)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return &checkpointedStore{Store: s, ck: startCheckpointer(openDB(checkpointDSN))}, nil
}

// cacheSize is each connection's page cache: 64 MiB.
const cacheSize = "-65536"

var dialect = sqlstore.Dialect{
	Name:       "sqlite",
	Migrations: migrations,
	IsConflict: isConflict,
	MaxParams:  32766,
	BulkInsert: "INSERT OR FAIL INTO",
	Unindexed:  func(col string) string { return "+" + col },
	GateByJoin: true,

	MigrationsTableExists: `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`,
	IndexDefinitions:      `SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`,
	DefersByDefault:       true,
	// SQLite sorts each index in runs as large as its page cache: a
	// smaller cache for the build keeps its memory under the load's.
	BuildSettings: []string{`PRAGMA cache_size = -16384`, `PRAGMA threads = 2`},
	AfterBuild:    []string{`PRAGMA cache_size = ` + cacheSize, `PRAGMA threads = 0`},
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
