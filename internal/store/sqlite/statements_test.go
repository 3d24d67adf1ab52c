package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeptStatements: a connection that keeps its statements answers as
// one that does not, when the same text runs inside its own rows loop,
// after a failed run, and beyond the number it keeps.
func TestKeptStatements(t *testing.T) {
	ctx := context.Background()
	db := openDB("file:" + filepath.Join(t.TempDir(), "kept.db") + "?_pragma=journal_mode(WAL)")
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: every run meets the kept statements
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO t (k, v) VALUES (?, ?)`
	for k := 1; k <= 3; k++ {
		if _, err := db.ExecContext(ctx, insert, k, fmt.Sprint("v", k)); err != nil {
			t.Fatal(err)
		}
	}
	// A failed run (the key is taken) leaves the statement usable.
	if _, err := db.ExecContext(ctx, insert, 1, "again"); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("duplicate key: %v", err)
	}
	if _, err := db.ExecContext(ctx, insert, 4, "v4"); err != nil {
		t.Fatalf("after a failed run: %v", err)
	}

	// The same query inside its own rows loop, in a transaction (one
	// connection): the inner run must not reset the outer one.
	const query = `SELECT k, v FROM t WHERE k >= ? ORDER BY k`
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, query, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var k int
		var v string
		if err := outer.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		var n int
		inner, err := tx.QueryContext(ctx, query, k)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			n++
		}
		inner.Close()
		pairs = append(pairs, fmt.Sprintf("%s:%d", v, n))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(pairs, " "), "v1:4 v2:3 v3:2 v4:1"; got != want {
		t.Errorf("nested runs of one statement: %s, want %s", got, want)
	}

	// More distinct texts than a connection keeps: each still answers.
	for i := range 2 * statementsPerConn {
		var v string
		q := fmt.Sprintf(`SELECT v FROM t WHERE k = ? AND %d = %d`, i, i)
		if err := db.QueryRowContext(ctx, q, 1+i%4).Scan(&v); err != nil || v != fmt.Sprint("v", 1+i%4) {
			t.Fatalf("statement %d: %q, %v", i, v, err)
		}
	}
	// The first text again, after it was evicted.
	var v string
	if err := db.QueryRowContext(ctx, `SELECT v FROM t WHERE k = ? AND 0 = 0`, 2).Scan(&v); err != nil || v != "v2" {
		t.Fatalf("evicted statement again: %q, %v", v, err)
	}
}

func TestCacheable(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT 1`:                             true,
		"\n  insert INTO t VALUES (1)":         true,
		`WITH m AS (SELECT 1) SELECT * FROM m`: true,
		`DELETE FROM t WHERE k = ?`:            true,
		`UPDATE t SET v = ?`:                   true,
		`CREATE INDEX i ON t (v)`:              false,
		`PRAGMA optimize`:                      false,
		`SELECT 1; SELECT 2`:                   false,
		`ANALYZE t`:                            false,
		``:                                     false,
	} {
		if got := cacheable(q); got != want {
			t.Errorf("cacheable(%q) = %v, want %v", q, got, want)
		}
	}
}

// bareDriver's connections offer only driver.Conn: none of what
// database/sql uses besides.
type bareDriver struct{ closed *bool }

func (d bareDriver) Open(string) (driver.Conn, error) { return bareConn{d.closed}, nil }

type bareConn struct{ closed *bool }

func (bareConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not here") }
func (c bareConn) Close() error                      { *c.closed = true; return nil }
func (bareConn) Begin() (driver.Tx, error)           { return nil, errors.New("not here") }

// TestConnectorRefusesBareConnections: a driver whose connection lacks an
// interface the kept statements pass through is an error naming it, the
// connection closed, not a panic on first use.
func TestConnectorRefusesBareConnections(t *testing.T) {
	closed := false
	_, err := connector{dsn: "x", drv: bareDriver{&closed}}.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "bareConn") {
		t.Fatalf("Connect: %v, want an error naming the connection's type", err)
	}
	if !closed {
		t.Error("the refused connection was left open")
	}
}
