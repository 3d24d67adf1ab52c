package workspace_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fp10"
	"github.com/gpcloud/gpcloud/internal/pdf"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/terminology/dmdtest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestFP10MDAPrint: a GP prescribes methadone in instalments (60 ml a
// day for 14 days from tomorrow, supervised); its print is the
// FP10MDA-SS: an A4 form whose instalment box, dates of dispensing and
// item box hold the schedule, the total in words and figures and the
// drug, audited as an FP10MDA-SS print; a patient's name too long for its
// box is refused with the reason (409), audited. The alignment print offers the
// FP10MDA-SS's boxes; an unknown form is not found.
func TestFP10MDAPrint(t *testing.T) {
	s := testbrowser.NewStack(t)
	dmdtest.Load(t, s.Store)
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gpID := practice.Clinicians[0].ID
	prac, err := s.Service.Read(ctx, "Practitioner", gpID)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fhir.Unmarshal(prac.Version.Body)
	res["identifier"] = append(anyOf(res["identifier"]), map[string]any{"system": clinical.GMCSystem, "value": "7654321"})
	if _, err := s.Service.Update(ctx, "Practitioner", gpID, res, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	gp := staffSession(t, s, "gp@mda", auth.RoleGP, practice.OrganizationID, "Practitioner/"+gpID)
	path := "/workspace/patients/" + patient + "/medication"

	start := time.Now().In(clinical.London).AddDate(0, 0, 1)
	form := url.Values{"patient": {patient}, "medicine-pick": {dmdtest.Methadone + "|Methadone 1mg/ml oral solution sugar free"},
		"dose": {"Take 60ml once a day"}, "quantity": {"840"}, "days": {"14"}, "course": {clinical.InstalmentCourse},
		"instalment-amount": {"60"}, "instalment-interval": {"daily"}, "instalment-supervised": {"yes"},
		"instalment-start-day": {fmt.Sprint(start.Day())}, "instalment-start-month": {fmt.Sprint(int(start.Month()))}, "instalment-start-year": {fmt.Sprint(start.Year())}}
	status, loc, body := gp.do(t, path+"/new", form)
	if status == http.StatusOK && strings.Contains(body, `name="seen"`) {
		form.Set("seen", seenOf(body))
		form.Set("reason", "Stable on methadone, keyworker agrees")
		status, loc, body = gp.do(t, path+"/new", form)
	}
	if status != http.StatusSeeOther {
		t.Fatalf("prescribe: %d %s %s", status, loc, body)
	}
	var issue fhir.Resource
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}})) {
		if clinical.IsInstalment(m) {
			issue = m
		}
	}
	if issue == nil {
		t.Fatal("no instalment issue")
	}
	if status, _, body := gp.do(t, path, nil); status != http.StatusOK || !strings.Contains(body, "Print FP10MDA-SS") {
		t.Errorf("the Medication tab does not offer the FP10MDA-SS print: %d", status)
	}

	req, _ := http.NewRequest("GET", s.URL+path+"/issues/"+issue.ID()+"/fp10ss", nil)
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: gp.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(resp.Header.Get("Content-Disposition"), "fp10mda-ss-") {
		t.Fatalf("FP10MDA-SS: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	if dir := os.Getenv("GPCLOUD_SCREENSHOTS"); dir != "" {
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "fp10mda-ss-print.pdf"), data, 0o644)
	}
	if !strings.Contains(string(data), fmt.Sprintf("/MediaBox [0 0 %.2f", fp10.MDASheetWidth*pdf.PointsPerMM)) {
		t.Error("the print is not on the FP10MDA-SS's A4 sheet")
	}
	c, err := pdf.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) (fp10.Field, bool) {
		for _, tx := range c.Texts {
			if strings.Contains(tx.Text, s) {
				x, y := tx.X/pdf.PointsPerMM, fp10.MDASheetHeight-tx.Y/pdf.PointsPerMM
				for _, f := range fp10.MDAFields {
					if x >= f.X && x <= f.X+f.W && y >= f.Y && y <= f.Y+f.H {
						return f, true
					}
				}
				return fp10.Field{}, true
			}
		}
		return fp10.Field{}, false
	}
	for _, tc := range []struct {
		text string
		box  fp10.Field
	}{
		{"Methadone 1mg/ml oral solution", fp10.MDAItemBox}, {"840 (eight hundred and forty) ml", fp10.MDAItemBox},
		{"Number of instalments: 14", fp10.MDAInstalmentBox}, {"Each instalment: 60 (sixty) ml", fp10.MDAInstalmentBox},
		{"First instalment: " + start.Format("Monday 02/01/2006"), fp10.MDAInstalmentBox}, {"SUPERVISED CONSUMPTION", fp10.MDAInstalmentBox},
		{"Dates of dispensing: 14 collections", fp10.MDAScheduleBox}, {clinical.PrescriptionIDOf(issue), fp10.MDABarcodeColumn},
		{"7654321", fp10.MDACodesBox},
	} {
		if got, ok := at(tc.text); !ok || got.Name != tc.box.Name {
			t.Errorf("%q: printed %v in %q, want in %q", tc.text, ok, got.Name, tc.box.Name)
		}
	}
	if s.Trail != nil {
		s.Trail.Flush()
		events, err := s.Service.Search(ctx, service.SearchRequest{Type: "AuditEvent", Params: url.Values{"patient": {patient}, "_count": {"500"}}})
		if err != nil {
			t.Fatal(err)
		}
		if trail, _ := json.Marshal(events.Resource); !strings.Contains(string(trail), "FP10MDA-SS printed: prescription "+clinical.PrescriptionIDOf(issue)) {
			t.Error("the FP10MDA-SS print is not in the audit trail")
		}
	}

	// A name too long for the patient's box (never wrapped): refused with
	// the reason, not cut, and audited.
	pt, err := s.Service.Read(ctx, "Patient", patient)
	if err != nil {
		t.Fatal(err)
	}
	ptRes, _ := fhir.Unmarshal(pt.Version.Body)
	ptRes["name"] = []any{map[string]any{"use": "official", "family": "Featherstonehaugh-Cholmondeley-Worthington",
		"given": []any{"Alexandrina", "Georgiana", "Wilhelmina"}, "prefix": []any{"Miss"}}}
	if _, err := s.Service.Update(ctx, "Patient", patient, ptRes, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if status, _, body := gp.do(t, path+"/issues/"+issue.ID()+"/fp10ss", nil); status != http.StatusConflict || !strings.Contains(body, "does not fit the FP10MDA-SS") ||
		!strings.Contains(body, "name or address is too long for its box") {
		t.Errorf("a name too long for the FP10MDA-SS: %d", status)
	}
	if s.Trail != nil {
		s.Trail.Flush()
		events, _ := s.Service.Search(ctx, service.SearchRequest{Type: "AuditEvent", Params: url.Values{"patient": {patient}, "_count": {"500"}}})
		if trail, _ := json.Marshal(events.Resource); !strings.Contains(string(trail), "FP10MDA-SS refused") {
			t.Error("the refused FP10MDA-SS print is not in the audit trail")
		}
	}

	if status, _, body := gp.do(t, "/workspace/fp10ss-alignment?form=fp10mda-ss", nil); status != http.StatusOK || !strings.Contains(body, "FP10MDA-SS alignment print") {
		t.Errorf("the FP10MDA-SS alignment print: %d", status)
	}
	if status, _, _ := gp.do(t, "/workspace/fp10ss-alignment?form=fp10x", nil); status != http.StatusNotFound {
		t.Errorf("an unknown form's alignment print: %d", status)
	}
}
