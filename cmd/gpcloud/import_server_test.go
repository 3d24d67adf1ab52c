package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportServerFailures: import --server says once, and first, what
// stops every write: a wrong URL before anything is sent (exit 2), a
// refused token at the first write (exit 1), never one failure per line.
func TestImportServerFailures(t *testing.T) {
	fhirServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/fhir") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("<h1>Not Found</h1>"))
			return
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		if r.URL.Path == "/fhir/metadata" {
			_, _ = w.Write([]byte(`{"resourceType":"CapabilityStatement"}`))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"the access token has expired"}]}`))
	}))
	defer fhirServer.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	in := filepath.Join(t.TempDir(), "Patient.ndjson")
	if err := os.WriteFile(in, []byte(strings.Repeat(`{"resourceType":"Patient"}`+"\n", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, server string
		code         int
		want         string // in stderr, once
	}{
		{"nothing listens", gone.URL + "/fhir", 2, "gpcloud import: cannot reach the FHIR server at " + gone.URL + "/fhir"},
		{"the site, not the FHIR base", fhirServer.URL, 2, "GET " + fhirServer.URL + "/metadata answered HTTP 404 with text/html, not a CapabilityStatement: is --server the FHIR base URL"},
		{"the token refused", fhirServer.URL + "/fhir", 1, "gpcloud import: stopped: the FHIR server at " + fhirServer.URL + "/fhir refused the access token (HTTP 401: the access token has expired)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"import", "--server", tt.server, "--token", "old", "--batch", "1", in}, &stdout, &stderr)
			if code != tt.code || strings.Count(stderr.String(), tt.want) != 1 || strings.Count(stderr.String(), "HTTP 401") > 1 {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
		})
	}
}
