package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestIsTransient(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"terminated backend", &pgconn.PgError{Code: "57P01"}, true},
		{"server shutting down", &pgconn.PgError{Code: "57P02"}, true},
		{"server starting", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"unexpected EOF, wrapped", fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"bad conn", driver.ErrBadConn, true},
		{"conn closed", pgconn.ErrConnClosed, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"string too long", &pgconn.PgError{Code: "54000"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"deadline", context.DeadlineExceeded, false},
		{"plain", errors.New("something else"), false},
	} {
		if got := isTransient(c.err); got != c.want {
			t.Errorf("%s: isTransient = %v, want %v", c.name, got, c.want)
		}
	}
}
