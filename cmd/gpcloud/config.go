package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// storeConfig names where the data lives; shared by every subcommand that
// opens the store.
type storeConfig struct {
	dataDir  string
	database string
}

func (c *storeConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dataDir, "data", envOr("GPCLOUD_DATA", "./gpcloud-data"), "directory of the embedded SQLite database (env GPCLOUD_DATA)")
	fs.StringVar(&c.database, "database", os.Getenv("GPCLOUD_DATABASE"), "PostgreSQL URL (postgres://...) to use instead of SQLite (env GPCLOUD_DATABASE)")
}

// describe names the store for logs without revealing a password.
func (c *storeConfig) describe() string {
	if c.database == "" {
		return "sqlite:" + c.dataDir
	}
	return "postgres:" + redactDSN(c.database)
}

func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	creds := dsn[scheme+3 : at]
	if user, _, ok := strings.Cut(creds, ":"); ok {
		return dsn[:scheme+3] + user + ":***" + dsn[at:]
	}
	return dsn
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt64(name string, def int64) int64 {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gpcloud: ignoring %s=%q: not an integer\n", name, v)
		return def
	}
	return n
}

// openForCommand opens an existing store for a one-shot command, with a
// context that SIGTERM and SIGINT cancel; done closes both. When it cannot,
// it says why and code is the exit status: 2 where there is no store (a
// mistyped --data or --database must not become a new, empty store), 1
// for other failures.
func openForCommand(name string, sc storeConfig, stderr io.Writer) (ctx context.Context, st store.Store, done func(), code int) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	st, err := openExistingStore(ctx, sc)
	var none *store.NoStoreError
	switch {
	case errors.As(err, &none):
		fmt.Fprintf(stderr, "%s: %s\n", name, noStoreHelp(sc, none))
		stop()
		return nil, nil, nil, 2
	case err != nil:
		fmt.Fprintf(stderr, "%s: cannot open %s: %v\n", name, sc.describe(), err)
		stop()
		return nil, nil, nil, 1
	}
	return ctx, st, func() { st.Close(); stop() }, 0
}

// openExistingStore opens the configured store if it exists; serve and
// admin init create it (openStore).
func openExistingStore(ctx context.Context, sc storeConfig) (store.Store, error) {
	if sc.database != "" {
		return postgres.OpenExisting(ctx, sc.database)
	}
	return sqlite.OpenExisting(ctx, sc.dataDir)
}

// noStoreHelp says where no store was found and how to make one.
func noStoreHelp(sc storeConfig, none *store.NoStoreError) string {
	if sc.database != "" {
		return fmt.Sprintf("no gpcloud store in %s: %s.\n"+
			"Check --database (or GPCLOUD_DATABASE). To create a store there: gpcloud admin init --database URL\n"+
			"(or start the server on it: gpcloud serve --database URL)", redactDSN(sc.database), none.Reason)
	}
	dir := shellQuote(sc.dataDir)
	return fmt.Sprintf("no gpcloud store in %s: %s.\n"+
		"Check --data (or GPCLOUD_DATA). To create a store there: gpcloud admin init --data %s\n"+
		"(or start the server on it: gpcloud serve --data %s)", sc.dataDir, none.Reason, dir, dir)
}

// shellQuote quotes a path for a command line to copy, when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// splitList reads a comma-separated flag ("" is none).
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// envBool reads a boolean environment variable (1, true, yes).
func envBool(name string) bool {
	v, _ := strconv.ParseBool(os.Getenv(name))
	return v || os.Getenv(name) == "yes"
}
