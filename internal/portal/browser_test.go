package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/notify/notifytest"
	"github.com/gpcloud/gpcloud/internal/portalnotice"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserPortal: on a phone-sized screen a patient signs in and lands
// on their home page, books an online slot and cancels it, asks for help
// (a red-flag answer stops the request and sends nothing; a safe one
// reaches the practice as a Task, which a GP's FHIR client then finds),
// orders a repeat and reads their record; a proxy switches record. Every
// page passes axe-core and fits 320 px without sideways scrolling.
func TestBrowserPortal(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := withRepeat(t, s, practice)
	pat := s.User(t, &identity.User{ID: "pat@test", Name: "Pat Example", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	// The first slot offered may start within the default cut-off:
	// cancelling online is allowed until the start here
	// (TestBrowserPortalRules shows the cut-off).
	setPortalSettings(t, s, practice.OrganizationID, clinical.PortalSettings{OrderWindowDays: 7, CancelCutoffHours: 0})

	phone := func() { b.Do(chromedp.EmulateViewport(375, 812)) }
	check := func(name string) {
		t.Helper()
		b.Axe(name)
		b.Narrow(name, 320)
		phone()
		b.Shot(name)
	}
	phone()
	b.SignIn(s.URL, pat)
	if got := b.Eval(`location.pathname`); got != "/patient/" {
		t.Fatalf("a patient lands on %s", got)
	}
	b.Text("#card-appointments")
	check("portal-home")

	// Book an online slot, then cancel it.
	b.ClickAndLoad("#card-appointments")
	check("portal-appointments")
	b.ClickAndLoad("#book")
	check("portal-book-mode")
	b.ClickAndLoad("#continue") // nothing chosen: asked again
	if !strings.Contains(b.Text(".nhsuk-error-summary"), "Select the type") {
		t.Fatal("no error for a missing type")
	}
	check("portal-book-mode-error")
	b.Eval(`document.querySelector('input[name=mode]').click(); "ok"`)
	b.ClickAndLoad("#continue")
	check("portal-book-days")
	b.ClickAndLoad("#days a")
	check("portal-book-times")
	b.ClickAndLoad("#times a")
	check("portal-book-confirm")
	b.Do(chromedp.SendKeys(chromedp.ID("reason"), "My knee hurts when I walk"))
	b.ClickAndLoad("#confirm")
	if !strings.Contains(b.Text("#booked"), "Appointment booked") {
		t.Fatalf("not booked: %s", b.Text("main"))
	}
	check("portal-booked")
	apptID := strings.TrimPrefix(b.Eval(`location.pathname`), "/patient/appointments/")
	slot := clinical.AppointmentSlot(read(t, s, "Appointment", apptID))
	if read(t, s, "Slot", slot)["status"] != "busy" {
		t.Fatal("the slot is not busy")
	}
	b.ClickAndLoad("#cancel")
	check("portal-cancel")
	b.ClickAndLoad("#confirm-cancel")
	if !strings.Contains(b.Text(".nhsuk-error-summary"), "why you are cancelling") {
		t.Fatal("no error for a missing reason")
	}
	check("portal-cancel-error")
	b.Eval(`document.getElementById('reason-cannot-attend').click(); "ok"`)
	b.ClickAndLoad("#confirm-cancel")
	b.Text("#cancelled")
	if !strings.Contains(b.Text("#withdrawn"), "Cancelled") {
		t.Fatal("the cancelled appointment is not listed as cancelled")
	}
	check("portal-cancelled")
	if read(t, s, "Appointment", apptID)["status"] != "cancelled" || read(t, s, "Slot", slot)["status"] != "free" {
		t.Fatal("not cancelled, or the slot is still busy")
	}

	// Ask for help: a red flag stops it.
	start := func() {
		b.Do(chromedp.Navigate(s.URL + "/patient/help"))
		b.Do(chromedp.WaitVisible(chromedp.ID("kind-medical")))
		b.Eval(`document.getElementById('kind-medical').click(); "ok"`)
		b.ClickAndLoad("#continue")
	}
	b.Do(chromedp.Navigate(s.URL + "/patient/help"))
	b.Text("#availability")
	check("portal-help")
	start()
	check("portal-help-flags")
	b.ClickAndLoad("#continue") // none answered
	check("portal-help-flags-error")
	for _, f := range clinical.RedFlags {
		answer := "no"
		if f.ID == "flag-chest" {
			answer = "yes"
		}
		b.Eval(`document.getElementById('` + f.ID + `-` + answer + `').click(); "ok"`)
	}
	b.ClickAndLoad("#continue")
	if !strings.Contains(b.Text("#urgent"), "Call 999") {
		t.Fatalf("a red flag did not stop the request: %s", b.Text("main"))
	}
	check("portal-help-urgent")
	if n := len(search(t, s, "Task", url.Values{"patient": {"Patient/" + me}})); n != 0 {
		t.Fatalf("the red-flag request made %d Tasks", n)
	}
	// A safe one is sent, from the keyboard alone: Space chooses a
	// radio, Tab moves on, Enter submits.
	focus := func(id string) { b.Eval(`document.getElementById('` + id + `').focus(); "ok"`) }
	b.Do(chromedp.Navigate(s.URL+"/patient/help"), chromedp.WaitVisible(chromedp.ID("kind-medical")))
	focus("kind-medical")
	b.Do(chromedp.KeyEvent(" "))
	focus("continue")
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("flag-chest-no")))
	for _, f := range clinical.RedFlags {
		focus(f.ID + "-no")
		b.Do(chromedp.KeyEvent(" "))
	}
	focus("continue")
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("details")))
	check("portal-help-details")
	focus("details")
	b.Do(chromedp.KeyEvent("A dry cough that keeps me awake"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(" ")) // the first "how long" choice
	for i := 0; i < 1; i++ {
		b.Do(chromedp.KeyEvent(kb.ArrowDown)) // radios move with the arrow keys: 1 to 4 weeks
	}
	if got := b.Eval(`document.querySelector('input[name="how-long"]:checked').value`); got != "weeks" {
		t.Fatalf("keyboard chose %q", got)
	}
	focus("send")
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("reference")))
	ref := b.Text("#reference")
	if !strings.HasPrefix(ref, "OC-") {
		t.Fatalf("no reference: %s", b.Text("main"))
	}
	check("portal-help-sent")
	b.Do(chromedp.Navigate(s.URL+"/patient/help"), chromedp.WaitVisible(chromedp.ID("requests")))
	if got := b.Text("#requests"); !strings.Contains(got, ref) || !strings.Contains(got, "Sent to the practice") {
		t.Fatalf("the request is not listed: %s", got)
	}
	check("portal-help-requests")

	// Order a repeat.
	b.Do(chromedp.Navigate(s.URL+"/patient/prescriptions"), chromedp.WaitVisible(chromedp.ID("order")))
	check("portal-repeats")
	b.Eval(`document.querySelector('input[name=medicine]:not([disabled])').click(); "ok"`)
	b.ClickAndLoad("#order")
	b.Text("#sent")
	if !strings.Contains(b.Text("#requests"), "Sent to the practice") {
		t.Fatal("the request's status is not shown")
	}
	check("portal-repeats-sent")

	// Contact details.
	b.Do(chromedp.Navigate(s.URL+"/patient/details"), chromedp.WaitVisible(chromedp.ID("mobile")))
	check("portal-details")
	b.Eval(`document.getElementById('mobile').value = ''; "ok"`)
	b.Do(chromedp.SendKeys(chromedp.ID("mobile"), "07700 900982"))
	b.ClickAndLoad("#send-details")
	b.Text("#saved") // a new mobile is applied at once
	check("portal-details-saved")

	// The record.
	b.Do(chromedp.Navigate(s.URL + "/patient/record"))
	b.Text("#medicines")
	check("portal-record")
	b.ClickAndLoad("#views-link")
	b.Text("h1")
	check("portal-record-views")

	// The practice sees both requests through the FHIR API, as a GP's app.
	gp := practice.Clinicians[0]
	tasks := fhirSearch(t, s, &auth.Principal{Subject: "gp@test", Role: auth.RoleGP, Practice: practice.OrganizationID, FHIRUser: "Practitioner/" + gp.ID},
		"Task?owner=Organization/"+practice.OrganizationID+"&status=requested")
	var online, repeat bool
	for _, task := range tasks {
		online = online || clinical.IsPortalTask(task, clinical.TaskOnlineRequest)
		repeat = repeat || clinical.IsPortalTask(task, clinical.TaskRepeatRequest)
	}
	if len(tasks) != 3 || !online || !repeat {
		t.Fatalf("the practice's Tasks: %v", tasks)
	}

	// A proxy switches record.
	b.ClickAndLoad("#sign-out")
	other := practice.Patients[0]
	if other == me {
		other = practice.Patients[1]
	}
	carer := s.User(t, &identity.User{ID: "carer@test", Name: "Carer Example", Role: auth.RoleProxy, Patients: []string{me, other}, IdentityProof: "vouched"})
	// The practice has given them every service for the other person and
	// nothing for the patient: a proxy who may use nothing for someone
	// reads nothing of them, not even their name.
	decide(t, s, other, "carer@test", clinical.GrantChange{Do: "grant", Basis: basisFor(t, s, other),
		Services: []string{clinical.ServiceAppointments, clinical.ServiceRequests, clinical.ServiceRepeats, clinical.ServiceRecord, clinical.ServiceMessages}}, nil)
	b.SignIn(s.URL, carer)
	if whose := b.Text("#whose-record"); !strings.Contains(whose, "not available") {
		t.Errorf("a proxy's home for a person they may use nothing for names them: %q", whose)
	}
	check("portal-proxy-home")
	b.ClickAndLoad("#switch-link")
	check("portal-switch")
	b.Eval(`document.getElementById('person-` + other + `').click(); "ok"`)
	b.ClickAndLoad("#switch")
	otherName := nameOf(read(t, s, "Patient", other))
	if !strings.Contains(b.Text("#whose-record"), otherName) {
		t.Fatalf("switched, but the page shows %q", b.Text("#whose-record"))
	}
	check("portal-proxy-switched")
	b.Do(chromedp.Navigate(s.URL + "/patient/record"))
	b.Text("h1")
	check("portal-proxy-record")
}

// fhirSearch is another FHIR client of the server: an access token for
// p, a search over HTTP.
func fhirSearch(t *testing.T, s *testbrowser.Stack, p *auth.Principal, query string) []map[string]any {
	t.Helper()
	authority, err := tokens.ForStore(context.Background(), s.Store)
	if err != nil {
		t.Fatal(err)
	}
	if p.Scopes, err = auth.ParseScopes("user/*.rs"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := authority.Issue(context.Background(), p, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	path, raw, _ := strings.Cut(query, "?")
	q, _ := url.ParseQuery(raw)
	req, _ := http.NewRequest("GET", s.URL+"/fhir/"+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", query, resp.StatusCode, body)
	}
	var bundle struct {
		Entry []struct {
			Resource map[string]any        `json:"resource"`
			Search   struct{ Mode string } `json:"search"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &bundle); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range bundle.Entry {
		if e.Search.Mode == "match" {
			out = append(out, e.Resource)
		}
	}
	return out
}

// TestBrowserMessages: on a phone-sized screen a patient writes to the
// practice with a photo (an empty message is refused with the error
// summary), a receptionist finds it in the workspace's queue and
// replies, and the patient reads the reply; the receptionist also sees
// the online requests queue and a request's page. axe-core on every
// page; the patient's pages fit 320 px. The patient is told of the reply
// by email (email connected, SMS not), which reaches a real SMTP server
// without a word of the reply.
func TestBrowserMessages(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStackWith(t, testbrowser.StackOptions{Sends: func(ch string) bool { return ch == "email" }})
	ctx := context.Background()
	practice, err := demo.Make(ctx, s.Service, demo.Options{Patients: 4, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := practice.Patients[0]
	// The patient agreed to email: the reply's notice goes there.
	patient := read(t, s, "Patient", me)
	patient["birthDate"] = "1980-05-01"
	patient["telecom"] = []any{map[string]any{"system": "email", "value": "pat@example.org",
		"extension": []any{map[string]any{"url": clinical.ContactConsentURL, "valueBoolean": true}}}}
	if _, err := s.Service.Update(ctx, "Patient", me, patient, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	notices := &portalnotice.Replies{Store: s.Store, Service: s.Service, PortalURL: s.URL + "/patient/",
		Sends: func(ch string) bool { return ch == "email" }}
	if _, err := notices.Scan(ctx, time.Now()); err != nil { // from now on
		t.Fatal(err)
	}
	pat := s.User(t, &identity.User{ID: "pat@test", Name: "Pat Example", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	desk := s.Staff(t, "rita@test", auth.RoleReceptionist, practice.OrganizationID, "")
	phone := func() { b.Do(chromedp.EmulateViewport(375, 812)) }
	check := func(name string) {
		t.Helper()
		b.Axe(name)
		b.Narrow(name, 320)
		phone()
		b.Shot(name)
	}
	photo := filepath.Join(t.TempDir(), "rash.png")
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	phone()
	b.SignIn(s.URL, pat)
	b.ClickAndLoad("#card-messages")
	b.Text("#no-messages")
	check("portal-messages")
	b.ClickAndLoad("#send")
	if !strings.Contains(b.Text(".nhsuk-error-summary"), "Enter your message") {
		t.Fatal("no error for an empty message")
	}
	check("portal-messages-error")
	b.Do(chromedp.SendKeys(chromedp.ID("message"), "I have had an itchy rash on my arm for a week. Photo attached."),
		chromedp.SetUploadFiles(chromedp.ID("attachment"), []string{photo}))
	b.ClickAndLoad("#send")
	b.Text("#sent")
	if !strings.Contains(b.Text("#conversation"), "itchy rash") || !strings.Contains(b.Text("#conversation"), "rash.png") {
		t.Fatalf("the message is not in the conversation: %s", b.Text("main"))
	}
	check("portal-messages-sent")
	b.ClickAndLoad("#sign-out")

	// An online request too, for the practice's queue.
	form := url.Values{"patient": {me}, "kind": {"admin"}, "topic": {"fit-note"}, "details": {"I need a fit note for my employer"}}
	if code, _, _ := signIn(t, s, &identity.User{ID: "pat2", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}}).post("/patient/help/send", form); code != http.StatusSeeOther {
		t.Fatalf("request: %d", code)
	}

	// The receptionist replies.
	b.Do(chromedp.EmulateViewport(1280, 900))
	b.SignIn(s.URL, desk)
	b.Do(chromedp.Navigate(s.URL+"/workspace/messages"), chromedp.WaitVisible(chromedp.ID("message-queue")))
	if !strings.Contains(b.Text("#message-queue"), "itchy rash") {
		t.Fatalf("the message is not in the queue: %s", b.Text("main"))
	}
	b.Axe("workspace-messages")
	b.Shot("workspace-messages")
	b.ClickAndLoad("#message-queue a")
	b.Text("#conversation")
	b.Axe("workspace-conversation")
	b.Shot("workspace-conversation")
	if got := b.Text("#reply-notice"); !strings.Contains(got, "is told by email or text that there is a new message") {
		t.Fatalf("the reply page does not say the patient is told: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("reply"), "Thank you. Please book a routine appointment with the nurse online, or call us if it spreads."))
	b.ClickAndLoad("#send-reply")
	b.Text("#sent")
	time.Sleep(10 * time.Millisecond)
	if n, err := notices.Scan(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("notices after the reply: %d %v, want one email", n, err)
	}
	if email := notifytest.SendByEmail(t, s.Store, 1); email != "" {
		for _, want := range []string{"To: pat@example.org", "Subject: You have a new message from your GP surgery", "Sign in to read it.", s.URL + "/patient/"} {
			if !strings.Contains(email, want) {
				t.Errorf("the email lacks %q:\n%s", want, email)
			}
		}
		if strings.Contains(email, "nurse") || strings.Contains(email, "rash") {
			t.Errorf("the email carries the conversation's words:\n%s", email)
		}
	}
	b.Axe("workspace-conversation-replied")
	b.Shot("workspace-conversation-replied")
	b.Do(chromedp.Navigate(s.URL+"/workspace/requests"), chromedp.WaitVisible(chromedp.ID("request-queue")))
	b.Axe("workspace-requests")
	b.Shot("workspace-requests")
	b.ClickAndLoad("#request-queue a")
	b.Text("#request-answers")
	b.ClickAndLoad("#send-answer")
	if !strings.Contains(b.Text(".nhsuk-error-summary"), "Select what the practice will do") {
		t.Fatal("no error for a missing outcome")
	}
	b.Axe("workspace-request-error")
	b.Shot("workspace-request-error")
	b.ClickAndLoad("#sign-out")

	// The patient reads the reply.
	phone()
	b.SignIn(s.URL, pat)
	b.Do(chromedp.Navigate(s.URL+"/patient/messages"), chromedp.WaitVisible(chromedp.ID("conversation")))
	if !strings.Contains(b.Text("#conversation"), "Please book a routine appointment") {
		t.Fatalf("the reply does not reach the patient: %s", b.Text("main"))
	}
	check("portal-messages-reply")
}

// TestBrowserProxyGrants: a GP gives a carer access to an adult's
// messages and appointments on the Online access page (a refusal with
// no reason shows the error summary), and the carer, on a phone, sees
// only those services. axe-core on every page.
func TestBrowserProxyGrants(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	adult := adultOf(t, s, practice.Patients)
	carer := s.User(t, &identity.User{ID: "carer@test", Name: "Sam Carer", Role: auth.RoleProxy, Patients: []string{adult}, IdentityProof: "P9"})
	gp := s.Staff(t, "gp@test", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+adult+"/proxies"), chromedp.WaitVisible(chromedp.ID("proxy-0")))
	b.Axe("workspace-proxies")
	b.Shot("workspace-proxies")
	b.ClickAndLoad("#p0-refuse")
	if !strings.Contains(b.Text(".nhsuk-error-summary"), "Enter why access is refused") {
		t.Fatalf("no error for a refusal without a reason: %s", b.Text("main"))
	}
	b.Axe("workspace-proxies-error")
	b.Shot("workspace-proxies-error")
	b.Eval(`document.getElementById('p0-service-messages').click(); document.getElementById('p0-service-appointments').click(); document.getElementById('p0-basis-lpa-health-welfare').click(); "ok"`)
	b.ClickAndLoad("#p0-grant")
	b.Text("#saved")
	if got := b.Text("#proxy-0-decision"); !strings.Contains(got, "Lasting power of attorney") || !strings.Contains(got, "Messages") {
		t.Fatalf("decision shown: %s", got)
	}
	b.Axe("workspace-proxies-saved")
	b.Shot("workspace-proxies-saved")
	b.ClickAndLoad("#sign-out")

	b.Do(chromedp.EmulateViewport(375, 812))
	b.SignIn(s.URL, carer)
	b.Text("#card-messages")
	if b.Eval(`String(!!document.getElementById('card-prescriptions'))`) != "false" {
		t.Fatal("the carer is offered repeats, which were not granted")
	}
	b.Axe("portal-proxy-granted-home")
	b.Narrow("portal-proxy-granted-home", 320)
	b.Do(chromedp.EmulateViewport(375, 812))
	b.Shot("portal-proxy-granted-home")
}
