package workspace_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// TestConsultationMarksAppointmentSeen: saving a consultation for the
// patient's appointment marks the appointment seen in the same
// transaction, and the Encounter names it with the actual start and end
// (GPAD's actual times).
func TestConsultationMarksAppointmentSeen(t *testing.T) {
	se := signedIn(t)
	patient := se.practice.Patients[0]
	ctx := auth.WithPrincipal(context.Background(), se.principal)
	start := time.Now().Add(-70 * time.Minute).UTC().Truncate(time.Minute)
	out, err := se.s.Service.Create(ctx, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "arrived",
		"start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339),
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + patient}, "status": "accepted"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := out.Version.ID
	// Opened from the appointment's page, the form names the appointment.
	if body := getBody(t, se, "/workspace/patients/"+patient+"/consultations/new?appointment="+id); !strings.Contains(body, `value="Appointment/`+id+`" selected`) {
		t.Error("the consultation opened from the appointment does not name it")
	}
	form := consultForm(patient)
	form.Set("appointment", "Appointment/"+id)
	if resp := se.post(t, "/workspace/patients/"+patient+"/consultations/new", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save answered %d", resp.StatusCode)
	}
	a := readResource(t, se.s.Service, "Appointment", id)
	if a["status"] != "fulfilled" {
		t.Errorf("the appointment is %v after its consultation", a["status"])
	}
	encs, err := se.s.Service.Search(ctx, service.SearchRequest{Type: "Encounter", Params: url.Values{"appointment": {"Appointment/" + id}}})
	if err != nil {
		t.Fatal(err)
	}
	matches := appointments.Matches(encs.Resource)
	if len(matches) != 1 {
		t.Fatalf("%d Encounters name the appointment", len(matches))
	}
	period, _ := matches[0]["period"].(map[string]any)
	if period["start"] == nil || period["end"] == nil {
		t.Errorf("the Encounter's period %v has no actual start and end", period)
	}
}

// getBody reads a page as the session's user.
func getBody(t *testing.T, se *session, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", se.s.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(body)
}
