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
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestFileMessagesToRecord: a GP files a patient's messages to the
// record with a summary: a journal entry (Encounter, note, Composition)
// whose note quotes the messages and links each Communication; a blank
// summary shows the error and files nothing; a page shown before a new
// message came in files nothing; a receptionist cannot file; filed
// messages are not offered again.
func TestFileMessagesToRecord(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := practice.Patients[0]
	pat := signIn(t, s, &identity.User{ID: "pat", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	gp := signIn(t, s, &identity.User{ID: "drgee", Name: "Dr Gee", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: "Practitioner/" + practice.Clinicians[0].ID})
	desk := signIn(t, s, &identity.User{ID: "desk", Name: "Rita Reception", Role: auth.RoleReceptionist, Practice: practice.OrganizationID})
	if code, _, _ := pat.postFile("/patient/messages", url.Values{"patient": {me}, "message": {"My cough is better"}}, "", nil); code != http.StatusSeeOther {
		t.Fatalf("send: %d", code)
	}
	msg := search(t, s, "Communication", url.Values{"patient": {"Patient/" + me}})[0]
	convo := "/workspace/patients/" + me + "/messages"
	notes := func() []fhir.Resource {
		return search(t, s, "Observation", url.Values{"patient": {"Patient/" + me}, "code": {clinical.SNOMED + "|" + clinical.CommentNoteCode}})
	}
	if code, body, _ := gp.get(convo); code != 200 || !strings.Contains(body, `name="filing" value="`+msg.ID()+`"`) {
		t.Fatalf("GP's conversation: %d", code)
	}
	if code, body, _ := desk.get(convo); code != 200 || strings.Contains(body, "file-messages") {
		t.Fatalf("receptionist's conversation offers filing: %d", code)
	}
	if code, _, _ := desk.post(convo+"/file", url.Values{"patient": {me}, "filing": {msg.ID()}, "summary": {"x"}}); code != http.StatusForbidden {
		t.Fatalf("receptionist files: %d", code)
	}
	if code, body, _ := gp.post(convo+"/file", url.Values{"patient": {me}, "filing": {msg.ID()}, "summary": {" "}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a summary for the record") || !strings.Contains(body, "nhsuk-error-summary") {
		t.Fatalf("blank summary: %d", code)
	}
	if code, _, _ := gp.post(convo+"/file", url.Values{"patient": {me}, "summary": {"Cough resolved"}}); code != http.StatusConflict {
		t.Fatalf("a page from before the message: %d", code)
	}
	if len(notes()) != 0 {
		t.Fatal("a refused filing wrote a note")
	}
	if code, _, loc := gp.post(convo+"/file", url.Values{"patient": {me}, "filing": {msg.ID()}, "summary": {"Cough resolved, no action"}}); code != http.StatusSeeOther || !strings.Contains(loc, "filed=1") {
		t.Fatalf("file: %d %s", code, loc)
	}
	n := notes()
	if len(n) != 1 || !strings.Contains(n[0]["valueString"].(string), "Cough resolved, no action") || !strings.Contains(n[0]["valueString"].(string), "My cough is better") ||
		!clinical.FiledMessages(n)[msg.ID()] {
		t.Fatalf("note %v", n)
	}
	encs := search(t, s, "Encounter", url.Values{"patient": {"Patient/" + me}})
	found := false
	for _, e := range encs {
		if strings.Contains(e["type"].([]any)[0].(map[string]any)["text"].(string), clinical.MessagesFiledType) {
			found = true
		}
	}
	if !found {
		t.Fatal("no journal entry")
	}
	if code, body, _ := gp.get(convo); code != 200 || strings.Contains(body, "file-messages") || !strings.Contains(body, "My cough is better") {
		t.Fatalf("filed messages offered again: %d", code)
	}
	if code, body, _ := gp.get("/workspace/patients/" + me + "/consultations"); code != 200 || !strings.Contains(body, "Cough resolved, no action") {
		t.Fatalf("journal: %d", code)
	}
}
