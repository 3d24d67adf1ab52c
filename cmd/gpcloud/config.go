package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/gpcloud/gpcloud/internal/store"
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

// openForCommand opens the store for a one-shot command, with a context
// that SIGTERM and SIGINT cancel; done closes both.
func openForCommand(name string, sc storeConfig, stderr io.Writer) (context.Context, store.Store, func(), bool) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	st, err := openStore(ctx, sc)
	if err != nil {
		fmt.Fprintf(stderr, "%s: cannot open %s: %v\n", name, sc.describe(), err)
		stop()
		return nil, nil, nil, false
	}
	return ctx, st, func() { st.Close(); stop() }, true
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
