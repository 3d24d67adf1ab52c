package service

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestCreateOnlyUpdateNeedsCreate: a create-only update (If-None-Match:
// *) needs the right to create, not to update: a client that may create
// results but change none writes a new one at its own id, is told 412
// the second time, and is refused a plain update.
func TestCreateOnlyUpdateNeedsCreate(t *testing.T) {
	s := New(storetest.OpenSQLite(t), Options{BaseURL: "http://gp.example/fhir"})
	scopes, err := auth.ParseScopes("system/DiagnosticReport.c")
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "lab", Role: auth.RoleSystem, Scopes: scopes})
	dr := fhir.Resource{"resourceType": "DiagnosticReport", "id": "lab-1", "status": "final", "code": map[string]any{"text": "FBC"}}
	status := func(err error) int {
		var fe *fhir.Error
		if errors.As(err, &fe) {
			return fe.Status
		}
		if err != nil {
			return 500
		}
		return 0
	}
	if _, err := s.Update(ctx, "DiagnosticReport", "lab-1", dr, Precondition{Absent: true}); err != nil {
		t.Fatalf("create-only: %v", err)
	}
	if _, err := s.Update(ctx, "DiagnosticReport", "lab-1", dr, Precondition{Absent: true}); status(err) != http.StatusPreconditionFailed {
		t.Errorf("again: %v, want 412", err)
	}
	if _, err := s.Update(ctx, "DiagnosticReport", "lab-1", dr, Precondition{}); status(err) != http.StatusForbidden {
		t.Errorf("a plain update by a create-only client: %v, want 403", err)
	}
}
