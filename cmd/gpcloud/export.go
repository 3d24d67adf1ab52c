package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/service"
)

const exportUsage = `  gpcloud export [--data DIR | --database DSN] --out DIR [--type T1,T2] [--since INSTANT] [--max-file-size BYTES] [--with-history]
      write every current resource (with --with-history, every version) as
      NDJSON, one file per type, with manifest.json and README.md, into
      --out, a new or empty directory
`

// export writes the store as NDJSON with a manifest and a description.
func export(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("export", exportUsage)
	var sc storeConfig
	sc.register(fs)
	out := fs.String("out", "", "output directory (required)")
	typesFlag := fs.String("type", "", "comma-separated resource types (default: all)")
	sinceFlag := fs.String("since", "", "only resources updated at or after this instant (2024-01-01 or 2024-01-01T10:00:00Z)")
	maxFile := fs.Int64("max-file-size", 1<<30, "split a type's NDJSON into files of at most this many bytes")
	withHistory := fs.Bool("with-history", false, "also write every version of every resource (deleted ones too) as <Type>.history.ndjson")
	if code, ok := parseFlags(fs, args, false, stdout, stderr); !ok {
		return code
	}
	if *out == "" {
		fmt.Fprintln(stderr, "gpcloud export: --out DIR is required")
		return 2
	}
	var since time.Time
	if *sinceFlag != "" {
		var err error
		if since, err = service.ParseInstantParam("--since", *sinceFlag, false); err != nil {
			fmt.Fprintf(stderr, "gpcloud export: %v\n", err)
			return 2
		}
	}
	if err := checkOut(*out); err != nil {
		fmt.Fprintf(stderr, "gpcloud export: %v\n", err)
		return 2
	}
	ctx, st, done, code := openForCommand("gpcloud export", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	types := splitList(*typesFlag)
	start := time.Now()
	last := time.Now()
	m, err := bulk.Export(ctx, st, bulk.ExportOptions{
		Dir: *out, Types: types, Since: since, MaxFileBytes: *maxFile, WithHistory: *withHistory,
		Request: "gpcloud export " + strings.Join(args, " "),
		Progress: func(typ string, n int) {
			if time.Since(last) >= time.Second {
				fmt.Fprintf(stderr, "export: %s %d\n", typ, n)
				last = time.Now()
			}
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "gpcloud export: %v\n", err)
		return 1
	}
	var bytes int64
	for _, f := range m.Output {
		bytes += f.Bytes
	}
	elapsed := time.Since(start)
	if !auditCommand(ctx, st, audit.Event{Interaction: "operation", Action: "E",
		Detail: fmt.Sprintf("gpcloud export: %d resources to %s", m.Summary.Resources, *out)}, stderr) {
		return 1
	}
	fmt.Fprintf(stdout, "exported %d resources of %d types in %d files (%.1f MB) to %s in %s (%.0f resources/s, %.1f MB/s)\n",
		m.Summary.Resources, len(m.Summary.ByType), len(m.Output), float64(bytes)/1e6, *out, elapsed.Round(time.Millisecond),
		float64(m.Summary.Resources)/max(elapsed.Seconds(), 1e-3), float64(bytes)/1e6/max(elapsed.Seconds(), 1e-3))
	return 0
}

// checkOut refuses an --out that is not new or empty. Files left there
// (another export's history or split files) would sit beside the new
// manifest, which does not list them, and an import of the folder by file
// names would replay them in place of the current ones.
func checkOut(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("--out %s is a file, not a directory: choose a new or empty directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	what := "is not empty"
	for _, e := range entries {
		if e.Name() == bulk.ManifestName {
			what = "already holds an export"
		}
	}
	names := make([]string, 0, 3)
	for _, e := range entries[:min(3, len(entries))] {
		names = append(names, e.Name())
	}
	if len(entries) > 3 {
		names = append(names, fmt.Sprintf("%d more", len(entries)-3))
	}
	return fmt.Errorf("--out %s %s (%s): choose a new or empty directory, so that no file of another export is taken for part of this one", dir, what, strings.Join(names, ", "))
}
