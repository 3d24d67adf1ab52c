package workspace_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// BenchmarkPrescriptionQueue measures showing the prescriptions queue
// with 40 open repeat requests from 40 patients, each checked as an issue
// is (the patient's medicines, allergies and problems read, the safety
// checks run), over HTTP on SQLite, and on PostgreSQL when
// GPCLOUD_TEST_POSTGRES is set. Run with
// go test ./internal/workspace -run XXX -bench PrescriptionQueue -benchtime 20x
func BenchmarkPrescriptionQueue(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { prescriptionQueue(b, testbrowser.NewStack(b)) })
	if os.Getenv("GPCLOUD_TEST_POSTGRES") != "" {
		b.Run("postgres", func(b *testing.B) { prescriptionQueue(b, stackOn(b, storetest.OpenPostgres(b))) })
	}
}

func prescriptionQueue(b *testing.B, s *testbrowser.Stack) {
	const requests = 40
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: requests, Now: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	omeprazole, _ := clinical.MedicineByCode("317335000")
	for i, patient := range practice.Patients {
		p := clinical.Prescription{Medicine: omeprazole, Dose: "One capsule once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "6",
			Review: time.Now().In(clinical.London).AddDate(0, 6, 0).Format("2006-01-02")}
		raw, _ := json.Marshal(p.Authorisation(patient, clinical.Ref{Display: "Dr A"}, 0, nil, time.Now()))
		res, err := fhir.Unmarshal(raw)
		if err != nil {
			b.Fatal(err)
		}
		out, err := s.Service.Create(ctx, "MedicationRequest", res, "")
		if err != nil {
			b.Fatal(err)
		}
		task := clinical.RepeatOrder{Chosen: []string{out.Version.ID}}.Task(clinical.PortalRequester{PatientID: patient, PatientName: "Patient", Practice: practice.OrganizationID},
			[]clinical.PortalRepeat{{ID: out.Version.ID, Name: omeprazole.Name}}, clinical.NewRequestReference("RX"), time.Now().Add(-time.Duration(requests-i)*time.Minute))
		if _, err := s.Service.Create(ctx, "Task", task, ""); err != nil {
			b.Fatal(err)
		}
	}
	gp := staffSession(b, s, "gp@rxbench", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		status, _, _ := gp.do(b, "/workspace/prescriptions", nil)
		times = append(times, time.Since(start))
		if status != http.StatusOK {
			b.Fatalf("queue: %d", status)
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}
