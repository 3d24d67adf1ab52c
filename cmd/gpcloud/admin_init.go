package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/gpcloud/gpcloud/internal/store"
)

// adminInit creates an empty store without starting the server: the one
// explicit way, besides serve's first start, to make a store where the
// other commands refuse to, so that scripts can mint a token or add the
// first account, and a migration can import, before any server runs.
// Where a store exists it changes nothing, so scripts may always run it.
func adminInit(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("admin init", initUsage)
	var sc storeConfig
	sc.register(fs)
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	where := sc.dataDir
	if sc.database != "" {
		where = redactDSN(sc.database)
	}
	st, err := openExistingStore(ctx, sc)
	var none *store.NoStoreError
	switch {
	case err == nil:
		st.Close()
		fmt.Fprintf(stdout, "%s already holds a gpcloud store: nothing to do\n", where)
		return 0
	case !errors.As(err, &none):
		fmt.Fprintf(stderr, "gpcloud admin init: cannot open %s: %v\n", sc.describe(), err)
		return 1
	}
	if st, err = openStore(ctx, sc); err != nil {
		fmt.Fprintf(stderr, "gpcloud admin init: cannot create a store in %s: %v\n", where, err)
		return 1
	}
	loadStarterTerminology(ctx, st, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	st.Close()
	fmt.Fprintf(stdout, "created an empty gpcloud store in %s\n", where)
	return 0
}
