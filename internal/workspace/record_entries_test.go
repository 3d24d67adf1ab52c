package workspace_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// get fetches a page as the session's user, without following redirects.
func (se *session) rxGet(t testing.TB, path string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", se.s.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// entries reads a patient's resources of a type as the GP.
func (se *session) rxEntries(t testing.TB, typ, patient string) []fhir.Resource {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), se.principal)
	out, err := se.s.Service.Search(ctx, service.SearchRequest{Type: typ, Params: url.Values{"patient": {patient}, "_count": {"100"}}})
	if err != nil {
		t.Fatal(err)
	}
	var res []fhir.Resource
	entries, _ := out.Resource["entry"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		if s, _ := em["search"].(map[string]any); s["mode"] != "match" {
			continue
		}
		switch r := em["resource"].(type) {
		case map[string]any:
			res = append(res, r)
		default:
			b, _ := fhir.Marshal(r)
			rr, _ := fhir.Unmarshal(b)
			res = append(res, rr)
		}
	}
	return res
}

// TestAllergiesNoKnownRefused: an allergy is recorded; "no known
// allergies" is then refused and writes nothing; ending the allergy with
// a stale version is refused (If-Match); ended, "no known allergies" is
// accepted.
func TestAllergiesNoKnownRefused(t *testing.T) {
	se := signedIn(t)
	patient := se.practice.Patients[0]
	path := "/workspace/patients/" + patient + "/allergies"
	// Start from nothing active: the demo may have recorded an allergy or
	// "no known allergies"; each is ended through the page.
	for _, a := range se.rxEntries(t, "AllergyIntolerance", patient) {
		v := a["meta"].(map[string]any)["versionId"].(string)
		if resp := se.post(t, path+"/"+a.ID(), url.Values{"patient": {patient}, "do": {"end"}, "version": {v}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("end the demo's allergy: %d", resp.StatusCode)
		}
	}
	before := len(se.rxEntries(t, "AllergyIntolerance", patient))
	allergy := url.Values{"patient": {patient}, "action": {"add"}, "none-known": {"allergy"}, "substance-pick": {"373270004|Penicillin class of antibiotic"},
		"type": {"allergy"}, "category": {"medication"}, "reaction": {"Rash"}, "severity": {"moderate"}, "certainty": {"confirmed"}}
	if resp := se.post(t, path, allergy); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add allergy: %d", resp.StatusCode)
	}
	stored := se.rxEntries(t, "AllergyIntolerance", patient)
	if len(stored) != before+1 {
		t.Fatalf("%d allergies, want %d", len(stored), before+1)
	}
	nka := url.Values{"patient": {patient}, "action": {"add"}, "none-known": {"none-known"}}
	if resp := se.post(t, path, nka); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("no known allergies with an active allergy: %d, want 422", resp.StatusCode)
	}
	if n := len(se.rxEntries(t, "AllergyIntolerance", patient)); n != before+1 {
		t.Errorf("a refused save wrote: %d allergies", n)
	}
	// The wrong patient's form is refused.
	wrong := url.Values{}
	for k, v := range allergy {
		wrong[k] = v
	}
	wrong.Set("patient", se.practice.Patients[1])
	if resp := se.post(t, path, wrong); resp.StatusCode != http.StatusConflict {
		t.Errorf("another patient's form: %d, want 409", resp.StatusCode)
	}
	var penicillin fhir.Resource
	for _, a := range se.rxEntries(t, "AllergyIntolerance", patient) {
		if strings.Contains(string(rxJSON(a)), "373270004") && a["clinicalStatus"] != nil && strings.Contains(string(rxJSON(a)), `"active"`) {
			penicillin = a
		}
	}
	version := penicillin["meta"].(map[string]any)["versionId"].(string)
	end := url.Values{"patient": {patient}, "do": {"end"}, "version": {"99"}}
	if resp := se.post(t, path+"/"+penicillin.ID(), end); resp.StatusCode != http.StatusConflict {
		t.Errorf("end with a stale version: %d, want 409", resp.StatusCode)
	}
	end.Set("version", version)
	if resp := se.post(t, path+"/"+penicillin.ID(), end); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end: %d", resp.StatusCode)
	}
	if resp := se.post(t, path, nka); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("no known allergies once the allergy ended: %d", resp.StatusCode)
	}
	if resp := se.post(t, path, allergy); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an allergy while no known allergies is active: %d, want 422", resp.StatusCode)
	}
	if status, body, _ := se.rxGet(t, path); status != 200 || !strings.Contains(body, "No known allergies") {
		t.Errorf("allergies page: %d", status)
	}
}

// TestSensitiveRecordAsksReason: a record labelled restricted sends the
// GP to the reason page; without a reason the service gives nothing of
// it; with one the record opens and the banner says so.
func TestSensitiveRecordAsksReason(t *testing.T) {
	se := signedIn(t)
	patient := se.practice.Patients[0]
	ctx := context.Background()
	out, err := se.s.Service.Read(ctx, "Patient", patient)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := fhir.Unmarshal(out.Version.Body)
	p["meta"] = map[string]any{"security": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}}}
	if _, err := se.s.Service.Update(ctx, "Patient", patient, p, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	base := "/workspace/patients/" + patient
	status, _, loc := se.rxGet(t, base+"/problems")
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, base+"/break-glass") {
		t.Fatalf("sensitive record: %d to %q, want the reason page", status, loc)
	}
	if resp := se.post(t, base+"/alerts", url.Values{"patient": {patient}, "kind": {"carer"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a write without a reason: %d, want 403", resp.StatusCode)
	}
	if resp := se.post(t, base+"/break-glass", url.Values{"patient": {patient}, "reason": {""}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an empty reason: %d, want 422", resp.StatusCode)
	}
	if resp := se.post(t, base+"/break-glass", url.Values{"patient": {patient}, "reason": {"Seeing the patient today"}, "next": {base + "/problems"}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"/problems" {
		t.Fatalf("reason given: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	status, body, _ := se.rxGet(t, base+"/problems")
	if status != 200 || !strings.Contains(body, "Seeing the patient today") || !strings.Contains(body, "Sensitive record") {
		t.Errorf("after the reason: %d", status)
	}
	if resp := se.post(t, base+"/alerts", url.Values{"patient": {patient}, "kind": {"carer"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a write with the reason given: %d", resp.StatusCode)
	}
	// The audit trail has the break-glass, with the reason, for the
	// practice to review.
	se.s.Trail.Flush()
	events, err := se.s.Service.Search(ctx, service.SearchRequest{Type: "AuditEvent", Params: url.Values{
		"subtype": {"https://gpcloud.dev/fhir/CodeSystem/audit-flag|break-glass"}, "patient": {patient}, "_count": {"100"}}})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := fhir.Marshal(events.Resource); !strings.Contains(string(b), "Seeing the patient today") {
		t.Errorf("no break-glass audit event with the reason: %.500s", b)
	}
}

func rxJSON(r fhir.Resource) []byte {
	b, _ := fhir.Marshal(r)
	return b
}

// postPage posts a form and returns the status and the page.
func (se *session) rxPostPage(t testing.TB, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set("csrf", se.csrf)
	req, _ := http.NewRequest("POST", se.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: se.cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestFindWithoutJavaScript: Find is a plain form post that comes back
// with the matches, keeping what was typed and writing nothing; a vaccine
// field offers vaccines only.
func TestFindWithoutJavaScript(t *testing.T) {
	se := signedIn(t)
	patient := se.practice.Patients[0]
	before := len(se.rxEntries(t, "Immunization", patient))
	status, body := se.rxPostPage(t, "/workspace/patients/"+patient+"/immunisations", url.Values{"patient": {patient}, "action": {"find-vaccine"},
		"vaccine-q": {"influenza"}, "batch": {"AB12"}})
	if status != http.StatusOK || !strings.Contains(body, "Seasonal influenza vaccine") || !strings.Contains(body, `value="AB12"`) {
		t.Errorf("find: %d", status)
	}
	if n := len(se.rxEntries(t, "Immunization", patient)); n != before {
		t.Errorf("find wrote: %d immunisations, want %d", n, before)
	}
	// A disease is not a vaccine, even sent by hand.
	status, _ = se.rxPostPage(t, "/workspace/patients/"+patient+"/immunisations", url.Values{"patient": {patient}, "action": {"add"},
		"vaccine-pick": {"6142004|Influenza"}, "given": {"declined"}, "date-day": {"1"}, "date-month": {"11"}, "date-year": {"2026"}})
	if status != http.StatusUnprocessableEntity {
		t.Errorf("a disease as the vaccine: %d, want 422", status)
	}
}
