package workspace_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/pdf"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestFP10SSPrint: a prescriber without a professional code is refused
// the FP10SS; once their GMC number is recorded, an issue prints as a
// PDF with the prescription id, the medicine and the code at their
// places, audited; a cancelled issue and a non-prescriber are refused.
func TestFP10SSPrint(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { fp10Print(t, testbrowser.NewStack(t)) })
	t.Run("postgres", func(t *testing.T) { fp10Print(t, stackOn(t, storetest.OpenPostgres(t))) })
}

func fp10Print(t *testing.T, s *testbrowser.Stack) {
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gpID := practice.Clinicians[0].ID
	gp := staffSession(t, s, "gp@fp10", auth.RoleGP, practice.OrganizationID, "Practitioner/"+gpID)
	nurse := staffSession(t, s, "nurse@fp10", auth.RoleNurse, practice.OrganizationID, "Practitioner/"+practice.Clinicians[2].ID)
	path := "/workspace/patients/" + patient + "/medication"

	prescribe := func() string {
		t.Helper()
		form := url.Values{"patient": {patient}, "medicine-pick": {"317335000|Omeprazole 20mg gastro-resistant capsules"}, "dose": {"One capsule once a day"},
			"quantity": {"28"}, "days": {"28"}, "course": {"acute"}}
		status, loc, body := gp.do(t, path+"/new", form)
		if status == http.StatusOK && strings.Contains(body, `name="seen"`) {
			form.Set("seen", seenOf(body))
			form.Set("reason", "Reviewed the warnings")
			status, loc, _ = gp.do(t, path+"/new", form)
		}
		if status != http.StatusSeeOther {
			t.Fatalf("prescribe: %d %s", status, loc)
		}
		var newest fhir.Resource
		for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}, "_sort": {"-_lastUpdated"}})) {
			if newest == nil {
				newest = m
			}
		}
		if newest == nil {
			t.Fatal("no issue")
		}
		return newest.ID()
	}

	// No professional code recorded: refused, saying what to do.
	first := prescribe()
	if status, _, body := gp.do(t, path, nil); status != http.StatusOK || !strings.Contains(body, "/medication/issues/"+first+"/fp10ss") || !strings.Contains(body, "Print FP10SS") {
		t.Errorf("the Medication tab does not offer the FP10SS print: %d", status)
	}
	status, _, body := gp.do(t, path+"/issues/"+first+"/fp10ss", nil)
	if status != http.StatusConflict || !strings.Contains(body, "professional code") {
		t.Errorf("FP10SS without a professional code: %d", status)
	}

	// The practice records the GP's GMC number; the next issue prints.
	prac, err := s.Service.Read(ctx, "Practitioner", gpID)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fhir.Unmarshal(prac.Version.Body)
	res["identifier"] = append(anyOf(res["identifier"]), map[string]any{"system": clinical.GMCSystem, "value": "7654321"})
	if _, err := s.Service.Update(ctx, "Practitioner", gpID, res, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	second := prescribe()
	req, _ := http.NewRequest("GET", s.URL+path+"/issues/"+second+"/fp10ss", nil)
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: gp.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("FP10SS: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if dir := os.Getenv("GPCLOUD_SCREENSHOTS"); dir != "" {
		// To look at: pdftoppm -png fp10ss-print.pdf.
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "fp10ss-print.pdf"), data, 0o644)
	}
	c, err := pdf.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	issue, _ := s.Service.Read(ctx, "MedicationRequest", second)
	issueRes, _ := fhir.Unmarshal(issue.Version.Body)
	id := clinical.PrescriptionIDOf(issueRes)
	var texts []string
	for _, tx := range c.Texts {
		texts = append(texts, tx.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{id, "Omeprazole 20mg", "One capsule once a day", "7654321", "28"} {
		if id == "" || !strings.Contains(all, want) {
			t.Errorf("the FP10SS lacks %q", want)
		}
	}

	// The print is audited with the prescription id (the PostgreSQL
	// stack here runs without an audit trail).
	if s.Trail != nil {
		s.Trail.Flush()
		events, err := s.Service.Search(ctx, service.SearchRequest{Type: "AuditEvent", Params: url.Values{"patient": {patient}, "_count": {"500"}}})
		if err != nil {
			t.Fatal(err)
		}
		trail, _ := json.Marshal(events.Resource)
		if !strings.Contains(string(trail), "FP10SS printed: prescription "+id) {
			t.Error("the FP10SS print is not in the audit trail")
		}
	}

	// A nurse who is not a prescriber is refused; so is a cancelled issue.
	if status, _, _ := nurse.do(t, path+"/issues/"+second+"/fp10ss", nil); status != http.StatusForbidden {
		t.Errorf("the nurse's FP10SS: %d", status)
	}
	cancel := url.Values{"patient": {patient}, "version": {fmt.Sprint(issue.Version.VersionID)}, "reason": {"Printed twice"}}
	if status, _, _ := gp.do(t, path+"/issues/"+second+"/cancel", cancel); status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", status)
	}
	if status, _, body := gp.do(t, path+"/issues/"+second+"/fp10ss", nil); status != http.StatusConflict || !strings.Contains(body, "cancelled") {
		t.Errorf("FP10SS of a cancelled issue: %d", status)
	}
	// Another patient's path: not found.
	if status, _, _ := gp.do(t, "/workspace/patients/"+practice.Patients[1]+"/medication/issues/"+first+"/fp10ss", nil); status != http.StatusNotFound {
		t.Errorf("the issue under another patient: %d", status)
	}
	if status, _, body := gp.do(t, "/workspace/fp10ss-alignment", nil); status != http.StatusOK || !strings.HasPrefix(body, "%PDF-") {
		t.Errorf("alignment print: %d", status)
	}
}

func anyOf(v any) []any { l, _ := v.([]any); return l }

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
