package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// printVersion prints what the binary is: a report of a problem can then
// name the exact code.
func printVersion(w io.Writer) {
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprint(w, versionText(version, bi))
}

// versionText: the version (set by -ldflags, else the module's, as "go
// install ...@v1.2.3" records it), the module, the commit and whether the
// checkout had changes (go build records them), and the Go release.
func versionText(v string, bi *debug.BuildInfo) string {
	var b strings.Builder
	if bi == nil {
		fmt.Fprintf(&b, "gpcloud %s\ncommit: not recorded (no build information)\n", v)
		return b.String()
	}
	if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	commit, modified := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	fmt.Fprintf(&b, "gpcloud %s\n", v)
	if bi.Main.Path != "" {
		fmt.Fprintf(&b, "module: %s %s\n", bi.Main.Path, bi.Main.Version)
	}
	switch {
	case commit == "":
		// Go stamps the commit only when it builds in a git clone (not
		// a git worktree) without -buildvcs=false.
		b.WriteString("commit: not recorded (build with go build in a git clone)\n")
	case modified:
		fmt.Fprintf(&b, "commit: %s, with uncommitted changes\n", commit)
	default:
		fmt.Fprintf(&b, "commit: %s\n", commit)
	}
	if bi.GoVersion != "" {
		fmt.Fprintf(&b, "go: %s\n", bi.GoVersion)
	}
	return b.String()
}
