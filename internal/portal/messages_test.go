package portal_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// pngFile is the smallest PNG a sniffer recognises.
var pngFile = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

// postFile posts a multipart form with one file.
func (c *client) postFile(path string, form url.Values, name string, data []byte) (int, string, string) {
	c.t.Helper()
	form.Set("csrf", c.csrf)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("attachment", name)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestMessagesOverHTTP: a patient writes to the practice with a photo
// (an empty message, a program posing as a photo and a file over the
// limit are refused with nothing written); another patient cannot open
// the photo; a receptionist finds it in the queue and replies (a reply
// to a conversation changed since it was shown is refused); the patient
// reads the reply. A proxy writes as themselves. An online request is
// answered from the practice's queue: the Task is completed with its
// outcome and the answer reaches the patient as a message.
func TestMessagesOverHTTP(t *testing.T) {
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me, other := practice.Patients[0], practice.Patients[1]
	pat := signIn(t, s, &identity.User{ID: "pat", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	stranger := signIn(t, s, &identity.User{ID: "stranger", Name: "Stranger", Role: auth.RolePatient, Patients: []string{other}})
	desk := signIn(t, s, &identity.User{ID: "desk", Name: "Rita Reception", Role: auth.RoleReceptionist, Practice: practice.OrganizationID})
	comms := func() int { return len(search(t, s, "Communication", url.Values{"patient": {"Patient/" + me}})) }

	if code, body, _ := pat.get("/patient/messages"); code != 200 || !strings.Contains(body, "Do not use messages for anything urgent") {
		t.Fatalf("messages page: %d", code)
	}
	if code, body, _ := pat.postFile("/patient/messages", url.Values{"patient": {me}, "message": {"  "}}, "", nil); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter your message") {
		t.Fatalf("blank message: %d", code)
	}
	if code, body, _ := pat.postFile("/patient/messages", url.Values{"patient": {me}, "message": {"My rash"}}, "rash.jpg", []byte("MZ\x90\x00\x03\x00\x00\x00 not a photo")); code != http.StatusUnprocessableEntity || !strings.Contains(body, "must be a photo") {
		t.Fatalf("a program as a photo: %d", code)
	}
	big := append(append([]byte{}, pngFile...), make([]byte, clinical.MaxAttachmentBytes+100<<10)...)
	if code, body, _ := pat.postFile("/patient/messages", url.Values{"patient": {me}, "message": {"Big"}}, "big.png", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "nothing was sent") {
		t.Fatalf("too big: %d", code)
	}
	if code, _, _ := pat.postFile("/patient/messages", url.Values{"patient": {other}, "message": {"Wrong tab"}}, "", nil); code != http.StatusConflict {
		t.Fatalf("another record's form: %d", code)
	}
	if n := comms(); n != 0 {
		t.Fatalf("refused messages wrote %d Communications", n)
	}
	code, _, loc := pat.postFile("/patient/messages", url.Values{"patient": {me}, "message": {"Is this rash anything to worry about?\nIt is itchy."}}, `C:\photos\rash.png`, pngFile)
	if code != http.StatusSeeOther || loc != "/patient/messages?sent=1#sent" {
		t.Fatalf("send: %d %s", code, loc)
	}
	sent := search(t, s, "Communication", url.Values{"patient": {"Patient/" + me}})
	if len(sent) != 1 {
		t.Fatalf("%d Communications", len(sent))
	}
	m := clinical.MessageOf(sent[0])
	if !m.Awaiting || m.Attachment == nil || m.Attachment.Binary == "" || m.Attachment.Title != "rash.png" {
		t.Fatalf("sent %+v %+v", m, m.Attachment)
	}
	if sender, _ := sent[0]["sender"].(map[string]any); sender["reference"] != "Patient/"+me {
		t.Fatalf("sender %v", sender)
	}
	_, body, _ := pat.get("/patient/messages")
	if !strings.Contains(body, "Is this rash anything") || !strings.Contains(body, "Not yet replied to") {
		t.Fatal("the conversation does not show the message")
	}
	file := "/patient/messages/" + m.ID + "/attachment"
	req, _ := http.NewRequest("GET", pat.base+file, nil)
	resp, err := pat.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("attachment: %d %v", resp.StatusCode, resp.Header)
	}
	if code, _, _ := stranger.get(file); code != http.StatusNotFound {
		t.Fatalf("another patient opens the photo: %d", code)
	}
	if code, body, _ := stranger.get("/patient/messages"); code != 200 || strings.Contains(body, "rash") {
		t.Fatal("another patient sees the conversation")
	}

	// The practice: the queue, the conversation, a reply.
	if code, body, _ := desk.get("/workspace/messages"); code != 200 || !strings.Contains(body, "Is this rash anything") {
		t.Fatalf("queue: %d", code)
	}
	if code, body, _ := desk.get("/workspace/messages/counts"); code != 200 || !strings.HasPrefix(body, "1<span") {
		t.Fatalf("the menu's count: %d %q", code, body)
	}
	convo := "/workspace/patients/" + me + "/messages"
	code, body, _ = desk.get(convo)
	answers := regexp.MustCompile(`name="answers" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if code != 200 || len(answers) != 1 {
		t.Fatalf("conversation: %d, %d to answer", code, len(answers))
	}
	// No email or SMS on this stack: the page says the patient is not told.
	if !strings.Contains(body, "Email and text messages are not connected, so the patient is not told about this reply") {
		t.Fatal("the conversation does not say that the patient is not told of the reply")
	}
	if code, _, _ := desk.post(convo, url.Values{"patient": {me}, "answers": {answers[0][1]}, "reply": {""}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("empty reply: %d", code)
	}
	if code, _, _ := desk.post(convo, url.Values{"patient": {other}, "answers": {answers[0][1]}, "reply": {"Hello"}}); code != http.StatusConflict {
		t.Fatalf("reply from another patient's tab: %d", code)
	}
	if code, _, _ := desk.post(convo, url.Values{"patient": {me}, "reply": {"Stale"}}); code != http.StatusConflict {
		t.Fatalf("a reply that has not seen the message: %d", code)
	}
	if n := comms(); n != 1 {
		t.Fatalf("refused replies wrote: %d Communications", n)
	}
	if code, _, loc := desk.post(convo, url.Values{"patient": {me}, "answers": {answers[0][1]}, "reply": {"Please book a routine appointment."}}); code != http.StatusSeeOther || !strings.HasPrefix(loc, convo) {
		t.Fatalf("reply: %d %s", code, loc)
	}
	if got := clinical.MessageOf(read(t, s, "Communication", m.ID)); got.Awaiting {
		t.Fatal("the message is still awaiting a reply")
	}
	if _, body, _ := desk.get("/workspace/messages"); strings.Contains(body, "Is this rash anything") {
		t.Fatal("an answered message is still in the queue")
	}
	if _, body, _ := pat.get("/patient/messages"); !strings.Contains(body, "Please book a routine appointment.") || !strings.Contains(body, "From your GP surgery") {
		t.Fatal("the patient does not see the reply")
	}

	// A proxy writes as themselves about the person, never as them.
	child := adultOf(t, s, practice.Patients[2:]) // cared for, with a lasting power of attorney
	proxy := signIn(t, s, &identity.User{ID: "mum", Name: "Mum Example", Role: auth.RoleProxy, Patients: []string{child}, IdentityProof: "P9"})
	decide(t, s, child, "mum", clinical.GrantChange{Do: "grant", Basis: clinical.BasisLPA, Services: []string{clinical.ServiceMessages}}, nil)
	if code, _, _ := proxy.postFile("/patient/messages", url.Values{"patient": {child}, "message": {"About my father's inhalers"}}, "", nil); code != http.StatusSeeOther {
		t.Fatalf("proxy message: %d", code)
	}
	pm := search(t, s, "Communication", url.Values{"patient": {"Patient/" + child}})
	if len(pm) != 1 {
		t.Fatalf("%d proxy messages", len(pm))
	}
	if sender, _ := pm[0]["sender"].(map[string]any); sender["reference"] != nil || !strings.Contains(sender["display"].(string), "Mum Example (acting for") {
		t.Fatalf("proxy sender %v", sender)
	}

	// An online request, answered from the practice's queue.
	form := url.Values{"patient": {me}, "kind": {"medical"}, "details": {"A cough for three weeks"}, "how-long": {"weeks"}}
	for _, f := range clinical.RedFlags {
		form.Set(f.ID, "no")
	}
	code, _, loc = pat.post("/patient/help/send", form)
	if code != http.StatusSeeOther {
		t.Fatalf("request: %d", code)
	}
	taskID := strings.TrimPrefix(loc, "/patient/help/sent/")
	if code, body, _ := desk.get("/workspace/requests"); !strings.Contains(body, "A cough for three weeks") || !strings.Contains(body, "/workspace/requests/"+taskID) {
		t.Fatalf("the request is not in the practice's queue: %d\n%s", code, body)
	}
	reqPage := "/workspace/requests/" + taskID
	code, body, _ = desk.get(reqPage)
	if code != 200 || !strings.Contains(body, "Do you have chest pain") || !strings.Contains(body, "A cough for three weeks") {
		t.Fatalf("request page: %d", code)
	}
	if !strings.Contains(body, "Not connected") {
		t.Fatal("the request page does not say that email and text are not connected")
	}
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)[1]
	if code, body, _ := desk.post(reqPage, url.Values{"patient": {me}, "version": {version}, "reply": {"We will call"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Select what the practice will do") {
		t.Fatalf("no outcome: %d", code)
	}
	if code, _, _ := desk.post(reqPage, url.Values{"patient": {me}, "version": {"99"}, "outcome": {"phone"}, "reply": {"We will call"}}); code != http.StatusConflict {
		t.Fatalf("stale version: %d", code)
	}
	if code, _, loc := desk.post(reqPage, url.Values{"patient": {me}, "version": {version}, "outcome": {"phone"}, "reply": {"A GP will phone you this afternoon."}}); code != http.StatusSeeOther || loc != "/workspace/requests?answered=1" {
		t.Fatalf("answer: %d %s", code, loc)
	}
	task := read(t, s, "Task", taskID)
	if task["status"] != "completed" || clinical.OutcomeOf(task) != "Phone call arranged" {
		t.Fatalf("task after answer: %v %v", task["status"], task["businessStatus"])
	}
	if _, body, _ := desk.get("/workspace/requests"); strings.Contains(body, "A cough for three weeks") {
		t.Fatal("an answered request is still in the queue")
	}
	if _, body, _ := desk.get("/workspace/messages/counts"); !strings.HasPrefix(body, "1<span") { // the proxy's message
		t.Fatalf("the menu counts %q, want the one message waiting", body)
	}
	if _, body, _ := pat.get("/patient/help"); !strings.Contains(body, "Done: phone call arranged") {
		t.Fatal("the patient's request list does not show the outcome")
	}
	if _, body, _ := pat.get("/patient/messages"); !strings.Contains(body, "A GP will phone you this afternoon.") {
		t.Fatal("the answer does not reach the patient")
	}

	// Messages turned off for this patient, then for the whole practice:
	// the page says so and a message posted anyway is refused.
	_, body, _ = desk.get(convo)
	pv := regexp.MustCompile(`id="patient-messaging-off"`).MatchString(body)
	ver := regexp.MustCompile(`action="/workspace/patients/[^"]+/messages/setting"[\s\S]*?name="version" value="(\d+)"`).FindStringSubmatch(body)
	if !pv || ver == nil {
		t.Fatal("no messaging setting on the patient's Messages tab")
	}
	if code, _, _ := desk.post(convo+"/setting", url.Values{"patient": {me}, "version": {ver[1]}, "on": {"0"}}); code != http.StatusSeeOther {
		t.Fatalf("turn off for the patient: %d", code)
	}
	before := comms()
	if _, body, _ := pat.get("/patient/messages"); !strings.Contains(body, "messages-off") || strings.Contains(body, `id="write"`) {
		t.Fatal("the patient is still offered the form")
	}
	if code, _, _ := pat.postFile("/patient/messages", url.Values{"patient": {me}, "message": {"Anyway"}}, "", nil); code != http.StatusForbidden {
		t.Fatalf("a message while off: %d", code)
	}
	if comms() != before {
		t.Fatal("a message was written while messages were off")
	}
	_, body, _ = desk.get(convo)
	ver = regexp.MustCompile(`action="/workspace/patients/[^"]+/messages/setting"[\s\S]*?name="version" value="(\d+)"`).FindStringSubmatch(body)
	if code, _, _ := desk.post(convo+"/setting", url.Values{"patient": {me}, "version": {ver[1]}, "on": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("turn on for the patient: %d", code)
	}
	admin := signIn(t, s, &identity.User{ID: "admin", Name: "Ada Admin", Role: auth.RolePracticeAdmin, Practice: practice.OrganizationID})
	if _, body, _ := desk.get("/workspace/messages"); strings.Contains(body, "practice-messaging-off") {
		t.Fatal("a receptionist is offered the practice's setting")
	}
	_, body, _ = admin.get("/workspace/messages")
	ver = regexp.MustCompile(`action="/workspace/messages/setting"[\s\S]*?name="version" value="(\d+)"`).FindStringSubmatch(body)
	if ver == nil {
		t.Fatal("no practice setting for the practice admin")
	}
	if code, _, _ := admin.post("/workspace/messages/setting", url.Values{"version": {"999"}, "on": {"0"}}); code != http.StatusConflict {
		t.Fatalf("a stale setting: %d", code)
	}
	if code, _, _ := admin.post("/workspace/messages/setting", url.Values{"version": {ver[1]}, "on": {"0"}}); code != http.StatusSeeOther {
		t.Fatalf("turn off for the practice: %d", code)
	}
	if _, body, _ := pat.get("/patient/messages"); !strings.Contains(body, "does not take messages online") {
		t.Fatal("the patient is not told the practice turned messages off")
	}
}
