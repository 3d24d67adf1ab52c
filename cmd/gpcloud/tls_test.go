package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

func TestServerTLSRefusals(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	_ = os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	for _, tt := range []struct{ name, cert, key, ca string }{
		{"key without cert", "", "k.pem", ""},
		{"cert without key", "c.pem", "", ""},
		{"client CA without TLS", "", "", notPEM},
		{"client CA file missing", "c.pem", "k.pem", filepath.Join(dir, "nope.pem")},
		{"client CA not PEM", "c.pem", "k.pem", notPEM},
	} {
		if _, err := serverTLS(tt.cert, tt.key, tt.ca); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if cfg, err := serverTLS("", "", ""); err != nil || cfg != nil {
		t.Errorf("plain HTTP: %v %v", cfg, err)
	}
}

func TestReadPrivateKey(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	good := filepath.Join(dir, "key.pem")
	_ = os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	ecDER, _ := x509.MarshalECPrivateKey(key)
	sec1 := filepath.Join(dir, "ec.pem")
	_ = os.WriteFile(sec1, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), 0o600)
	for _, p := range []string{good, sec1} {
		if _, err := readPrivateKey(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
	junk := filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(junk, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	for _, p := range []string{filepath.Join(dir, "missing.pem"), junk, filepath.Join(dir, "key.pem") + "x"} {
		if _, err := readPrivateKey(p); err == nil {
			t.Errorf("%s: accepted", filepath.Base(p))
		}
	}
}
