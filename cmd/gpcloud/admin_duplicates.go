package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// dropDuplicateRows deletes the rows of narrowed reference parameters
// from a store an earlier version wrote (store.DuplicateRowsDropper). It
// is the operator's step, not a migration: servers of earlier versions
// read those rows, and only the operator knows none is left (a rolling
// upgrade, a replica not yet replaced, a rollback in mind).
func dropDuplicateRows(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("admin drop-duplicate-rows", dropDuplicatesUsage)
	var sc storeConfig
	sc.register(fs)
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	ctx, st, done, code := openForCommand("gpcloud admin drop-duplicate-rows", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	dropper, ok := st.(store.DuplicateRowsDropper)
	if !ok {
		fmt.Fprintln(stderr, "gpcloud admin drop-duplicate-rows: this store holds no duplicate rows")
		return 1
	}
	start := time.Now()
	n, err := dropper.DropNarrowedRows(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud admin drop-duplicate-rows: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "deleted %d duplicate search rows in %s; servers started from now on write none (restart the running ones)\n",
		n, time.Since(start).Round(time.Millisecond))
	return 0
}
