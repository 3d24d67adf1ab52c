package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// decide records a practice's decision about a proxy, as the system.
func decide(t *testing.T, s *testbrowser.Stack, patient, proxy string, c clinical.GrantChange, current fhir.Resource) fhir.Resource {
	t.Helper()
	res := c.Resource(current, patient, "", proxy, proxy, "", time.Now())
	var err error
	if current == nil {
		_, err = s.Service.Create(system, "Consent", res, "")
	} else {
		_, err = s.Service.Update(system, "Consent", current.ID(), res, service.Precondition{})
	}
	if err != nil {
		t.Fatal(err)
	}
	rs := search(t, s, "Consent", url.Values{"patient": {"Patient/" + patient}})
	for _, r := range rs {
		if g := clinical.ProxyGrantOf(r); g.Proxy == proxy {
			return r
		}
	}
	t.Fatal("the decision was not stored")
	return nil
}

// adultOf finds a demo patient aged 16 or over.
func adultOf(t *testing.T, s *testbrowser.Stack, ids []string) string {
	t.Helper()
	for _, id := range ids {
		b, _ := read(t, s, "Patient", id)["birthDate"].(string)
		if ok, _ := clinical.ProxyAccess(&clinical.ProxyGrant{Basis: clinical.BasisConsent, Services: []string{clinical.ServiceMessages}}, b, clinical.ServiceMessages, time.Now()); ok {
			return id
		}
	}
	t.Skip("the demo practice has no adult patient")
	return ""
}

// TestPortalProxyGrants: a proxy for an adult uses nothing until the
// practice records a basis (consent, LPA...), then only the services
// granted; a refusal (safeguarding) closes everything without saying
// why; a grant ended closes it again. Each decision is a version of one
// Consent in the patient's record.
func TestPortalProxyGrants(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	adult := adultOf(t, s, practice.Patients)
	carer := signIn(t, s, &identity.User{ID: "carer", Name: "Sam Carer", Role: auth.RoleProxy, Patients: []string{adult}, IdentityProof: "P9"})
	if code, body, _ := carer.get("/patient/"); code != 200 || !strings.Contains(body, "no-services") || strings.Contains(body, "card-appointments") {
		t.Fatalf("an adult's proxy with no grant: %d", code)
	}
	for _, path := range []string{"/patient/appointments", "/patient/help", "/patient/prescriptions", "/patient/messages", "/patient/details"} {
		if code, _, _ := carer.get(path); code != http.StatusForbidden {
			t.Fatalf("%s without a grant: %d", path, code)
		}
	}
	if _, body, _ := carer.get("/patient/record"); !strings.Contains(body, "no-access") {
		t.Fatal("the record is open without a grant")
	}
	if code, _, _ := carer.post("/patient/messages", url.Values{"patient": {adult}, "message": {"Hello"}}); code != http.StatusForbidden {
		t.Fatalf("a message without a grant: %d", code)
	}

	consent := decide(t, s, adult, "carer", clinical.GrantChange{Do: "grant", Basis: clinical.BasisLPA, Services: []string{clinical.ServiceMessages, clinical.ServiceRecord}}, nil)
	_, body, _ := carer.get("/patient/")
	if !strings.Contains(body, "card-messages") || strings.Contains(body, "card-appointments") || strings.Contains(body, "card-prescriptions") {
		t.Fatal("the home page does not follow the grant")
	}
	if code, _, _ := carer.get("/patient/messages"); code != 200 {
		t.Fatalf("messages granted: %d", code)
	}
	if code, body, _ := carer.get("/patient/appointments"); code != http.StatusForbidden || !strings.Contains(body, "does not include") {
		t.Fatalf("appointments not granted: %d", code)
	}
	if _, body, _ := carer.get("/patient/record"); strings.Contains(body, "no-access") {
		t.Fatal("the record is closed despite the grant")
	}

	consent = decide(t, s, adult, "carer", clinical.GrantChange{Do: "refuse", Note: "Safeguarding concern raised by the health visitor"}, consent)
	code, body, _ := carer.get("/patient/messages")
	if code != http.StatusForbidden || strings.Contains(strings.ToLower(body), "safeguarding") || strings.Contains(body, "health visitor") {
		t.Fatalf("refused: %d, or the reason was shown", code)
	}
	if _, body, _ := carer.get("/patient/record"); !strings.Contains(body, "no-access") {
		t.Fatal("the record is open after a refusal")
	}
	decide(t, s, adult, "carer", clinical.GrantChange{Do: "end"}, consent)
	if code, _, _ := carer.get("/patient/messages"); code != http.StatusForbidden {
		t.Fatalf("ended: %d", code)
	}
	if h := search(t, s, "Consent", url.Values{"patient": {"Patient/" + adult}}); len(h) != 1 {
		t.Fatalf("%d Consents: each decision should be a version of one", len(h))
	}
}
