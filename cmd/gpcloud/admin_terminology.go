package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/terminology"
)

const terminologyUsage = `  gpcloud admin terminology load [--data DIR | --database DSN] [--snomed PATH] [--dmd PATH] [--force]
      load a SNOMED CT RF2 Snapshot release (zip or folder; UK Edition,
      UK Drug Extension) and/or an NHSBSA dm+d XML release; each replaces
      the current one in one step once it has loaded whole (a malformed
      file stops the load with file:line and leaves the previous release);
      the release already loaded is not loaded again unless --force
`

// adminTerminology loads licensed terminology releases into the store.
// It may run while the server runs: searches use the previous release
// until the new one is complete.
func adminTerminology(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || helpAsked(args) {
		w, code := stderr, 2
		if len(args) > 0 {
			w, code = stdout, 0
		}
		fmt.Fprint(w, "Usage:\n"+terminologyUsage)
		return code
	}
	if args[0] != "load" {
		fmt.Fprintf(stderr, "gpcloud admin terminology: unknown command %q\n\nUsage:\n%s", args[0], terminologyUsage)
		return 2
	}
	fs := flagSet("admin terminology load", terminologyUsage)
	var sc storeConfig
	sc.register(fs)
	snomed := fs.String("snomed", "", "SNOMED CT RF2 release: a zip or the folder it unpacks to")
	dmd := fs.String("dmd", "", "dm+d XML release: a zip or a folder of f_*.xml files")
	force := fs.Bool("force", false, "load even when the same release is current")
	if code, ok := parseFlags(fs, args[1:], false, stdout, stderr); !ok {
		return code
	}
	if *snomed == "" && *dmd == "" {
		fmt.Fprint(stderr, "gpcloud admin terminology load: give --snomed PATH, --dmd PATH or both\n\nUsage:\n"+terminologyUsage)
		return 2
	}
	for _, p := range []string{*snomed, *dmd} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(stderr, "gpcloud admin terminology load: %v\n", err)
			return 2
		}
	}
	ctx, st, done, code := openForCommand("gpcloud admin terminology load", sc, stderr)
	if code != 0 {
		return code
	}
	defer done()
	tm, ok := st.(store.Terminology)
	if !ok {
		fmt.Fprintln(stderr, "gpcloud admin terminology load: this store keeps no terminology")
		return 1
	}
	last := time.Time{}
	opt := terminology.LoadOptions{Force: *force, Progress: func(msg string) {
		if time.Since(last) >= time.Second {
			fmt.Fprintf(stderr, "terminology: %s\n", msg)
			last = time.Now()
		}
	}}
	type loader struct {
		name, path string
		load       func() (store.TermRelease, error)
	}
	for _, l := range []loader{
		{"SNOMED CT", *snomed, func() (store.TermRelease, error) { return terminology.LoadRF2(ctx, tm, *snomed, opt) }},
		{"dm+d", *dmd, func() (store.TermRelease, error) { return terminology.LoadDMD(ctx, tm, *dmd, opt) }},
	} {
		if l.path == "" {
			continue
		}
		started := time.Now()
		rel, err := l.load()
		switch {
		case errors.Is(err, terminology.ErrAlreadyLoaded):
			fmt.Fprintf(stdout, "%s release %s is loaded already: nothing to do (--force loads it again)\n", l.name, rel.Version)
		case err != nil:
			fmt.Fprintf(stderr, "gpcloud admin terminology load: %s from %s: %v\nThe previous release is still current.\n", l.name, l.path, err)
			return 1
		default:
			fmt.Fprintf(stdout, "loaded %s release %s in %s; it is current\n", l.name, rel.Version, time.Since(started).Round(time.Millisecond))
		}
	}
	return 0
}
