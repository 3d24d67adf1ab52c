package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelp: gpcloud and each of its commands show a usage line with the
// command's arguments on stdout and exit 0 when asked for help.
func TestHelp(t *testing.T) {
	commands := [][]string{
		{"serve"}, {"import"}, {"export"},
		{"admin", "init"}, {"admin", "reindex"}, {"admin", "token"}, {"admin", "audit", "verify"},
		{"admin", "user", "add"}, {"admin", "client", "add"},
		{"admin", "user"}, {"admin", "client"}, {"admin", "audit"}, {"admin"},
	}
	type call struct {
		args []string
		want string // in stdout
	}
	var calls []call
	for _, c := range commands {
		line := "gpcloud " + strings.Join(c, " ")
		if c[len(c)-1] == "user" || c[len(c)-1] == "client" || c[len(c)-1] == "audit" {
			line = map[string]string{"user": "gpcloud admin user add [", "client": "gpcloud admin client add [", "audit": "gpcloud admin audit verify ["}[c[len(c)-1]]
		}
		if len(c) == 1 && c[0] == "admin" {
			line = "gpcloud admin init ["
		}
		for _, h := range []string{"-h", "--help"} {
			calls = append(calls, call{append(append([]string{}, c...), h), line})
		}
		calls = append(calls, call{append([]string{"help"}, c...), line})
	}
	calls = append(calls, call{[]string{"--help"}, "gpcloud import PATH..."}, call{[]string{"-h"}, "gpcloud import PATH..."},
		call{[]string{"help"}, "gpcloud import PATH..."}, call{[]string{"version"}, "commit: "})
	for _, c := range calls {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(c.args, &stdout, &stderr)
			if code != 0 || !strings.Contains(stdout.String(), c.want) || stderr.Len() > 0 {
				t.Errorf("exit %d, want 0 with %q\nstdout: %s\nstderr: %s", code, c.want, stdout.String(), stderr.String())
			}
		})
	}
}

// TestUsageErrors: what cannot be a command line is refused with exit
// status 2, the reason and the usage on stderr, and nothing on stdout.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{nil, "Usage:"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"admin"}, "gpcloud admin init"},
		{[]string{"admin", "nope"}, `unknown command "nope"`},
		{[]string{"admin", "user"}, "gpcloud admin user add ["},
		{[]string{"export", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"admin", "token", "--scope", "system/*.rs", "extra"}, `unexpected argument "extra"`},
		{[]string{"admin", "init", "--data"}, "flag needs an argument: -data"},
		{[]string{"import", "--data", t.TempDir(), "x.ndjson", "--strict"}, "--strict after the paths"},
		{[]string{"import", "--data", t.TempDir(), "no-such-file.ndjson"}, "no-such-file.ndjson: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) || stdout.Len() > 0 {
				t.Errorf("exit %d, want 2 with %q\nstdout: %s\nstderr: %s", code, tt.want, stdout.String(), stderr.String())
			}
		})
	}
}
