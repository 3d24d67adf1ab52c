package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	main := debug.Module{Path: "github.com/gpcloud/gpcloud", Version: "(devel)"}
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "e10b514c"}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name, version string
		bi            *debug.BuildInfo
		want          string
	}{
		{"clean checkout", "dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: main, Settings: vcs("false")},
			"gpcloud dev\nmodule: github.com/gpcloud/gpcloud (devel)\ncommit: e10b514c\ngo: go1.26.8\n"},
		{"uncommitted changes", "dev", &debug.BuildInfo{Main: main, Settings: vcs("true")},
			"gpcloud dev\nmodule: github.com/gpcloud/gpcloud (devel)\ncommit: e10b514c, with uncommitted changes\n"},
		{"go install of a release", "dev", &debug.BuildInfo{Main: debug.Module{Path: "github.com/gpcloud/gpcloud", Version: "v1.2.3"}},
			"gpcloud v1.2.3\nmodule: github.com/gpcloud/gpcloud v1.2.3\ncommit: not recorded (build with go build in a git clone)\n"},
		{"set by -ldflags", "2025.1", &debug.BuildInfo{Main: main, Settings: vcs("false")},
			"gpcloud 2025.1\nmodule: github.com/gpcloud/gpcloud (devel)\ncommit: e10b514c\n"},
		{"no build information", "dev", nil, "gpcloud dev\ncommit: not recorded (no build information)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.version, tt.bi); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
