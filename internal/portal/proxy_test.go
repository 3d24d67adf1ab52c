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
		if ok, _ := clinical.ProxyAccess(&clinical.ProxyGrant{Basis: clinical.BasisConsent, Given: time.Now(), Services: []string{clinical.ServiceMessages}}, b, clinical.ServiceMessages, time.Now()); ok {
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

// TestWorkspaceProxyGrants: the practice decides a proxy's access on the
// patient's Online access page: a basis that does not fit the patient's
// age and a refusal without a reason are refused with nothing written;
// a grant opens the services chosen in the portal; a refusal closes
// them; a form from another patient's tab or an old version writes
// nothing; a receptionist cannot change it.
func TestWorkspaceProxyGrants(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	adult := adultOf(t, s, practice.Patients)
	carer := signIn(t, s, &identity.User{ID: "carer", Name: "Sam Carer", Role: auth.RoleProxy, Patients: []string{adult}, IdentityProof: "P9"})
	gp := signIn(t, s, &identity.User{ID: "gp@test", Name: "Dr GP", Role: auth.RoleGP, Practice: practice.OrganizationID})
	desk := signIn(t, s, &identity.User{ID: "desk", Name: "Rita", Role: auth.RoleReceptionist, Practice: practice.OrganizationID})
	page := "/workspace/patients/" + adult + "/proxies"
	code, body, _ := gp.get(page)
	if code != 200 || !strings.Contains(body, "Sam Carer") || !strings.Contains(body, "None recorded") {
		t.Fatalf("proxies page: %d", code)
	}
	consents := func() int { return len(search(t, s, "Consent", url.Values{"patient": {"Patient/" + adult}})) }
	form := func(extra url.Values) url.Values {
		f := url.Values{"patient": {adult}, "proxy": {"carer"}, "version": {""}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	if code, body, _ := gp.post(page, form(url.Values{"do": {"grant"}, "basis": {clinical.BasisParent}, "service": {clinical.ServiceMessages}})); code != http.StatusUnprocessableEntity || !strings.Contains(body, "16 or over") {
		t.Fatalf("parental responsibility for an adult: %d", code)
	}
	if code, body, _ := gp.post(page, form(url.Values{"do": {"refuse"}})); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter why access is refused") {
		t.Fatalf("refusal without a reason: %d", code)
	}
	if code, _, _ := gp.post(page, form(url.Values{"patient": {practice.Patients[0] + "x"}, "do": {"grant"}, "basis": {clinical.BasisLPA}, "service": {clinical.ServiceMessages}})); code != http.StatusConflict {
		t.Fatalf("another patient's tab: %d", code)
	}
	if code, _, _ := desk.post(page, form(url.Values{"do": {"grant"}, "basis": {clinical.BasisLPA}, "service": {clinical.ServiceMessages}})); code == http.StatusSeeOther {
		t.Fatal("a receptionist changed online access")
	}
	if n := consents(); n != 0 {
		t.Fatalf("refused decisions wrote %d Consents", n)
	}
	if code, _, loc := gp.post(page, form(url.Values{"do": {"grant"}, "basis": {clinical.BasisLPA}, "service": {clinical.ServiceMessages, clinical.ServiceAppointments}})); code != http.StatusSeeOther || loc != page+"?saved=1" {
		t.Fatalf("grant: %d %s", code, loc)
	}
	if code, _, _ := carer.get("/patient/messages"); code != 200 {
		t.Fatalf("granted messages: %d", code)
	}
	if code, _, _ := carer.get("/patient/prescriptions"); code != http.StatusForbidden {
		t.Fatalf("repeats not granted: %d", code)
	}
	if code, _, _ := gp.post(page, form(url.Values{"do": {"refuse"}, "note": {"Concern"}})); code != http.StatusConflict {
		t.Fatalf("a decision on an old version: %d", code)
	}
	_, body, _ = gp.get(page)
	if !strings.Contains(body, "Lasting power of attorney") {
		t.Fatal("the page does not show the grant")
	}
	version := search(t, s, "Consent", url.Values{"patient": {"Patient/" + adult}})[0]["meta"].(map[string]any)["versionId"].(string)
	if code, _, _ := gp.post(page, form(url.Values{"version": {version}, "do": {"refuse"}, "note": {"Safeguarding concern"}})); code != http.StatusSeeOther {
		t.Fatalf("refuse: %d", code)
	}
	if code, _, _ := carer.get("/patient/messages"); code != http.StatusForbidden {
		t.Fatalf("after refusal: %d", code)
	}
	if n := consents(); n != 1 {
		t.Fatalf("%d Consents", n)
	}
}

// TestRecordViewsOverHTTP: a GP opens a patient's record in the
// workspace; the patient reads, in plain words, that the GP looked at
// it; another patient's page does not show it; a patient without a high
// identity proof is told why they cannot see it.
func TestRecordViewsOverHTTP(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 4, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := adultOf(t, s, practice.Patients)
	other := practice.Patients[0]
	if other == me {
		other = practice.Patients[1]
	}
	doc := practice.Clinicians[0]
	gp := signIn(t, s, &identity.User{ID: "gp@test", Name: "GP", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: "Practitioner/" + doc.ID})
	if code, _, _ := gp.get("/workspace/patients/" + me); code != 200 {
		t.Fatalf("the GP opens the record: %d", code)
	}
	pat := signIn(t, s, &identity.User{ID: "pat", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	pat.get("/patient/record") // their own visit, not listed
	s.Trail.Flush()
	code, body, _ := pat.get("/patient/record/views")
	if code != 200 || !strings.Contains(body, "a GP at your practice</strong> looked at your record") {
		t.Fatalf("views: %d\n%s", code, body)
	}
	if strings.Contains(body, "A patient") {
		t.Error("the patient's own visit is listed")
	}
	stranger := signIn(t, s, &identity.User{ID: "stranger", Name: "S", Role: auth.RolePatient, Patients: []string{other}, IdentityProof: "P9"})
	if _, body, _ := stranger.get("/patient/record/views"); strings.Contains(body, "a GP at your practice") {
		t.Fatal("another patient sees who viewed this record")
	}
	low := signIn(t, s, &identity.User{ID: "low", Name: "L", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P5"})
	if _, body, _ := low.get("/patient/record/views"); !strings.Contains(body, "no-access") {
		t.Fatal("a low identity proof sees the audit trail")
	}
}
