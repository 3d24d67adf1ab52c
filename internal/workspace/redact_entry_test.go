package workspace_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/redaction"
	"github.com/gpcloud/gpcloud/internal/service"
)

// as signs in another member of the practice's staff over HTTP (made
// first, then asUser).
func (se *session) as(t *testing.T, name string, role auth.Role) *session {
	t.Helper()
	se.s.Staff(t, name, role, se.practice.OrganizationID, "")
	return se.asUser(t, name)
}

// TestRedactEntryRules: only clinicians remove words from online access
// (a receptionist and a practice admin are refused); a form for another
// patient, a stale version and a phrase not in the entry write nothing;
// the GP's redaction is stored on the entry with who and when, and the
// Provenance's reason (which the patient may read) does not hold the
// words.
func TestRedactEntryRules(t *testing.T) {
	se := signedIn(t)
	a, b := se.practice.Patients[0], se.practice.Patients[1]
	if resp := se.post(t, "/workspace/patients/"+a+"/consultations/new", consultForm(a)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	ctx := auth.WithPrincipal(context.Background(), se.principal)
	out, err := se.s.Service.Search(ctx, service.SearchRequest{Type: "Observation", Params: url.Values{"patient": {a}}})
	if err != nil {
		t.Fatal(err)
	}
	var note fhir.Resource
	raw, _ := json.Marshal(out.Resource)
	var bundle struct {
		Entry []struct{ Resource fhir.Resource }
	}
	if err := json.Unmarshal(raw, &bundle); err != nil {
		t.Fatal(err)
	}
	for _, e := range bundle.Entry {
		if e.Resource["valueString"] != nil {
			note = e.Resource
		}
	}
	if note == nil || note["valueString"] != "Dry cough for five days." {
		t.Fatalf("note: %v", note)
	}
	path := "/workspace/patients/" + a + "/entries/Observation/" + note.ID() + "/redact"
	version := note["meta"].(map[string]any)["versionId"].(string)
	form := func(patient, version, phrase string) url.Values {
		return url.Values{"patient": {patient}, "version": {version}, "phrase": {phrase}, "action": {"add"}}
	}
	current := func() fhir.Resource {
		o, err := se.s.Service.Read(ctx, "Observation", note.ID())
		if err != nil {
			t.Fatal(err)
		}
		r, _ := fhir.Unmarshal(o.Version.Body)
		return r
	}
	for _, tc := range []struct {
		name string
		who  *session
		form url.Values
		want int
	}{
		{"receptionist", se.as(t, "rec@http", auth.RoleReceptionist), form(a, version, "five days"), http.StatusForbidden},
		{"practice admin", se.as(t, "admin@http", auth.RolePracticeAdmin), form(a, version, "five days"), http.StatusForbidden},
		{"another patient's form", se, form(b, version, "five days"), http.StatusConflict},
		{"a stale version", se, form(a, "99", "five days"), http.StatusConflict},
		{"not in the entry", se, form(a, version, "ten days"), http.StatusUnprocessableEntity},
	} {
		if resp := tc.who.post(t, path, tc.form); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if redaction.Has(current()) {
			t.Fatalf("%s: a redaction was written", tc.name)
		}
	}
	if resp := se.post(t, path, form(a, version, "five days")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the GP's redaction: %d", resp.StatusCode)
	}
	rs := redaction.Of(current())
	if len(rs) != 1 || rs[0].Phrase != "five days" || rs[0].AuthorID != se.principal.FHIRUser || rs[0].Recorded == "" {
		t.Fatalf("stored: %+v", rs)
	}
	provs, err := se.s.Service.Search(ctx, service.SearchRequest{Type: "Provenance", Params: url.Values{"target": {"Observation/" + note.ID()}}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(provs.Resource)
	if !strings.Contains(string(body), "Words removed from online access") || strings.Contains(string(body), "five days") {
		t.Errorf("Provenance: %s", body)
	}
}
