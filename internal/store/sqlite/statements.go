package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// The modernc driver parses and plans every statement it is given, every
// time: under a read load (bench/readbench) preparing was ~8% of the
// server's CPU, as much as a fifth of a read's own time, and the audit
// trail's multi-row INSERTs parsed hundreds of placeholders per batch.
// Each connection here keeps its most recently used statements prepared,
// by their text, and runs them again with new arguments. (PostgreSQL's
// pgx driver does the same for itself.)

// statementsPerConn bounds a connection's prepared statements: the fixed
// texts of reads, record and index writes (a few dozen, the multi-row
// INSERTs in the sizes sqlstore's chunks take) fit, and search SQL, whose
// text varies with the query, cycles through the rest. A prepared
// multi-row INSERT of 500 rows holds a few hundred kB; the HTTP load and
// the import peaked 8-12 MB higher than without kept statements.
const statementsPerConn = 128

// connector opens modernc connections that keep their statements.
type connector struct {
	dsn string
	drv driver.Driver
}

func (c connector) Connect(context.Context) (driver.Conn, error) {
	inner, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ic, ok := inner.(innerConn)
	if !ok { // a driver version without one of them: say so, not panic
		inner.Close()
		return nil, fmt.Errorf("sqlite: the driver's connection (%T) lacks an interface database/sql uses", inner)
	}
	return &conn{inner: ic, byText: map[string]*list.Element{}, lru: list.New()}, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

// openDB is sql.Open("sqlite", dsn) with connections that keep their
// statements.
func openDB(dsn string) *sql.DB {
	return sql.OpenDB(connector{dsn: dsn, drv: &sqlite.Driver{}})
}

// innerConn is what the modernc connection offers that database/sql uses.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// conn is a modernc connection with its prepared statements. database/sql
// uses a connection from one goroutine at a time; a statement whose rows
// are still open (a query inside another's loop) is not run again until
// they close: the second run gets a statement of its own.
type conn struct {
	inner  innerConn
	byText map[string]*list.Element // of *kept
	lru    *list.List               // most recently used first
}

type kept struct {
	text string
	stmt driver.Stmt
	busy bool // its rows are open
}

// cacheable says whether a statement is worth keeping: one statement
// (no script) that reads or changes rows; DDL and PRAGMAs run once.
func cacheable(query string) bool {
	q := strings.TrimSpace(query)
	if strings.Contains(q, ";") {
		return false
	}
	verb, _, _ := strings.Cut(q, " ")
	switch strings.ToUpper(verb) {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH":
		return true
	}
	return false
}

// statement returns the connection's prepared statement for query, marked
// busy, or nil when query is not kept or the kept one is in use.
func (c *conn) statement(ctx context.Context, query string) (*kept, error) {
	if !cacheable(query) {
		return nil, nil
	}
	if el, ok := c.byText[query]; ok {
		k := el.Value.(*kept)
		if k.busy {
			return nil, nil
		}
		c.lru.MoveToFront(el)
		return k, nil
	}
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	k := &kept{text: query, stmt: st}
	c.byText[query] = c.lru.PushFront(k)
	// The least recently used go, but for those whose rows are open.
	for el := c.lru.Back(); el != nil && c.lru.Len() > statementsPerConn; {
		prev, old := el.Prev(), el.Value.(*kept)
		if !old.busy {
			c.lru.Remove(el)
			delete(c.byText, old.text)
			_ = old.stmt.Close()
		}
		el = prev
	}
	return k, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	k, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return c.inner.ExecContext(ctx, query, args)
	}
	return k.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	k, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return c.inner.QueryContext(ctx, query, args)
	}
	r, err := k.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	k.busy = true
	return &rows{Rows: r, k: k}, nil
}

// rows frees its statement for the next run when it closes.
type rows struct {
	driver.Rows
	k *kept
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	if r.k != nil {
		r.k.busy = false
		r.k = nil
	}
	return err
}

func (c *conn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}
func (c *conn) Begin() (driver.Tx, error) { return c.inner.Begin() }
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}
func (c *conn) Ping(ctx context.Context) error         { return c.inner.Ping(ctx) }
func (c *conn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }
func (c *conn) IsValid() bool                          { return c.inner.IsValid() }

// Close finalizes the kept statements, then closes the connection.
func (c *conn) Close() error {
	for el := c.lru.Front(); el != nil; el = el.Next() {
		_ = el.Value.(*kept).stmt.Close()
	}
	c.lru.Init()
	clear(c.byText)
	return c.inner.Close()
}
