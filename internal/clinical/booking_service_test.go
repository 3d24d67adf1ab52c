package clinical_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// The booking rules apply to a booking through the service whoever makes
// it: a patient books an online slot, not a practice-only or embargoed
// one, and a refused booking leaves the Slot free.
func TestBookingRulesThroughTheService(t *testing.T) {
	st := storetest.OpenSQLite(t)
	svc := service.New(st, service.Options{Booking: clinical.BookingRules{}})
	ctx := context.Background()
	if _, err := svc.Update(ctx, "Patient", "p1", fhir.Resource{"resourceType": "Patient", "id": "p1", "managingOrganization": map[string]any{"reference": "Organization/org1"}}, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute)
	slot := func(id string, exts ...any) {
		r := fhir.Resource{"resourceType": "Slot", "id": id, "status": "free", "schedule": map[string]any{"reference": "Schedule/s"},
			"start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339)}
		if len(exts) > 0 {
			r["extension"] = exts
		}
		if _, err := svc.Update(ctx, "Slot", id, r, service.Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	online := map[string]any{"url": clinical.SlotBookableByURL, "valueCode": clinical.BookedOnline}
	slot("practice-only")
	slot("online", online)
	slot("embargoed", online, map[string]any{"url": clinical.SlotReleasedURL, "valueDateTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})

	patient := auth.WithPrincipal(ctx, &auth.Principal{Subject: "u-p1", Role: auth.RolePatient, Patients: []string{"p1"}, FHIRUser: "Patient/p1",
		Scopes: auth.ScopesOf(auth.RolePatient)})
	book := func(slot string) error {
		_, err := svc.Create(patient, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked", "start": "2030-01-01T09:00:00Z", "end": "2030-01-01T09:10:00Z",
			"slot":        []any{map[string]any{"reference": "Slot/" + slot}},
			"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/p1"}, "status": "accepted"}}}, "")
		return err
	}
	status := func(id string) string {
		out, err := svc.Read(ctx, "Slot", id)
		if err != nil {
			t.Fatal(err)
		}
		return string(out.Version.Body)
	}
	for _, c := range []struct{ slot, refusal string }{
		{"practice-only", "not offered for booking online"},
		{"embargoed", "embargoed until"},
		{"online", ""},
	} {
		err := book(c.slot)
		var fe *fhir.Error
		switch {
		case c.refusal == "" && err != nil:
			t.Errorf("%s: %v", c.slot, err)
		case c.refusal != "" && (!errors.As(err, &fe) || fe.Status != 422 || !strings.Contains(err.Error(), c.refusal)):
			t.Errorf("%s: %v, want 422 %q", c.slot, err, c.refusal)
		}
		want := `"status":"free"`
		if c.refusal == "" {
			want = `"status":"busy"`
		}
		if got := status(c.slot); !strings.Contains(got, want) {
			t.Errorf("%s after the booking: %s, want %s", c.slot, got, want)
		}
	}

	// The practice's moves hold for every writer: a seen appointment
	// cannot be cancelled.
	out, err := svc.Search(ctx, service.SearchRequest{Type: "Appointment", Params: map[string][]string{"slot": {"Slot/online"}}})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := out.Resource["entry"].([]any)
	if len(entries) != 1 {
		t.Fatalf("%d appointments in the online slot", len(entries))
	}
	raw := entries[0].(map[string]any)["resource"]
	var appt fhir.Resource
	switch r := raw.(type) {
	case map[string]any:
		appt = r
	default:
		b, _ := json.Marshal(r)
		appt, _ = fhir.Unmarshal(b)
	}
	gp := auth.WithPrincipal(ctx, &auth.Principal{Subject: "u-gp", Role: auth.RoleGP, Practice: "org1", Scopes: auth.ScopesOf(auth.RoleGP)})
	for _, c := range []struct {
		status string
		ok     bool
	}{{"arrived", true}, {"fulfilled", true}, {"cancelled", false}} {
		appt["status"] = c.status
		res, err := svc.Update(gp, "Appointment", appt.ID(), appt, service.Precondition{})
		if (err == nil) != c.ok {
			t.Fatalf("to %s: %v", c.status, err)
		}
		if err == nil {
			appt, _ = fhir.Unmarshal(res.Version.Body)
		}
	}

	// A receptionist marks a did-not-attend: the record gains the coded
	// entry, though reception may not write clinical entries themselves.
	slot("later")
	rec := auth.WithPrincipal(ctx, &auth.Principal{Subject: "u-rec", Role: auth.RoleReceptionist, Practice: "org1", Scopes: auth.ScopesOf(auth.RoleReceptionist)})
	made, err := svc.Create(rec, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked", "start": "2030-01-01T09:00:00Z", "end": "2030-01-01T09:10:00Z",
		"slot":        []any{map[string]any{"reference": "Slot/later"}},
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/p1"}, "status": "accepted"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	appt, _ = fhir.Unmarshal(made.Version.Body)
	appt["status"] = "noshow"
	if _, err := svc.Update(rec, "Appointment", appt.ID(), appt, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	dna, err := svc.Search(ctx, service.SearchRequest{Type: "Observation", Params: map[string][]string{"code": {clinical.SNOMED + "|" + clinical.DNACode}, "patient": {"p1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := dna.Resource["entry"].([]any); len(n) != 1 {
		t.Fatalf("%d did-not-attend entries, want 1", len(n))
	}
}
