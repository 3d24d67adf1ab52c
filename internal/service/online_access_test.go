package service_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/onlinetest"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func openOnline(t *testing.T, svc *service.Service, st store.Store, patient string, subjects ...string) {
	t.Helper()
	if err := onlinetest.Open(context.Background(), svc, st, patient, subjects...); err != nil {
		t.Fatal(err)
	}
}

// TestOnlineAccessFromService: the record access level and a proxy's
// grant are applied by the service to every read a patient or proxy
// makes (H-1046), not only by the portal's record page: an entry outside
// them answers 404 and is left out of searches, $everything and history;
// the services the caller uses stay readable; a proxy writes only to a
// service their grant allows.
func TestOnlineAccessFromService(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			st := o.Open(t)
			svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
			testOnlineAccess(t, svc, st)
		})
	}
}

func testOnlineAccess(t *testing.T, svc *service.Service, st store.Store) {
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
	me := create(fhir.Resource{"resourceType": "Patient", "name": []any{map[string]any{"family": "Test"}}, "birthDate": "1970-02-03",
		"managingOrganization": map[string]any{"reference": "Organization/" + practice}})
	subject := map[string]any{"reference": "Patient/" + me}
	snomed := func(code, display string) map[string]any {
		return map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code, "display": display}}}
	}
	today := time.Now().In(clinical.UKTime).Format("2006-01-02")
	ids := map[string]string{
		"problem": create(fhir.Resource{"resourceType": "Condition", "subject": subject, "code": snomed("38341003", "Hypertension"), "recordedDate": "2019-04-01"}),
		"medicine": create(fhir.Resource{"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": subject,
			"medicationCodeableConcept": snomed("318857009", "Ramipril 5mg capsules"), "authoredOn": "2019-04-01"}),
		"old result": create(fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject,
			"code": snomed("271649006", "Systolic blood pressure"), "valueString": "150 mm[Hg]", "effectiveDateTime": "2019-04-01"}),
		"new result": create(fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject,
			"code": snomed("271649006", "Systolic blood pressure"), "valueString": "128 mm[Hg]", "effectiveDateTime": today}),
		"old visit": create(fhir.Resource{"resourceType": "Encounter", "status": "finished", "class": map[string]any{"code": "AMB"},
			"subject": subject, "period": map[string]any{"start": "2019-04-01T10:00:00Z"}}),
		"appointment": create(fhir.Resource{"resourceType": "Appointment", "status": "booked", "start": "2030-01-02T10:00:00Z", "end": "2030-01-02T10:10:00Z",
			"participant": []any{map[string]any{"actor": subject, "status": "accepted"}}}),
		"message": create(fhir.Resource{"resourceType": "Communication", "status": "completed", "subject": subject,
			"payload": []any{map[string]any{"contentString": "Your results are normal"}}}),
	}
	all := []string{"problem", "medicine", "old result", "new result", "old visit", "appointment", "message"}
	typeOf := map[string]string{"problem": "Condition", "medicine": "MedicationRequest", "old result": "Observation", "new result": "Observation",
		"old visit": "Encounter", "appointment": "Appointment", "message": "Communication"}
	account := func(name, proof string) {
		t.Helper()
		if err := identity.CreateUser(ctx, st, &identity.User{ID: name, Name: name, Role: auth.RolePatient, Patients: []string{me}, IdentityProof: proof}, ""); err != nil {
			t.Fatal(err)
		}
	}
	as := func(name string, role auth.Role) context.Context {
		return auth.WithPrincipal(ctx, &auth.Principal{Subject: name, Role: role, Patients: []string{me}, Scopes: auth.ScopesOf(role)})
	}
	// check reads every entry by id, searches each type and $everything,
	// and wants exactly the entries named open.
	check := func(who string, c context.Context, open ...string) {
		t.Helper()
		for _, k := range all {
			_, err := svc.Read(c, typeOf[k], ids[k])
			var fe *fhir.Error
			switch want := slices.Contains(open, k); {
			case want && err != nil:
				t.Errorf("%s: read of the %s: %v", who, k, err)
			case !want && (!errors.As(err, &fe) || fe.Status != http.StatusNotFound):
				t.Errorf("%s: read of the %s: %v, want 404", who, k, err)
			}
			if _, err := svc.VRead(c, typeOf[k], ids[k], "1"); (err == nil) != slices.Contains(open, k) {
				t.Errorf("%s: vread of the %s: %v", who, k, err)
			}
		}
		found := map[string]bool{}
		for _, typ := range []string{"Condition", "MedicationRequest", "Observation", "Encounter", "Appointment", "Communication"} {
			params := url.Values{"patient": {"Patient/" + me}}
			if typ == "Appointment" {
				params = url.Values{"actor": {"Patient/" + me}}
			}
			out, err := svc.Search(c, service.SearchRequest{Type: typ, Params: params})
			if err != nil {
				t.Errorf("%s: search %s: %v", who, typ, err)
				continue
			}
			for _, r := range service.Matches(out.Resource) {
				found[r.ID()] = true
			}
		}
		inEvery := map[string]bool{}
		every, err := svc.Everything(c, me, url.Values{"_count": {"100"}})
		var fe *fhir.Error
		switch {
		case len(open) == 0 && errors.As(err, &fe) && fe.Status == http.StatusNotFound:
			// Nothing of the patient at all: not even their $everything.
		case err != nil:
			t.Fatalf("%s: $everything: %v", who, err)
		default:
			for _, r := range service.Matches(every.Resource) {
				inEvery[r.ID()] = true
			}
		}
		for _, k := range all {
			want := slices.Contains(open, k)
			if found[ids[k]] != want {
				t.Errorf("%s: the %s found by search: %v, want %v", who, k, found[ids[k]], want)
			}
			if inEvery[ids[k]] != want {
				t.Errorf("%s: the %s in $everything: %v, want %v", who, k, inEvery[ids[k]], want)
			}
		}
	}

	// NHS login P5: appointments, messages and repeats, none of the record.
	account("low", "P5")
	check("a P5 patient", as("low", auth.RolePatient), "appointment", "message", "medicine")
	if a, err := svc.PatientAccess(as("low", auth.RolePatient), me); err != nil || !a.Record.None() || a.Record.Why == "" {
		t.Errorf("a P5 patient's access: %+v %v", a, err)
	}
	// P9 and no decision by the practice: the GP contract's default, the
	// summary and every entry from the day the account was made.
	account("high", "P9")
	check("a P9 patient by default", as("high", auth.RolePatient), "appointment", "message", "medicine", "problem", "new result")
	// History of an entry before prospective access: nothing.
	if h, err := svc.History(as("high", auth.RolePatient), "Observation", ids["old result"], url.Values{}); err == nil && len(service.Matches(h.Resource)) > 0 {
		t.Errorf("history of an entry outside the access: %d versions", len(service.Matches(h.Resource)))
	}

	// An entry moved outside the access (its date corrected to before
	// prospective access) hides its earlier versions too.
	cur, err := svc.Read(ctx, "Observation", ids["new result"])
	if err != nil {
		t.Fatal(err)
	}
	moved, _ := fhir.Unmarshal(cur.Version.Body)
	moved["effectiveDateTime"] = "2018-01-01"
	if _, err := svc.Update(ctx, "Observation", ids["new result"], moved, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.VRead(as("high", auth.RolePatient), "Observation", ids["new result"], "1"); err == nil {
		t.Error("the version before an entry moved outside the access was read")
	}
	if h, err := svc.History(as("high", auth.RolePatient), "Observation", "", url.Values{}); err != nil || strings.Contains(string(mustJSON(h.Resource)), ids["new result"]) {
		t.Errorf("the type's history holds an entry moved outside the access: %v", err)
	}

	// The practice gives the detailed coded record: results of any date.
	decide := func(level string) {
		t.Helper()
		c := clinical.RecordAccessChange{Level: level}.Resource(nil, me, practice, time.Now())
		create(c)
	}
	decide(clinical.RecordDetailed)
	check("a P9 patient with the coded record", as("high", auth.RolePatient), "appointment", "message", "medicine", "problem", "new result", "old result")
	time.Sleep(1100 * time.Millisecond) // decisions are ordered by their second
	decide(clinical.RecordFull)
	check("a P9 patient with the full record", as("high", auth.RolePatient), all...)

	// A proxy with appointments only, on the patient's consent: the
	// patient's details and appointments, nothing else; and no message
	// written for them.
	account("carer", "P9")
	grant := clinical.GrantChange{Do: "grant", Basis: clinical.BasisConsent, Services: []string{clinical.ServiceAppointments}}.
		Resource(nil, me, practice, "carer", "A Carer", "", time.Now())
	create(grant)
	carer := as("carer", auth.RoleProxy)
	check("a proxy for appointments", carer, "appointment")
	if _, err := svc.Read(carer, "Patient", me); err != nil {
		t.Errorf("a proxy reading the patient: %v", err)
	}
	msg := fhir.Resource{"resourceType": "Communication", "status": "completed", "subject": subject,
		"payload": []any{map[string]any{"contentString": "Please call me"}}}
	if _, err := svc.Create(carer, "Communication", msg, ""); err == nil {
		t.Error("a proxy without messages wrote a message")
	}
	if _, err := svc.Create(as("high", auth.RolePatient), "Communication", msg, ""); err != nil {
		t.Errorf("the patient writing a message: %v", err)
	}

	// A condition is a search: through other entries it is refused, so a
	// conditional write cannot test for an entry the caller may not read.
	cur, err = svc.Read(ctx, "Patient", me)
	if err != nil {
		t.Fatal(err)
	}
	self, _ := fhir.Unmarshal(cur.Version.Body)
	for _, q := range []url.Values{
		{"_id": {me}, "_has:Observation:patient:code": {"271649006"}},
		{"_id": {me}, "general-practitioner.name": {"Smith"}},
	} {
		var fe *fhir.Error
		if _, err := svc.ConditionalUpdate(as("low", auth.RolePatient), "Patient", q, self, service.Precondition{}); !errors.As(err, &fe) || fe.Status != http.StatusForbidden {
			t.Errorf("a conditional update of the patient by %s: %v, want 403", q.Encode(), err)
		}
	}
	// A file of the patient's own (a message's attachment) opens with
	// messages: to the patient, not to the proxy for appointments.
	file, err := svc.Create(ctx, "Binary", fhir.Resource{"resourceType": "Binary", "contentType": "text/plain", "data": "SGVsbG8=",
		"securityContext": map[string]any{"reference": "Patient/" + me}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Read(as("low", auth.RolePatient), "Binary", file.Version.ID); err != nil {
		t.Errorf("the patient reading their own file: %v", err)
	}
	if _, err := svc.Read(carer, "Binary", file.Version.ID); err == nil {
		t.Error("a proxy for appointments read the patient's file")
	}
	// The practice's decisions are read by the service, never returned.
	if out, err := svc.Search(as("high", auth.RolePatient), service.SearchRequest{Type: "Consent", Params: url.Values{"patient": {"Patient/" + me}}}); err != nil || len(service.Matches(out.Resource)) > 0 {
		t.Errorf("the patient's Consents: %v %v, want none", err, out.Resource)
	}
	// A refused proxy reads nothing of the patient, not even their details.
	refused := clinical.GrantChange{Do: "refuse", Note: "Safeguarding"}.Resource(nil, me, practice, "carer", "A Carer", "", time.Now().Add(time.Second))
	create(refused)
	// (A new request: the access is decided once per request.)
	if _, err := svc.Read(as("carer", auth.RoleProxy), "Patient", me); err == nil {
		t.Error("a refused proxy read the patient")
	}
	check("a refused proxy", as("carer", auth.RoleProxy))

	// An enhanced-review entry recorded after the decision closes the
	// record again until the practice decides anew.
	time.Sleep(1100 * time.Millisecond)
	create(fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject,
		"code": snomed("1364731000000104", "Enhanced review indicated before granting access to own health record"), "effectiveDateTime": time.Now().UTC().Format(time.RFC3339)})
	check("a P9 patient after an enhanced review", as("high", auth.RolePatient), "appointment", "message", "medicine")

	// Recording the patient's death closes the record and every service
	// online; their details stay readable (the portal says why).
	cur, err = svc.Read(ctx, "Patient", me)
	if err != nil {
		t.Fatal(err)
	}
	pat, _ := fhir.Unmarshal(cur.Version.Body)
	pat["deceasedDateTime"] = time.Now().UTC().Format(time.RFC3339)
	if _, err := svc.Update(ctx, "Patient", me, pat, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	check("a P5 patient's record after their death", as("low", auth.RolePatient))
	check("a P9 patient's record after their death", as("high", auth.RolePatient))
	if _, err := svc.Read(as("high", auth.RolePatient), "Patient", me); err != nil {
		t.Errorf("reading the patient after their death: %v", err)
	}

	// Staff are not judged by it.
	if _, err := svc.PatientAccess(auth.WithPrincipal(ctx, &auth.Principal{Subject: "gp", Role: auth.RoleGP, Practice: practice, Scopes: auth.ScopesOf(auth.RoleGP)}), me); err == nil {
		t.Error("PatientAccess answered a GP")
	}
}

// TestPatientWritesAtOnce: many patients' writes at once finish. Their
// online access is decided before each transaction opens; decided
// inside, every pooled connection held by a transaction waited for a
// second one (PostgreSQL: portalbench's sends hung for a minute).
func TestPatientWritesAtOnce(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			st := o.Open(t)
			svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
			out, err := svc.Create(context.Background(), "Patient", fhir.Resource{"resourceType": "Patient", "birthDate": "1980-01-01"}, "")
			if err != nil {
				t.Fatal(err)
			}
			me := out.Version.ID
			openOnline(t, svc, st, me, "writer")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const n = 64
			errs := make(chan error, n)
			for range n {
				go func() {
					c := auth.WithPrincipal(ctx, &auth.Principal{Subject: "writer", Role: auth.RolePatient, Patients: []string{me}, Scopes: auth.ScopesOf(auth.RolePatient)})
					_, err := svc.Create(c, "Communication", fhir.Resource{"resourceType": "Communication", "status": "completed",
						"subject": map[string]any{"reference": "Patient/" + me}, "payload": []any{map[string]any{"contentString": "Hello"}}}, "")
					errs <- err
				}()
			}
			for range n {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func mustJSON(r fhir.Resource) []byte {
	b, _ := fhir.Marshal(r)
	return b
}
