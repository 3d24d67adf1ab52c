package service_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestAuditEventForPatient: a patient reads who used their record, when
// and how, but not the entries and searches a member of staff's event
// names (an entry they may not read would be told by its id, a search
// by its words), and may not search their events by entity; staff read
// the event whole.
func TestAuditEventForPatient(t *testing.T) {
	st := storetest.Openers()[0].Open(t)
	svc := service.New(st, service.Options{BaseURL: "http://gp.example/fhir"})
	ctx := context.Background()
	out, err := svc.Create(ctx, "Patient", fhir.Resource{"resourceType": "Patient", "birthDate": "1980-01-01"}, "")
	if err != nil {
		t.Fatal(err)
	}
	me := out.Version.ID
	openOnline(t, svc, st, me, "pat")
	// A GP's search, as the audit trail records it: the entries read and
	// the request's path and query.
	trail := audit.NewTrail(st, nil)
	defer trail.Close()
	gp := &auth.Principal{Subject: "gp", Role: auth.RoleGP, Practice: "p1", FHIRUser: "Practitioner/dr"}
	trail.Record(audit.Event{Time: time.Now(), Interaction: "search-type", Action: "E", Status: http.StatusOK, Detail: "DocumentReference/hidden-letter is not known",
		Principal: gp, Address: "10.0.0.7", Path: "/fhir/Observation", Query: "Y29kZT1zZWNyZXQ=",
		Resources: []audit.Seen{{Type: "DocumentReference", ID: "hidden-letter", Owners: []string{me}, OwnersKnown: true}}, Patients: []string{me}})
	trail.Flush()
	pc := auth.WithPrincipal(ctx, &auth.Principal{Subject: "pat", Role: auth.RolePatient, Patients: []string{me}, Scopes: auth.ScopesOf(auth.RolePatient)})
	res, err := svc.Search(pc, service.SearchRequest{Type: "AuditEvent", Params: url.Values{"patient": {"Patient/" + me}}})
	if err != nil {
		t.Fatal(err)
	}
	body := string(mustJSON(res.Resource))
	events := service.Matches(res.Resource)
	if len(events) != 1 || !strings.Contains(body, `"gp"`) || !strings.Contains(body, "Patient/"+me) {
		t.Errorf("the patient's event lost who or whose: %s", body)
	}
	for _, hidden := range []string{"hidden-letter", "Y29kZT1zZWNyZXQ=", "/fhir/Observation", "10.0.0.7"} {
		if strings.Contains(body, hidden) {
			t.Errorf("the patient's event holds %q: %s", hidden, body)
		}
	}
	var fe *fhir.Error
	if _, err := svc.Search(pc, service.SearchRequest{Type: "AuditEvent", Params: url.Values{"entity": {"DocumentReference/hidden-letter"}}}); !errors.As(err, &fe) || fe.Status != http.StatusForbidden {
		t.Errorf("a patient's AuditEvent search by entity: %v, want 403", err)
	}
	whole, err := svc.Read(ctx, "AuditEvent", events[0].ID())
	if err != nil || !strings.Contains(string(whole.Version.Body), "hidden-letter") {
		t.Errorf("the practice's read of the event: %v", err)
	}
}
