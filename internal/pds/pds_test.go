package pds_test

import (
	"context"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/pds"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestLocal: the stand-in finds the practice's own patient with the
// number, as the user, never another practice's, and verifies nothing.
func TestLocal(t *testing.T) {
	st := storetest.OpenSQLite(t)
	svc := service.New(st, service.Options{BaseURL: "http://localhost/fhir"})
	ctx := context.Background()
	practice, err := demo.Make(ctx, svc, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Make(ctx, svc, demo.Options{ODS: "Y99999", Name: "Elsewhere", Patients: 0, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	as := func(org string) context.Context {
		return auth.WithPrincipal(ctx, &auth.Principal{Subject: "desk", Role: auth.RoleReceptionist, Practice: org, Scopes: auth.ScopesOf(auth.RoleReceptionist)})
	}
	l := pds.Local{Service: svc}
	if l.Connected() {
		t.Error("the stand-in says it is PDS")
	}
	tr, err := l.Lookup(as(practice.OrganizationID), demo.NHSNumber(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Records) != 1 || tr.Records[0].ID() != practice.Patients[1] || tr.Verified {
		t.Errorf("own practice: %d records, verified %v", len(tr.Records), tr.Verified)
	}
	tr, err = l.Lookup(as("org-y99999"), demo.NHSNumber(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Records) != 0 {
		t.Errorf("another practice's patient found: %d", len(tr.Records))
	}
	tr, err = l.Lookup(as(practice.OrganizationID), demo.NHSNumber(50))
	if err != nil || len(tr.Records) != 0 {
		t.Errorf("an unknown number: %v %d", err, len(tr.Records))
	}
}
