package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

const migrateUsage = `  gpcloud migrate --from URL [--token T] [--data DIR | --database DSN] [--interval 1m] [--once] [--type T,...]
      copy a practice's records from another FHIR server with Bulk Data
      ($export) into an existing store, then keep it current with
      incremental exports (deletions included) until stopped; run it again
      to go on from where it stopped, and once more after the old system
      stops taking changes to cut over
`

// migrate pulls Bulk Data exports from a source server into the store.
func migrate(args []string, stdout, stderr io.Writer) (code int) {
	fs := flagSet("migrate", migrateUsage)
	var sc storeConfig
	sc.register(fs)
	from := fs.String("from", "", "the source's FHIR base URL (e.g. https://old.example/fhir)")
	token := fs.String("token", os.Getenv("GPCLOUD_TOKEN"), "the source's access token, with system scopes that read every record (env GPCLOUD_TOKEN)")
	interval := fs.Duration("interval", time.Minute, "pause between incremental pulls")
	once := fs.Bool("once", false, "one pull, then stop (the cut-over, or a script's own schedule)")
	types := fs.String("type", "", "only these resource types, comma-separated")
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	u, err := url.Parse(*from)
	if *from == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "gpcloud migrate: --from must be the source's FHIR base URL (http:// or https://), got %q\n", *from)
		return 2
	}
	if *interval < time.Second {
		fmt.Fprintln(stderr, "gpcloud migrate: --interval must be at least 1s")
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud migrate", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	// The migration is audited as it starts; each of its transactions
	// stages the events of what it wrote.
	if !auditCommand(ctx, st, audit.Event{Interaction: "operation", Action: "C", Detail: "gpcloud migrate started from " + *from}, stderr) {
		return 1
	}
	ctx = audit.WithRequest(ctx, audit.Event{Interaction: "transaction", Action: "C", Principal: osUser(), Path: "gpcloud migrate " + *from})
	// The first pull into a new SQLite store builds the search indexes
	// once at its end, as gpcloud import does (a killed run leaves the
	// build to the next opening of the store).
	var deferred store.IndexDeferrer
	buildFailed := false
	if d, ok := st.(store.IndexDeferrer); ok && d.DefersByDefault() {
		ok, err := d.DeferIndexes(ctx, deferIndexesUpTo)
		if err != nil {
			fmt.Fprintf(stderr, "gpcloud migrate: %v\n", err)
			return 1
		}
		if ok {
			deferred = d
			defer func() {
				if deferred != nil && !buildIndexes(ctx, deferred, "migrate", stderr) && code == 0 {
					code = 1
				}
			}()
		}
	}
	opts := bulk.MigrateOptions{
		From: *from, Token: *token, Interval: *interval, Once: *once,
		Client: &http.Client{Timeout: 10 * time.Minute},
		Progress: func(r bulk.MigrateRound) {
			if deferred != nil {
				buildFailed = !buildIndexes(ctx, deferred, "migrate", stderr)
				deferred = nil
			}
			fmt.Fprintln(stdout, roundLine(r))
			for _, p := range r.Problems {
				fmt.Fprintln(stderr, p)
			}
			if !*once {
				fmt.Fprintf(stdout, "next pull in %s (Ctrl-C stops; running the command again goes on from here)\n", *interval)
			}
		},
	}
	if *types != "" {
		opts.Types = strings.Split(*types, ",")
	}
	fmt.Fprintf(stdout, "migrating from %s into %s\n", *from, sc.describe())
	err = bulk.Migrate(ctx, st, bulk.ServiceSink{Service: service.New(st, service.Options{})}, opts)
	if derr := audit.Drain(ctx, st); derr != nil && err == nil {
		err = fmt.Errorf("cannot chain the migration's audit events (a server chains them when it starts): %w", derr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud migrate: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "stopped; run the same command again to go on from the last pull")
	if buildFailed {
		return 1
	}
	return 0
}

// roundLine sums up one pull.
func roundLine(r bulk.MigrateRound) string {
	kind := "full export"
	if r.Since != "" {
		kind = "changes since " + r.Since
	}
	line := fmt.Sprintf("pull %d (%s): %s%s", r.Round, kind, plural(r.Resources, "resource"), byType(r.ByType))
	line += fmt.Sprintf(", %s, %d failed, in %s; the store now holds the source as of %s (%s behind)",
		plural(r.Deleted, "deletion"), len(r.Problems), r.Elapsed.Round(time.Millisecond), r.TransactionTime, r.Lag.Round(time.Second))
	return line
}
