package service_test

import (
	"context"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestPatientSelfService: a patient updates their own Patient's phone
// and email; any other change, another patient's record, a Patient that
// does not exist, or a proxy, is refused and writes nothing. On both
// stores.
func TestPatientSelfService(t *testing.T) {
	for _, st := range storetest.Openers() {
		t.Run(st.Name, func(t *testing.T) { selfService(t, st.Open(t)) })
	}
}

func selfService(t *testing.T, st store.Store) {
	svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
	ctx := context.Background()
	create := func(res fhir.Resource) string {
		t.Helper()
		out, err := svc.Create(ctx, res["resourceType"].(string), res, "")
		if err != nil {
			t.Fatal(err)
		}
		return out.Version.ID
	}
	practice := create(fhir.Resource{"resourceType": "Organization", "name": "The Surgery"})
	newPatient := func() string {
		return create(fhir.Resource{"resourceType": "Patient", "name": []any{map[string]any{"family": "Test"}},
			"telecom":              []any{map[string]any{"system": "phone", "value": "07700 900001", "use": "mobile"}},
			"address":              []any{map[string]any{"line": []any{"1 High St"}, "postalCode": "LS1 1AA"}},
			"managingOrganization": map[string]any{"reference": "Organization/" + practice}})
	}
	me, other := newPatient(), newPatient()
	as := func(role auth.Role) context.Context {
		return auth.WithPrincipal(ctx, &auth.Principal{Subject: "pat", Role: role, Patients: []string{me}, Scopes: auth.ScopesOf(role)})
	}
	current := func(id string) fhir.Resource {
		out, err := svc.Read(ctx, "Patient", id)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := fhir.Unmarshal(out.Version.Body)
		return r
	}
	withPhone := func(r fhir.Resource, phone string) fhir.Resource {
		r["telecom"] = []any{map[string]any{"system": "phone", "value": phone, "use": "mobile"}, map[string]any{"system": "email", "value": "me@example.com"}}
		return r
	}
	// Their own phone and email: saved.
	if _, err := svc.Update(as(auth.RolePatient), "Patient", me, withPhone(current(me), "07700 900982"), service.Precondition{}); err != nil {
		t.Fatalf("own telecom: %v", err)
	}
	if got := current(me)["telecom"].([]any); len(got) != 2 {
		t.Fatalf("telecom %v", got)
	}
	tests := []struct {
		name string
		ctx  context.Context
		id   string
		res  fhir.Resource
	}{
		{"their address", as(auth.RolePatient), me, func() fhir.Resource {
			r := current(me)
			r["address"] = []any{map[string]any{"line": []any{"9 Elsewhere"}}}
			return r
		}()},
		{"their name", as(auth.RolePatient), me, func() fhir.Resource {
			r := current(me)
			r["name"] = []any{map[string]any{"family": "Someone"}}
			return r
		}()},
		{"their practice", as(auth.RolePatient), me, func() fhir.Resource {
			r := current(me)
			delete(r, "managingOrganization")
			return r
		}()},
		{"another patient", as(auth.RolePatient), other, withPhone(current(other), "07700 900111")},
		{"a new Patient by PUT", as(auth.RolePatient), "made-up", fhir.Resource{"resourceType": "Patient", "id": "made-up"}},
		{"a proxy", as(auth.RoleProxy), me, withPhone(current(me), "07700 900222")},
	}
	for _, tt := range tests {
		before := current(me)["meta"].(map[string]any)["versionId"]
		if _, err := svc.Update(tt.ctx, "Patient", tt.id, tt.res, service.Precondition{}); !refused(err) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if after := current(me)["meta"].(map[string]any)["versionId"]; after != before {
			t.Errorf("%s: written (%v to %v)", tt.name, before, after)
		}
	}
	if _, err := svc.Read(ctx, "Patient", "made-up"); err == nil {
		t.Error("a patient created a Patient")
	}
}
