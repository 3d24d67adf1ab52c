package main

import (
	"context"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestAdmitToFirstFrame times, over 20 calls on loopback, from the GP
// pressing "Let in" to the first video frame shown on each side: two
// Chromium instances with fake cameras, the real pages, one gpcloud
// (SQLite). Both browsers read the same clock (Date.now()).
//
//	GPCLOUD_VIDEOBENCH=1 go test ./bench/videobench -run AdmitToFirstFrame -v
func TestAdmitToFirstFrame(t *testing.T) {
	if os.Getenv("GPCLOUD_VIDEOBENCH") == "" {
		t.Skip("a benchmark: set GPCLOUD_VIDEOBENCH=1 to run it")
	}
	calls := 20
	if n, err := strconv.Atoi(os.Getenv("GPCLOUD_VIDEOBENCH_CALLS")); err == nil {
		calls = n
	}
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	p, err := demo.Make(ctx, s.Service, demo.Options{Patients: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	gp := s.Staff(t, "gp@bench", auth.RoleGP, p.OrganizationID, "Practitioner/"+p.Clinicians[0].ID)
	pat := s.User(t, &identity.User{ID: "pat@bench", Name: "Pat", Role: auth.RolePatient, Patients: []string{p.Patients[0]}, IdentityProof: "P9"})
	doc, patient := testbrowser.StartMedia(t), testbrowser.StartMedia(t)
	doc.SignIn(s.URL, gp)
	patient.SignIn(s.URL, pat)
	var toPatient, toGP []time.Duration
	for i := range calls {
		start := time.Now().Add(5 * time.Minute).UTC().Truncate(time.Minute)
		out, err := s.Service.Create(ctx, "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked",
			"start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339),
			"appointmentType": map[string]any{"text": "video"},
			"participant": []any{
				map[string]any{"actor": map[string]any{"reference": "Patient/" + p.Patients[0]}, "status": "accepted"},
				map[string]any{"actor": map[string]any{"reference": "Practitioner/" + p.Clinicians[0].ID}, "status": "accepted"},
			}}, "")
		if err != nil {
			t.Fatal(err)
		}
		id := out.Version.ID
		patient.Do(chromedp.Navigate(s.URL + "/patient/appointments/" + id + "/video/call"))
		doc.Do(chromedp.Navigate(s.URL + "/workspace/appointments/" + id + "/video"))
		doc.Text("#admit-patient[type=button]")
		// Both have their cameras before the admission: the patient
		// waited with theirs on, the GP's page asked as it opened.
		for deadline := time.Now().Add(10 * time.Second); doc.Eval(`document.getElementById("self-view").srcObject ? "y" : "n"`) != "y"; {
			if time.Now().After(deadline) {
				t.Fatal("the GP's camera did not start")
			}
			time.Sleep(20 * time.Millisecond)
		}
		t0, _ := strconv.ParseInt(doc.Eval(`(() => { const t = Date.now(); document.getElementById("admit-patient").click(); return String(t) })()`), 10, 64)
		frame := func(b *testbrowser.Browser) time.Duration {
			for deadline := time.Now().Add(20 * time.Second); ; {
				if v, _ := strconv.ParseInt(b.Eval(`String(window.gpVideo.firstFrame)`), 10, 64); v > 0 {
					return time.Duration(v-t0) * time.Millisecond
				}
				if time.Now().After(deadline) {
					t.Fatalf("call %d: no frame", i)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		toPatient = append(toPatient, frame(patient))
		toGP = append(toGP, frame(doc))
	}
	for _, r := range []struct {
		name string
		d    []time.Duration
	}{{"patient", toPatient}, {"GP", toGP}} {
		sort.Slice(r.d, func(i, j int) bool { return r.d[i] < r.d[j] })
		t.Logf("admit → first video frame at the %s: p50 %s, p95 %s, min %s, max %s (%d calls)", r.name,
			r.d[len(r.d)/2], r.d[(len(r.d)*95)/100-boolInt(len(r.d)*95%100 == 0)], r.d[0], r.d[len(r.d)-1], len(r.d))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
