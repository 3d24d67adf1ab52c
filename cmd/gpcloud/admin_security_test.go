package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// TestAdminSecurityCommands runs the account, client, token and audit
// commands on one data directory: what they accept, what they refuse
// (exit 2 with a message, nothing written), and the audit trail they
// leave.
func TestAdminSecurityCommands(t *testing.T) {
	data := t.TempDir()
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	// An ES384 public key, as a backend service would register it.
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES384", Use: "sig"}}})
	if err := os.WriteFile(jwks, set, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // in stdout (exit 0) or stderr
	}{
		{"init", []string{"admin", "init", "--data", data}, "", 0, "created an empty gpcloud store in " + data},
		{"init again", []string{"admin", "init", "--data", data}, "", 0, "already holds a gpcloud store: nothing to do"},
		{"token without scope", []string{"admin", "token", "--data", data}, "", 2, "no resource scopes"},
		{"token with a bad scope", []string{"admin", "token", "--data", data, "--scope", "system/Observation.xyz"}, "", 2, "--scope"},
		{"token living too long", []string{"admin", "token", "--data", data, "--scope", "system/*.rs", "--ttl", "48h"}, "", 2, "--ttl"},
		{"token", []string{"admin", "token", "--data", data, "--scope", "system/*.rs"}, "", 0, "."},
		{"user with an unknown role", []string{"admin", "user", "add", "--data", data, "--username", "wiz", "--role", "wizard"}, "", 2, "role"},
		{"staff without a practice", []string{"admin", "user", "add", "--data", data, "--username", "dr.a", "--role", "gp"}, "", 2, "practice"},
		{"short password", []string{"admin", "user", "add", "--data", data, "--username", "dr.a", "--role", "gp", "--practice", "o1", "--password-stdin"}, "short\n", 2, "12 characters"},
		{"staff user", []string{"admin", "user", "add", "--data", data, "--username", "dr.a", "--role", "gp", "--practice", "o1", "--password-stdin"}, "a long enough password\n", 0, "second factor setup key"},
		{"the same user again", []string{"admin", "user", "add", "--data", data, "--username", "DR.A", "--role", "gp", "--practice", "o1"}, "", 1, "taken"},
		{"client of an unknown kind", []string{"admin", "client", "add", "--data", data, "--id", "c", "--kind", "robot", "--scope", "system/*.rs"}, "", 2, "kind"},
		{"system client without keys", []string{"admin", "client", "add", "--data", data, "--id", "c", "--kind", "system", "--scope", "system/*.rs"}, "", 2, "keys"},
		{"app with system scopes", []string{"admin", "client", "add", "--data", data, "--id", "app", "--kind", "public", "--scope", "system/*.rs", "--redirect-uri", "https://a.example/cb"}, "", 2, "system/"},
		{"system client", []string{"admin", "client", "add", "--data", data, "--id", "lab", "--kind", "system", "--scope", "system/Observation.cruds", "--jwks", jwks}, "", 0, "registered client lab"},
		{"audit without verify", []string{"admin", "audit", "--data", data}, "", 2, "Usage"},
		{"audit verify", []string{"admin", "audit", "verify", "--data", data}, "", 0, "audit chain intact: 1 events verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runWithStdin(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			got := stdout.String()
			if code != 0 {
				got = stderr.String()
			}
			if code != tt.code || !strings.Contains(got, tt.out) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
		})
	}
}
