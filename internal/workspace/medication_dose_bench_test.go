package workspace_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// BenchmarkDoseForm measures the change-of-dose form of a repeat with 240
// versions (ten years of monthly issues, each a version, and two dose
// changes): the form reads the authorisation's whole history for the dose
// history. Over HTTP on SQLite; reports the median. Run with
// go test ./internal/workspace -run XXX -bench DoseForm -benchtime 30x
func BenchmarkDoseForm(b *testing.B) {
	s := testbrowser.NewStack(b)
	practice, patient := medPractice(b, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gp := staffSession(b, s, "gp@dosebench", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	p := clinical.Prescription{Medicine: clinical.Medicine{Code: "321949006", Name: "Sertraline 50mg tablets", Unit: "tablet", MaxPerDay: 4},
		Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "13", Review: time.Now().In(clinical.London).AddDate(0, 6, 0).Format("2006-01-02")}
	out, err := s.Service.Create(ctx, "MedicationRequest", storedForm(b, p.Authorisation(patient, clinical.Ref{Display: "Dr A"}, 0, nil, time.Now())), "")
	if err != nil {
		b.Fatal(err)
	}
	id := out.Version.ID
	for i := 1; i < 240; i++ {
		cur, err := s.Service.Read(ctx, "MedicationRequest", id)
		if err != nil {
			b.Fatal(err)
		}
		res, _ := fhir.Unmarshal(cur.Version.Body)
		next := clinical.Issued(res, time.Now())
		switch i {
		case 80:
			next = clinical.DoseChange{Dose: "Two tablets once a day", Reason: "No response"}.Apply(res, clinical.Ref{Display: "Dr B"}, time.Now())
		case 160:
			next = clinical.DoseChange{Dose: "One tablet once a day", Reason: "Side effects"}.Apply(res, clinical.Ref{Display: "Dr C"}, time.Now())
		}
		if _, err := s.Service.Update(ctx, "MedicationRequest", id, storedForm(b, next), service.Precondition{}); err != nil {
			b.Fatal(err)
		}
	}
	path := "/workspace/patients/" + patient + "/medication/" + id + "/dose"
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		status, _, _ := gp.do(b, path, nil)
		times = append(times, time.Since(start))
		if status != http.StatusOK {
			b.Fatalf("dose form: %d", status)
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}

// storedForm is r as JSON decodes it (numbers as the store's), as the
// service takes a resource.
func storedForm(b *testing.B, r fhir.Resource) fhir.Resource {
	raw, err := json.Marshal(r)
	if err != nil {
		b.Fatal(err)
	}
	out, err := fhir.Unmarshal(raw)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
