package portal_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/redaction"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserRedaction: a GP opens a consultation note and removes
// "husband's drinking" from online access (an empty phrase and one not
// in the note show the error summary and write nothing); the staff
// page and the consultation highlight the words. The patient signs in
// to the portal on a phone: the page's HTML (not just what CSS shows)
// has no trace of the words, and the replacement and what it means are
// shown; the FHIR API with the patient's token (read, search, the
// version before the redaction) has no trace of them either. The GP
// then removes the redaction. axe-core on each page, 320 px.
func TestBrowserRedaction(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 6, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := adultOf(t, s, practice.Patients)
	// Dated now, not an hour ago: shown by default (prospective access
	// from the account's day) at any time of day, midnight included.
	consultationOf(t, s, me, time.Now(), "Low mood for a month. Her husband's drinking is worse and she sleeps badly. Plan: review in 2 weeks.")
	notes := search(t, s, "Observation", url.Values{"patient": {me}, "code": {clinical.SNOMED + "|" + clinical.CommentNoteCode}})
	var note string
	for _, n := range notes {
		if strings.Contains(n["valueString"].(string), "husband") {
			note = n.ID()
		}
	}
	enc := strings.TrimPrefix(read(t, s, "Observation", note)["encounter"].(map[string]any)["reference"].(string), "Encounter/")
	gp := s.Staff(t, "gp@test", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	pat := s.User(t, &identity.User{ID: "pat@test", Name: "Pat Example", Role: auth.RolePatient, Patients: []string{me}, FHIRUser: "Patient/" + me, IdentityProof: "P9"})

	b.SignIn(s.URL, gp)
	b.Do(chromedp.Navigate(s.URL + "/workspace/patients/" + me + "/consultations/" + enc))
	b.ClickAndLoad(`[id="redact-Observation/` + note + `"]`)
	if got := b.Text("#entry-text"); !strings.Contains(got, "husband's drinking") {
		t.Fatalf("the staff page does not show the entry: %s", got)
	}
	b.ClickAndLoad("#redact")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the exact words") {
		t.Fatalf("empty phrase: %s", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("phrase"), "wife's drinking"))
	b.ClickAndLoad("#redact")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "The phrase does not occur in the entry") {
		t.Fatalf("a phrase not in the entry: %s", got)
	}
	if redaction.Has(read(t, s, "Observation", note)) {
		t.Fatal("a refused phrase was written")
	}
	b.Axe("workspace-redact-error")
	b.Narrow("workspace-redact-error", 320)
	b.Shot("workspace-redact-error")
	b.Eval(`document.getElementById("phrase").value = "husband's drinking"; "ok"`)
	b.KeyAndLoad("#redact") // by keyboard: Tab to the button, Enter
	if got := b.Text("#saved"); !strings.Contains(got, "Removed from online access") {
		t.Fatalf("not saved: %s", b.Text("main"))
	}
	if got := b.Text("#entry-text mark"); !strings.Contains(got, "husband's drinking") || !strings.Contains(got, "redacted from online access") {
		t.Fatalf("the staff page does not mark the words: %q", got)
	}
	if got := b.Text("#redactions"); !strings.Contains(got, "husband's drinking") {
		t.Fatalf("the redaction is not listed: %s", got)
	}
	b.Axe("workspace-redact")
	b.Narrow("workspace-redact", 320)
	b.Shot("workspace-redact")
	if rs := redaction.Of(read(t, s, "Observation", note)); len(rs) != 1 || rs[0].Phrase != "husband's drinking" || rs[0].AuthorID != "Practitioner/"+practice.Clinicians[0].ID {
		t.Fatalf("stored: %+v", rs)
	}
	b.ClickAndLoad("#back")
	if got := b.Text("mark.gp-redacted"); !strings.Contains(got, "husband's drinking") {
		t.Fatalf("the consultation does not mark the words: %q", got)
	}
	b.Shot("workspace-consultation-redacted")
	b.Do(chromedp.Navigate(s.URL + "/workspace/"))
	b.ClickAndLoad("#sign-out")

	b.Do(chromedp.EmulateViewport(375, 812))
	b.SignIn(s.URL, pat)
	b.Do(chromedp.Navigate(s.URL+"/patient/record"), chromedp.WaitVisible(chromedp.ID("consultations")))
	html := b.Eval(`document.documentElement.outerHTML`)
	if strings.Contains(html, "drinking") || strings.Contains(html, "husband") {
		t.Fatal("the portal page's HTML holds the removed words")
	}
	if got := b.Text("#consultations ~ .nhsuk-card"); !strings.Contains(got, "Her "+redaction.Replacement+" is worse") {
		t.Fatalf("no replacement shown: %s", got)
	}
	if got := b.Text("#words-removed"); !strings.Contains(got, "removed some words") {
		t.Fatalf("the mark is not explained: %s", got)
	}
	b.Axe("portal-record-redacted")
	b.Narrow("portal-record-redacted", 320)
	b.Do(chromedp.EmulateViewport(375, 812))
	b.Shot("portal-record-redacted")

	// The FHIR API with the patient's token.
	p := &auth.Principal{Subject: "pat@test", Role: auth.RolePatient, Patients: []string{me}, FHIRUser: "Patient/" + me}
	for _, path := range []string{"Observation/" + note, "Observation/" + note + "/_history/1", "Observation?patient=" + me, "Observation/" + note + "/_history"} {
		code, body := fhirGet(t, s, p, path)
		if code != http.StatusOK || strings.Contains(body, "drinking") || !strings.Contains(body, redaction.Replacement) {
			t.Errorf("GET %s with the patient's token: %d %s", path, code, body)
		}
	}
	if code, _ := fhirGet(t, s, p, "Observation?value-string=Low"); code != http.StatusForbidden {
		t.Errorf("a search by the note's words with the patient's token: %d", code)
	}
	b.Do(chromedp.Navigate(s.URL + "/patient/"))
	b.ClickAndLoad("#sign-out")

	// The GP removes the redaction: the words are online again.
	b.Do(chromedp.EmulateViewport(1280, 900))
	b.SignIn(s.URL, gp)
	b.Do(chromedp.Navigate(s.URL + "/workspace/patients/" + me + "/entries/Observation/" + note + "/redact"))
	b.ClickAndLoad(".gp-redaction-remove")
	if got := b.Text("#no-redactions"); got == "" || redaction.Has(read(t, s, "Observation", note)) {
		t.Fatal("the redaction was not removed")
	}
}

// fhirGet reads path from the FHIR API with an access token for p (the
// scopes of p's role) and returns the status and body.
func fhirGet(t *testing.T, s *testbrowser.Stack, p *auth.Principal, path string) (int, string) {
	t.Helper()
	authority, err := tokens.ForStore(context.Background(), s.Store)
	if err != nil {
		t.Fatal(err)
	}
	p.Scopes = auth.ScopesOf(p.Role)
	tok, _, err := authority.Issue(context.Background(), p, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", s.URL+"/fhir/"+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var pretty any
	if json.Unmarshal(body, &pretty) != nil {
		t.Fatalf("GET %s: not JSON: %s", path, body)
	}
	return resp.StatusCode, string(body)
}
