package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// TestAdminUserChanges: the operator suspends, reinstates and resets the
// second factor of an account on the command line; an unknown account or
// a change already made fails; each change is audited.
func TestAdminUserChanges(t *testing.T) {
	data := t.TempDir()
	steps := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string
	}{
		{"init", []string{"admin", "init", "--data", data}, "", 0, "created"},
		{"admin", []string{"admin", "user", "add", "--data", data, "--username", "ann", "--role", "practice-admin", "--practice", "o1", "--password-stdin"}, "a long enough password\n", 0, "created ann"},
		{"no username", []string{"admin", "user", "suspend", "--data", data}, "", 2, "--username is required"},
		{"unknown account", []string{"admin", "user", "suspend", "--data", data, "--username", "nobody"}, "", 1, `no account "nobody"`},
		{"suspend", []string{"admin", "user", "suspend", "--data", data, "--username", "ANN"}, "", 0, "account ann suspended"},
		{"suspend again", []string{"admin", "user", "suspend", "--data", data, "--username", "ann"}, "", 1, "already suspended"},
		{"reinstate", []string{"admin", "user", "reinstate", "--data", data, "--username", "ann"}, "", 0, "account ann reinstated"},
		{"reset", []string{"admin", "user", "reset-second-factor", "--data", data, "--username", "ann"}, "", 0, "new second factor"},
		{"audit", []string{"admin", "audit", "verify", "--data", data}, "", 0, "audit chain intact"},
	}
	var secret string
	for _, s := range steps {
		var stdout, stderr bytes.Buffer
		code := runWithStdin(s.args, strings.NewReader(s.stdin), &stdout, &stderr)
		got := stdout.String()
		if code != 0 {
			got = stderr.String()
		}
		if code != s.code || !strings.Contains(got, s.out) {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.code, stdout.String(), stderr.String())
		}
		if s.name == "admin" {
			secret = strings.Fields(strings.SplitAfter(got, "second factor setup key: ")[1])[0]
		}
	}
	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := identity.GetUser(context.Background(), st, "ann")
	if err != nil || u.Suspended || u.TOTPConfirmed || u.TOTPSecret == secret || u.TOTPSecret == "" {
		t.Errorf("after the commands: suspended %v, enrolled %v, same secret %v (%v)", u.Suspended, u.TOTPConfirmed, u.TOTPSecret == secret, err)
	}
}
