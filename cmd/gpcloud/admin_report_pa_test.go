package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

// TestAdminReportPAItems: the month's personally administered items as
// CSV (the practice admin's page's figures): a B12 dose given this month
// is one item; a month to come and a missing --out are refused.
func TestAdminReportPAItems(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, service.Options{})
	now := time.Now()
	practice, err := demo.Make(ctx, svc, demo.Options{Patients: 1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	b12 := clinical.Medicine{Code: "90321999999103", Name: "Hydroxocobalamin 1mg/1ml solution for injection ampoules", Unit: "ampoule", PersonallyAdministered: true}
	a := clinical.Administration{Medicine: b12, Date: now.In(clinical.London).Format("2006-01-02"), Dose: "1", Route: "78421000", Batch: "AB1"}
	if _, err := svc.Create(ctx, "MedicationAdministration", a.Resource(practice.Patients[0], clinical.Ref{Reference: "Practitioner/" + practice.Clinicians[2].ID}, now), ""); err != nil {
		t.Fatal(err)
	}
	st.Close()
	month := now.In(clinical.London).Format("2006-01")
	out := filepath.Join(t.TempDir(), "pa.csv")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"admin", "report", "pa-items", "--data", dir, "--month", month, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), month+",90321999999103,Hydroxocobalamin 1mg/1ml solution for injection ampoules,1,1,ampoule") ||
		!strings.Contains(stdout.String(), "1 personally administered items") || !strings.Contains(stdout.String(), "gpcloud does not send it") {
		t.Errorf("csv %q %v; said %q", b, err, stdout.String())
	}
	for _, args := range [][]string{{"--month", "2999-01", "--out", out + ".2"}, {"--month", month}, {"--month", "May", "--out", out + ".3"}} {
		if code := run(append([]string{"admin", "report", "pa-items", "--data", dir}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}
