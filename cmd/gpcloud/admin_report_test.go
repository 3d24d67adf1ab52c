package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// The demo practice's rota makes slots; two are booked, one of them then
// missed; admin slots generates again without changing anything and
// admin report appointments writes their GPAD rows; mistyped input is
// refused before anything is written.
func TestAdminSlotsAndReport(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, service.Options{Booking: clinical.BookingRules{}})
	now := time.Now()
	practice, err := demo.Make(ctx, svc, demo.Options{Patients: 2, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	free, err := appointments.FreeSlots(ctx, svc, appointments.FreeQuery{Limit: 2}, now)
	if err != nil || len(free) != 2 {
		t.Fatalf("free slots: %d %v", len(free), err)
	}
	for i, s := range free {
		info, err := appointments.ReadSlot(ctx, svc, s.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		b := clinical.Booking{PatientID: practice.Patients[i], Slot: info.Slot, Clinician: info.Clinician, Method: "telephone"}
		if _, err := svc.Create(ctx, "Appointment", b.Appointment(now), ""); err != nil {
			t.Fatal(err)
		}
	}
	// A repeat request and a message from the portal, for its report.
	by := clinical.PortalRequester{PatientID: practice.Patients[0], PatientName: "P", Practice: practice.OrganizationID}
	if _, err := svc.Create(ctx, "Task", clinical.RepeatOrder{Chosen: []string{"m"}}.Task(by, []clinical.PortalRepeat{{ID: "m", Name: "Ramipril"}}, "RX-AAAA-BBBB", now), ""); err != nil {
		t.Fatal(err)
	}
	msg, _, _ := clinical.NewMessage{Text: "Hello"}.Resources(clinical.MessageSender{PortalRequester: by}, now)
	if _, err := svc.Create(ctx, "Communication", msg, ""); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var stdout, stderr bytes.Buffer
	sched := "sch-" + practice.Clinicians[0].ID
	if code := run([]string{"admin", "slots", "--data", dir, "--schedule", sched, "--weeks", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("admin slots: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), " 0 slots created, 0 blocked, 0 removed") {
		t.Errorf("generating again changed something: %s", stdout.String())
	}

	out := filepath.Join(t.TempDir(), "gpad.csv")
	day := now.In(clinical.UKTime).Format("2006-01-02")
	later := now.AddDate(0, 0, 14).In(clinical.UKTime).Format("02/01/2006")
	for _, bad := range [][]string{
		{"--from", "31/02/2026", "--to", later, "--out", out},
		{"--from", day, "--to", "2020-01-01", "--out", out},
		{"--from", day, "--to", later, "--out", filepath.Join(dir, "no-such-folder", "gpad.csv")},
	} {
		stderr.Reset()
		if code := run(append([]string{"admin", "report", "appointments", "--data", dir}, bad...), &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", bad, code, stderr.String())
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a refused report wrote its file")
	}
	stdout.Reset()
	if code := run([]string{"admin", "report", "appointments", "--data", dir, "--from", day, "--to", later, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("admin report: exit %d: %s", code, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(clinical.GPADHeader, ",") {
		t.Fatalf("the report: %v %v", rows, err)
	}
	for _, r := range rows[1:] {
		if r[3] != "Booked" || r[5] != "10" && r[5] != "15" || r[9] == "" {
			t.Errorf("row %v", r)
		}
	}
	if code := run([]string{"admin", "report", "appointments", "--data", dir, "--from", day, "--to", later, "--out", out}, &stdout, &stderr); code != 2 {
		t.Errorf("writing over an existing report: exit %d", code)
	}
	// The weekly national submission: offered, not connected, said.
	stdout.Reset()
	if code := run([]string{"admin", "report", "appointments", "--data", dir, "--from", day, "--to", later, "--out", out + ".2", "--submit"}, &stdout, &stderr); code != 0 {
		t.Fatalf("admin report --submit: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "not connected") || !strings.Contains(stdout.String(), "practice "+practice.ODS) {
		t.Errorf("--submit says %q", stdout.String())
	}
	// The video consultations' report (E00617): one row per day with
	// video appointments, under its header.
	videoOut := filepath.Join(t.TempDir(), "video.csv")
	stdout.Reset()
	if code := run([]string{"admin", "report", "video", "--data", dir, "--from", day, "--to", later, "--out", videoOut}, &stdout, &stderr); code != 0 {
		t.Fatalf("admin report video: exit %d: %s", code, stderr.String())
	}
	vf, err := os.ReadFile(videoOut)
	if err != nil || !strings.HasPrefix(string(vf), strings.Join(clinical.VideoReportHeader, ",")+"\n") || !strings.Contains(stdout.String(), "days with video appointments") {
		t.Fatalf("video report: %q %v %s", vf, err, stdout.String())
	}
	// The portal's use by month (E00109): this month's row counts the
	// repeat request and the message (the bookings were by phone).
	portalOut := filepath.Join(t.TempDir(), "portal.csv")
	stdout.Reset()
	if code := run([]string{"admin", "report", "portal", "--data", dir, "--from", day, "--to", later, "--out", portalOut}, &stdout, &stderr); code != 0 {
		t.Fatalf("admin report portal: exit %d: %s", code, stderr.String())
	}
	pf, err := os.ReadFile(portalOut)
	month := now.In(clinical.UKTime).Format("2006-01")
	if err != nil || !strings.HasPrefix(string(pf), strings.Join(clinical.PortalReportHeader, ",")+"\n"+month+",0,1,0,0,1,0,0\n") || !strings.Contains(stdout.String(), "months of portal use") {
		t.Fatalf("portal report: %q %v %s", pf, err, stdout.String())
	}
}
