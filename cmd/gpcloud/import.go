package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

const importUsage = `  gpcloud import [--data DIR | --database DSN | --server URL [--token T]] [--strict] [--batch N]
                 [--defer-indexes auto|yes|no] PATH...
      load FHIR Bundles and NDJSON files (gzipped or not), and directories of
      them, into an existing store or, with --server, through a FHIR server's
      REST API; a directory holding a manifest.json (an export) is read as
      its manifest lists it. Into a SQLite store of at most 10,000 resources
      (auto), the search indexes are built once at the end, not row by row
`

// deferIndexesUpTo is the largest store an import defers its search
// indexes for by default: a new practice's store being loaded, whose
// indexes rebuild in about a second, not a live store whose searches
// would slow down meanwhile.
const deferIndexesUpTo = 10000

// importCmd loads Bundles and NDJSON files into the store, or through a
// FHIR server's REST API with --server.
func importCmd(args []string, stdout, stderr io.Writer) (code int) {
	fs := flagSet("import", importUsage)
	var sc storeConfig
	sc.register(fs)
	server := fs.String("server", "", "load through this FHIR server's REST API (its base URL) instead of the store")
	token := fs.String("token", os.Getenv("GPCLOUD_TOKEN"), "access token for --server, e.g. from gpcloud admin token (env GPCLOUD_TOKEN)")
	strict := fs.Bool("strict", false, "stop at the first bad line or resource; nothing from that file is kept")
	batch := fs.Int("batch", 500, "NDJSON resources per transaction")
	deferIndexes := fs.String("defer-indexes", "auto", "build the search indexes once after the load: auto (SQLite, when the store holds at most 10,000 resources), yes (either store, any size), no")
	if code, ok := parseFlags(fs, args, true, stdout, stderr); !ok {
		return code
	}
	paths := fs.Args()
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "gpcloud import: give one or more files or directories (Bundles, NDJSON, .gz)")
		return 2
	}
	// A mistyped path, or an export missing a file its manifest lists, is
	// refused before the store is opened or anything is written.
	for _, p := range paths {
		if strings.HasPrefix(p, "-") {
			fmt.Fprintf(stderr, "gpcloud import: %s after the paths: flags go before them\n", p)
			return 2
		}
	}
	upTo, ok := map[string]int{"auto": deferIndexesUpTo, "yes": math.MaxInt - 1, "no": -1}[*deferIndexes]
	if !ok {
		fmt.Fprintf(stderr, "gpcloud import: --defer-indexes %q: give auto, yes or no\n", *deferIndexes)
		return 2
	}
	if err := bulk.CheckPaths(paths); err != nil {
		fmt.Fprintf(stderr, "gpcloud import: %v\n", err)
		return 2
	}
	var sink bulk.Sink
	var ctx context.Context
	var local store.Store // the store written, when importing offline
	if *server != "" {
		c, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		ctx = c
		ss := bulk.ServerSink{Base: *server, Client: &http.Client{Timeout: 10 * time.Minute}, Token: *token}
		// A wrong --server is refused before anything is read or sent.
		if err := ss.Check(ctx); err != nil {
			fmt.Fprintf(stderr, "gpcloud import: %v\n", err)
			return 2
		}
		sink = ss
	} else {
		c, st, done, code := openForCommand("gpcloud import", sc, stderr)
		if code != 0 {
			return code
		}
		defer done()
		ctx, local = c, st
		// The import is audited before it starts (so that even a killed
		// one left a trace), and each of its transactions stages the
		// events of what it wrote, committed with it.
		if !auditCommand(ctx, local, audit.Event{Interaction: "operation", Action: "C", Detail: "gpcloud import started: " + strings.Join(paths, " ")}, stderr) {
			return 1
		}
		ctx = audit.WithRequest(ctx, audit.Event{Interaction: "transaction", Action: "C", Principal: osUser(), Path: "gpcloud import"})
		sink = bulk.ServiceSink{Service: service.New(st, service.Options{})}
		if d, ok := local.(store.IndexDeferrer); ok && upTo >= 0 && (*deferIndexes == "yes" || d.DefersByDefault()) {
			deferred, err := d.DeferIndexes(ctx, upTo)
			if err != nil {
				fmt.Fprintf(stderr, "gpcloud import: %v\n", err)
				return 1
			}
			if deferred {
				defer func() {
					if !buildIndexes(ctx, d, "import", stderr) && code == 0 {
						code = 1
					}
				}()
			}
		}
	}
	show := progressPrinter(stderr)
	restoreGC := collectLessDuringLoad()
	res, err := bulk.Import(ctx, sink, paths, bulk.ImportOptions{Strict: *strict, BatchSize: *batch, Progress: show})
	restoreGC()
	show(bulk.ImportProgress{}) // end the progress line
	// The load's garbage goes back to the system before the audit drain
	// and the index build take their memory: the peak stays the load's.
	debug.FreeOSMemory()
	if res != nil {
		for _, s := range res.Skipped {
			fmt.Fprintln(stderr, s)
		}
		for _, p := range res.Problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintln(stdout, summaryLine(res))
		if local != nil {
			if err := audit.Drain(ctx, local); err != nil {
				fmt.Fprintf(stderr, "cannot chain the import's audit events (a server chains them when it starts): %v\n", err)
				return 1
			}
			if !auditCommand(ctx, local, audit.Event{Interaction: "operation", Action: "C", Detail: "gpcloud import: " + summaryLine(res)}, stderr) {
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud import: %v\n", err)
		return 1
	}
	if len(res.Problems) > 0 {
		return 1
	}
	return 0
}

// Go's collector during a load: it runs when the heap has grown by
// loadGCPercent since the last collection, but never lets the heap pass
// loadMemoryLimit. A load's live heap is small (~30 MB: the files in
// flight) and its garbage large (every decoded resource), so at Go's
// default (100) the collector took ~15% of the import's CPU. Measured on
// the Synthea set (SQLite, 2 vCPUs, 2026-12-04): 100 → 12.9-13.2 s, peak
// RSS 257 MB; 400 with a 100 MiB limit → 11.7 s, 271 MB; 400 alone →
// 11.6 s but 384 MB, over the 300 MB an import may take (issue 12).
const (
	loadGCPercent   = 400
	loadMemoryLimit = 100 << 20
)

// collectLessDuringLoad sets the collector for a load and returns what
// puts it back. An operator's GOGC or GOMEMLIMIT wins over either.
func collectLessDuringLoad() (restore func()) {
	percent, limit := -2, int64(-1) // unchanged
	if os.Getenv("GOGC") == "" {
		percent = debug.SetGCPercent(loadGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(loadMemoryLimit)
	}
	return func() {
		if percent != -2 {
			debug.SetGCPercent(percent)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// buildIndexes builds the search indexes the import deferred, whatever
// became of the import (interrupted too: the build finishes first).
func buildIndexes(ctx context.Context, d store.IndexDeferrer, command string, stderr io.Writer) bool {
	fmt.Fprintf(stderr, "%s: building the search indexes\n", command)
	debug.FreeOSMemory() // the drain's garbage, before the build's sorts
	start := time.Now()
	if err := d.BuildIndexes(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(stderr, "gpcloud %s: %v (the store builds them when it is next opened)\n", command, err)
		return false
	}
	fmt.Fprintf(stderr, "%s: search indexes built in %s\n", command, time.Since(start).Round(time.Millisecond))
	return true
}

// progressPrinter redraws one line on a terminal (files, resources, rate,
// ETA by files) and prints a plain line every few seconds otherwise. A
// zero progress ends the line.
func progressPrinter(w io.Writer) func(bulk.ImportProgress) {
	f, ok := w.(*os.File)
	terminal := false
	if ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			terminal = true
		}
	}
	var last time.Time
	drawn := false
	return func(p bulk.ImportProgress) {
		if p.Started.IsZero() {
			if drawn && terminal {
				fmt.Fprintln(w)
			}
			return
		}
		every := 5 * time.Second
		if terminal {
			every = 200 * time.Millisecond
		}
		if time.Since(last) < every {
			return
		}
		last = time.Now()
		elapsed := time.Since(p.Started).Seconds()
		rate := float64(p.Resources) / max(elapsed, 1e-3)
		eta := "?"
		if p.FilesDone > 0 {
			eta = (time.Duration(elapsed*float64(p.Files-p.FilesDone)/float64(p.FilesDone)) * time.Second).Round(time.Second).String()
		}
		line := fmt.Sprintf("import: files %d/%d, %d resources, %.0f/s, %d failed, %d waiting for references, ETA %s",
			p.FilesDone, p.Files, p.Resources, rate, p.Failed, p.Deferred, eta)
		if terminal {
			width := 30
			done := width * p.FilesDone / max(p.Files, 1)
			fmt.Fprintf(w, "\r[%s%s] %s", strings.Repeat("=", done), strings.Repeat(" ", width-done), line)
			drawn = true
			return
		}
		fmt.Fprintln(w, line)
	}
}

// summaryLine sums an import up: what was imported, of which types,
// how fast, and what failed or was skipped (listed above it).
func summaryLine(r *bulk.ImportResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "imported %s%s", plural(r.Resources, "resource"), byType(r.ByType))
	fmt.Fprintf(&b, " from %s in %s (%.0f resources/s)", plural(r.FilesDone, "file"), r.Elapsed.Round(time.Millisecond), float64(r.Resources)/max(r.Elapsed.Seconds(), 1e-3))
	if r.Failed > 0 {
		fmt.Fprintf(&b, "; %d failed", r.Failed)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "; %s skipped", plural(len(r.Skipped), "file"))
	}
	if r.AlreadyPresent > 0 {
		fmt.Fprintf(&b, "; %d of them present already (an earlier run, or another Bundle's copy) and left as they were", r.AlreadyPresent)
	}
	if r.Deleted > 0 {
		fmt.Fprintf(&b, "; %s applied", plural(r.Deleted, "deletion"))
	}
	if r.SkippedAuditEvents > 0 {
		fmt.Fprintf(&b, "; %d AuditEvents not imported (the source's audit trail stays in its extract: gpcloud admin audit verify --extract DIR)", r.SkippedAuditEvents)
	}
	return b.String()
}

// plural counts things in English: "1 file", "2 files".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// byType lists counts per type, " (Observation 3, Patient 1)", or "".
func byType(counts map[string]int) string {
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	if len(types) == 0 {
		return ""
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s %d", t, counts[t])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
