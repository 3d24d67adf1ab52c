package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestPracticeFormOverHTTP, on SQLite and PostgreSQL: a practice admin
// adds a question (a draft), a change to a red flag is refused, only a
// GP signs off; the portal then asks the new question and the response
// names the version; after a later edit and sign-off the old version is
// retired and the old request still reads with its own question.
func TestPracticeFormOverHTTP(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		practiceFormOverHTTP(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		practiceFormOverHTTP(t, storetest.OpenPostgres(t)) // skips without GPCLOUD_TEST_POSTGRES
	})
}

func practiceFormOverHTTP(t *testing.T, st store.Store) {
	s := testbrowser.NewStackWith(t, testbrowser.StackOptions{Store: st})
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	org, me := practice.OrganizationID, practice.Patients[0]
	admin := signIn(t, s, &identity.User{ID: "admin@forms", Name: "Ann Admin", Role: auth.RolePracticeAdmin, Practice: org})
	gp := signIn(t, s, &identity.User{ID: "dr@forms", Name: "Dr Gill Partner", Role: auth.RoleGP, Practice: org})
	nurse := signIn(t, s, &identity.User{ID: "nurse@forms", Name: "Nurse N", Role: auth.RoleNurse, Practice: org})
	pat := signIn(t, s, &identity.User{ID: "pat@forms", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}})
	forms := func() clinical.PracticeForms {
		return clinical.PickForms(org, search(t, s, "Questionnaire", url.Values{"url": {clinical.PracticeFormURL(org)}}))
	}
	draft := func() string {
		if d := forms().Draft; d != nil {
			return d.VersionID
		}
		return ""
	}

	if code, body, _ := admin.get("/workspace/admin/forms"); code != 200 || !strings.Contains(body, "no questions of the practice") || !strings.Contains(body, clinical.RedFlags[0].Question) {
		t.Fatalf("form page: %d", code)
	}
	if code, _, _ := nurse.get("/workspace/admin/forms"); code != http.StatusForbidden {
		t.Fatalf("a nurse: %d", code)
	}
	// Bad input: the error summary, nothing written.
	if code, body, _ := admin.post("/workspace/admin/forms/questions", url.Values{"kind": {"medical"}, "type": {"choice"}, "options": {"Only one"}, "required": {"yes"}, "draft": {""}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "nhsuk-error-summary") || !strings.Contains(body, "Enter the question") || !strings.Contains(body, "Enter between 2 and 10 options") {
		t.Fatalf("bad question: %d", code)
	}
	if n := len(forms().All); n != 0 {
		t.Fatalf("a refused question wrote %d versions", n)
	}
	add := url.Values{"kind": {"medical"}, "text": {"Have you taken anything for it?"}, "help": {"Medicines from a shop count."}, "type": {"text"}, "required": {"yes"}, "draft": {""}}
	if code, _, loc := admin.post("/workspace/admin/forms/questions", add); code != http.StatusSeeOther || !strings.Contains(loc, "done=added") {
		t.Fatalf("add: %d %s", code, loc)
	}
	f := forms()
	if f.Draft == nil || f.Draft.Version != 1 || len(f.Draft.Questions) != 1 || f.Active.Version != 0 {
		t.Fatalf("after add: %+v", f)
	}
	qid := f.Draft.Questions[0].ID
	// A red flag cannot be reworded, made optional or removed, whatever
	// is posted; and a stale draft is refused.
	for _, action := range []url.Values{
		{"action": {"save"}, "kind": {"medical"}, "text": {"Any pain?"}, "type": {"boolean"}, "required": {"no"}},
		{"action": {"remove"}},
		{"action": {"up"}},
	} {
		action.Set("draft", draft())
		if code, body, _ := admin.post("/workspace/admin/forms/questions/flag-chest", action); code != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot be changed") {
			t.Fatalf("red flag %s: %d", action.Get("action"), code)
		}
	}
	if code, _, _ := admin.post("/workspace/admin/forms/questions/"+qid, url.Values{"action": {"remove"}, "draft": {"999"}}); code != http.StatusConflict {
		t.Fatalf("stale draft: %d", code)
	}
	if got := forms(); got.Draft.VersionID != f.Draft.VersionID || len(got.Draft.Questions) != 1 {
		t.Fatal("a refused edit changed the draft")
	}
	// The patient still sees the base form: the draft is not signed off.
	if _, body, _ := pat.post("/patient/help", flagsNo(me)); strings.Contains(body, "Have you taken anything") {
		t.Fatal("the portal showed a draft question")
	}
	// Sign-off: not the admin; the GP, confirming.
	if code, _, _ := admin.post("/workspace/admin/forms/publish", url.Values{"draft": {draft()}, "confirm": {"yes"}}); code != http.StatusForbidden {
		t.Fatalf("admin publish: %d", code)
	}
	if code, body, _ := gp.post("/workspace/admin/forms/publish", url.Values{"draft": {draft()}}); code != http.StatusBadRequest || !strings.Contains(body, "Confirm that you have reviewed") {
		t.Fatalf("publish unconfirmed: %d", code)
	}
	if code, _, loc := gp.post("/workspace/admin/forms/publish", url.Values{"draft": {draft()}, "confirm": {"yes"}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=published") {
		t.Fatalf("publish: %d %s", code, loc)
	}
	if f := forms(); f.Draft != nil || f.Active.Version != 1 || f.Active.ApprovedBy.Display != "Dr Gill Partner" || f.Active.ApprovalDate == "" {
		t.Fatalf("after publish: %+v", f)
	}

	// The portal asks the new question; a required one left blank is
	// refused with the error summary; the response names version 1.
	if code, body, _ := pat.post("/patient/help", flagsNo(me)); code != 200 || !strings.Contains(body, "Have you taken anything for it?") || !strings.Contains(body, `name="form-version" value="1"`) {
		t.Fatalf("details step: %d", code)
	}
	send := flagsNo(me)
	send.Del("step")
	send.Set("details", "A cough for a week")
	send.Set("how-long", "days")
	send.Set("form-version", "1")
	if code, body, _ := pat.post("/patient/help/send", send); code != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") || !strings.Contains(body, "#"+qid) {
		t.Fatalf("required practice question: %d", code)
	}
	send.Set(qid, "Paracetamol")
	code, _, loc := pat.post("/patient/help/send", send)
	if code != http.StatusSeeOther {
		t.Fatalf("send: %d", code)
	}
	task := read(t, s, "Task", strings.TrimPrefix(loc, "/patient/help/sent/"))
	if task["priority"] != "routine" {
		t.Fatalf("a practice question's answer changed the priority: %v", task["priority"]) // H-1039: no triage
	}
	focus, _ := task["focus"].(map[string]any)
	qr := read(t, s, "QuestionnaireResponse", strings.TrimPrefix(focus["reference"].(string), "QuestionnaireResponse/"))
	if qr["questionnaire"] != clinical.PracticeFormURL(org)+"|1" {
		t.Fatalf("questionnaire %v", qr["questionnaire"])
	}

	// A later edit and sign-off: version 1 is retired, not deleted, and
	// the old request reads with its own question and version.
	if code, _, _ := admin.post("/workspace/admin/forms/questions/"+qid, url.Values{"action": {"save"}, "kind": {"medical"}, "text": {"Which medicines have you tried?"}, "type": {"text"}, "required": {"no"}, "draft": {""}}); code != http.StatusSeeOther {
		t.Fatalf("edit: %d", code)
	}
	if code, _, _ := gp.post("/workspace/admin/forms/publish", url.Values{"draft": {draft()}, "confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("publish 2: %d", code)
	}
	f = forms()
	if v1, ok := f.Version(1); !ok || v1.Status != clinical.FormRetired || f.Active.Version != 2 || len(f.All) != 2 {
		t.Fatalf("versions after the second sign-off: %+v", f.All)
	}
	if _, body, _ := pat.post("/patient/help", flagsNo(me)); !strings.Contains(body, "Which medicines have you tried? (optional)") {
		t.Fatal("the portal does not show the edited question")
	}
	code, body, _ := gp.get("/workspace/requests/" + task.ID())
	if code != 200 || !strings.Contains(body, "Have you taken anything for it?") || !strings.Contains(body, "Paracetamol") ||
		!strings.Contains(body, "version 1, signed off by Dr Gill Partner") || !strings.Contains(body, "since replaced") {
		t.Fatalf("old request in the workspace: %d", code)
	}
	if code, body, _ := admin.get("/workspace/admin/forms/preview/medical"); code != 200 || !strings.Contains(body, "Which medicines have you tried?") {
		t.Fatalf("preview: %d", code)
	}
}

// flagsNo is the red-flag step answered no throughout.
func flagsNo(patient string) url.Values {
	v := url.Values{"patient": {patient}, "step": {"flags"}, "kind": {"medical"}}
	for _, f := range clinical.RedFlags {
		v.Set(f.ID, "no")
	}
	return v
}
