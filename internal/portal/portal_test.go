package portal_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/pathfeed"
	"github.com/gpcloud/gpcloud/internal/patientview"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// client is a browser over plain HTTP (no JavaScript): cookies kept,
// redirects not followed.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func signIn(t *testing.T, s *testbrowser.Stack, u *identity.User) *client {
	t.Helper()
	if err := identity.CreateUser(context.Background(), s.Store, u, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	return sessionFor(t, s, u)
}

// sessionFor signs in an account that exists, saving u first (a test may
// have changed it).
func sessionFor(t *testing.T, s *testbrowser.Stack, u *identity.User) *client {
	t.Helper()
	ctx := context.Background()
	if err := s.Store.InTx(ctx, func(tx store.Tx) error { return identity.PutUser(ctx, tx, u) }); err != nil {
		t.Fatal(err)
	}
	cookie, sess, err := identity.StartSession(ctx, s.Store, u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sess.Verified = true
	if err := sess.Save(ctx, s.Store); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(s.URL)
	jar.SetCookies(base, []*http.Cookie{{Name: "gpcloud_session", Value: cookie, Path: "/"}})
	return &client{t: t, base: s.URL, csrf: sess.CSRF,
		http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) (int, string, string) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

func (c *client) get(path string) (int, string, string) {
	req, _ := http.NewRequest("GET", c.base+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) (int, string, string) {
	form.Set("csrf", c.csrf)
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var system = auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleSystem, Scopes: auth.ScopesOf(auth.RoleSystem)})

func search(t *testing.T, s *testbrowser.Stack, typ string, params url.Values) []fhir.Resource {
	t.Helper()
	out, err := s.Service.Search(context.Background(), service.SearchRequest{Type: typ, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	return appointments.Matches(out.Resource)
}

func read(t *testing.T, s *testbrowser.Stack, typ, id string) fhir.Resource {
	t.Helper()
	out, err := s.Service.Read(context.Background(), typ, id)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// withRepeat finds a demo patient with a repeat medicine they may order
// now.
func withRepeat(t *testing.T, s *testbrowser.Stack, practice *demo.Practice) string {
	t.Helper()
	for _, id := range practice.Patients {
		if len(orderable(t, s, id)) > 0 {
			return id
		}
	}
	t.Fatal("no demo patient has a repeat they may order")
	return ""
}

// orderable are a patient's repeats they may order now, by the default
// rules.
func orderable(t *testing.T, s *testbrowser.Stack, patient string) []clinical.PortalRepeat {
	t.Helper()
	meds := search(t, s, "MedicationRequest", url.Values{"patient": {"Patient/" + patient}, "_count": {"500"}})
	var out []clinical.PortalRepeat
	for _, r := range clinical.PortalRepeats(meds, nil, clinical.DefaultPortalSettings, time.Now()) {
		if r.Orderable() {
			out = append(out, r)
		}
	}
	return out
}

// slots returns a free slot offered online and one for the practice only.
func slots(t *testing.T, s *testbrowser.Stack) (online, practiceOnly string) {
	t.Helper()
	free, err := appointments.FreeSlots(context.Background(), s.Service, appointments.FreeQuery{Limit: 500}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range free {
		slot := read(t, s, "Slot", f.ID)
		if clinical.CheckBookable(slot, clinical.BookedOnline, time.Now()) == nil {
			// Far enough ahead to cancel online under any cut-off the tests set.
			if start, _ := time.Parse(time.RFC3339, slot["start"].(string)); online == "" && time.Until(start) > 30*time.Hour {
				online = f.ID
			}
		} else if practiceOnly == "" {
			practiceOnly = f.ID
		}
	}
	if online == "" || practiceOnly == "" {
		t.Fatalf("demo slots: online %q practice-only %q", online, practiceOnly)
	}
	return online, practiceOnly
}

// TestPortalOverHTTP drives every flow as plain form posts (no
// JavaScript): booking (a practice-only slot refused by the service's
// booking rules, with nothing booked), cancelling with a reason and the
// version shown, an online request (a red flag answered yes in a
// hand-made post sends nothing; a safe one makes the practice's Task),
// a repeat order (none twice), the record, and the wrong-patient and
// other-patient refusals.
func TestPortalOverHTTP(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := withRepeat(t, s, practice)
	other := practice.Patients[0]
	if other == me {
		other = practice.Patients[1]
	}
	pat := signIn(t, s, &identity.User{ID: "pat", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	stranger := signIn(t, s, &identity.User{ID: "stranger", Name: "Stranger", Role: auth.RolePatient, Patients: []string{other}})

	// The home page; staff are sent to the workspace, not here.
	if code, body, _ := pat.get("/patient/"); code != 200 || !strings.Contains(body, "card-appointments") {
		t.Fatalf("home: %d", code)
	}
	if code, _, loc := pat.get("/"); code != http.StatusSeeOther || loc != "/patient/" {
		t.Fatalf("/ for a patient: %d %s", code, loc)
	}

	// Booking.
	online, practiceOnly := slots(t, s)
	if code, body, _ := pat.get("/patient/book"); code != 200 || !strings.Contains(body, `name="mode"`) {
		t.Fatalf("book: %d", code)
	}
	if code, body, _ := pat.get("/patient/book/" + practiceOnly); code != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot be booked online") {
		t.Fatalf("practice-only slot page: %d", code)
	}
	if code, body, _ := pat.post("/patient/book/"+practiceOnly, url.Values{"patient": {me}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot be booked online") {
		t.Fatalf("practice-only slot booked by hand: %d\n%s", code, body)
	}
	if read(t, s, "Slot", practiceOnly)["status"] != "free" {
		t.Fatal("a practice-only slot was taken")
	}
	// A form for another record (a proxy switched in another tab) writes nothing.
	if code, _, _ := pat.post("/patient/book/"+online, url.Values{"patient": {other}}); code != http.StatusConflict {
		t.Fatalf("wrong patient: %d", code)
	}
	code, _, loc := pat.post("/patient/book/"+online, url.Values{"patient": {me}, "reason": {"a sore knee"}})
	if code != http.StatusSeeOther || !strings.HasSuffix(loc, "?booked=1") {
		t.Fatalf("book: %d %s", code, loc)
	}
	apptPath := strings.TrimSuffix(loc, "?booked=1")
	apptID := strings.TrimPrefix(apptPath, "/patient/appointments/")
	a := read(t, s, "Appointment", apptID)
	if clinical.AppointmentPatient(a).Reference != "Patient/"+me || read(t, s, "Slot", online)["status"] != "busy" {
		t.Fatalf("booked: %v", a)
	}
	// The Appointment names the clinician, as when staff book.
	if b, _ := fhir.Marshal(a); !strings.Contains(string(b), `"reference":"Practitioner/`) {
		t.Errorf("the appointment names no clinician: %s", b)
	}
	if code, body, _ := pat.get(loc); code != 200 || !strings.Contains(body, "Appointment booked") {
		t.Fatalf("confirmation: %d", code)
	}
	// Another patient cannot see or cancel it.
	if code, _, _ := stranger.get(apptPath); code != http.StatusNotFound {
		t.Fatalf("another patient's appointment: %d", code)
	}
	if code, _, _ := stranger.post(apptPath+"/cancel", url.Values{"patient": {other}, "reason": {"other"}, "version": {"1"}}); code != http.StatusNotFound {
		t.Fatalf("another patient cancels: %d", code)
	}
	// Cancel: a reason is needed; the slot is free again.
	if code, _, _ := pat.post(apptPath+"/cancel", url.Values{"patient": {me}, "version": {"1"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("cancel without reason: %d", code)
	}
	_, body, _ := pat.get(apptPath + "/cancel")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	if version == nil {
		t.Fatal("no version on the cancel form")
	}
	if code, _, loc := pat.post(apptPath+"/cancel", url.Values{"patient": {me}, "reason": {"cannot-attend"}, "version": {version[1]}}); code != http.StatusSeeOther || loc != "/patient/appointments?cancelled=1" {
		t.Fatalf("cancel: %d %s", code, loc)
	}
	if a := read(t, s, "Appointment", apptID); a["status"] != "cancelled" || read(t, s, "Slot", online)["status"] != "free" {
		t.Fatalf("after cancel: %v", a["status"])
	}

	// An online request: a red flag answered yes sends nothing, even
	// posted by hand to the last step.
	form := url.Values{"patient": {me}, "kind": {"medical"}, "details": {"I have a cough"}, "how-long": {"weeks"}}
	for _, f := range clinical.RedFlags {
		form.Set(f.ID, "no")
	}
	flagged := url.Values{}
	for k, v := range form {
		flagged[k] = v
	}
	flagged.Set("flag-chest", "yes")
	if code, body, _ := pat.post("/patient/help/send", flagged); code != 200 || !strings.Contains(body, "Call 999") {
		t.Fatalf("red flag: %d", code)
	}
	if n := len(search(t, s, "Task", url.Values{"patient": {"Patient/" + me}})); n != 0 {
		t.Fatalf("a red-flag request made %d Tasks", n)
	}
	if code, body, _ := pat.post("/patient/help", url.Values{"patient": {me}, "step": {"flags"}, "kind": {"medical"}, "flag-breathing": {"yes"}}); code != 200 || !strings.Contains(body, "Call 999") {
		t.Fatalf("red flag step: %d", code)
	}
	noDetails := url.Values{}
	for k, v := range form {
		noDetails[k] = v
	}
	noDetails.Del("details")
	if code, body, _ := pat.post("/patient/help/send", noDetails); code != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") {
		t.Fatalf("no details: %d", code)
	}
	code, _, loc = pat.post("/patient/help/send", form)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/patient/help/sent/") {
		t.Fatalf("send: %d %s", code, loc)
	}
	task := read(t, s, "Task", strings.TrimPrefix(loc, "/patient/help/sent/"))
	if owner, _ := task["owner"].(map[string]any); owner["reference"] != "Organization/"+practice.OrganizationID || task["status"] != "requested" {
		t.Fatalf("task: %v", task)
	}
	focus, _ := task["focus"].(map[string]any)
	qrID := strings.TrimPrefix(focus["reference"].(string), "QuestionnaireResponse/")
	if qr := read(t, s, "QuestionnaireResponse", qrID); qr["status"] != "completed" {
		t.Fatalf("questionnaire response: %v", qr)
	}
	// The form is published once, for other clients to read responses by.
	pat.get("/patient/help")
	if forms := search(t, s, "Questionnaire", url.Values{"url": {clinical.OnlineRequestQuestionnaire}}); len(forms) != 1 || forms[0]["version"] != clinical.RedFlagsVersion {
		t.Fatalf("published forms: %v", forms)
	}
	if code, body, _ := pat.get(loc); code != 200 || !regexp.MustCompile(`OC-[A-Z2-9]{4}-[A-Z2-9]{4}`).MatchString(body) {
		t.Fatalf("sent page: %d", code)
	}
	if code, _, _ := stranger.get(loc); code != http.StatusNotFound {
		t.Fatalf("another patient's request: %d", code)
	}

	// Repeats: order one; the same again is refused.
	meds := orderable(t, s, me)
	if code, _, loc := pat.post("/patient/prescriptions", url.Values{"patient": {me}, "medicine": {meds[0].ID}}); code != http.StatusSeeOther || loc != "/patient/prescriptions?sent=1" {
		t.Fatalf("order: %d %s", code, loc)
	}
	if code, body, _ := pat.post("/patient/prescriptions", url.Values{"patient": {me}, "medicine": {meds[0].ID}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "already asked") {
		t.Fatalf("order twice: %d", code)
	}
	if code, body, _ := pat.get("/patient/prescriptions"); code != 200 || !strings.Contains(body, "Sent to the practice") {
		t.Fatalf("requests: %d", code)
	}
	// Another patient's medicine cannot be ordered.
	if code, _, _ := stranger.post("/patient/prescriptions", url.Values{"patient": {other}, "medicine": {meds[0].ID}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("another patient's medicine: %d", code)
	}

	// Contact details: a bad number is refused; a good one is applied to
	// the record at once (If-Match the version shown) and the practice is
	// told by a Task; a new address goes to the practice only.
	if code, body, _ := pat.post("/patient/details", url.Values{"patient": {me}, "mobile": {"123"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a UK phone number") {
		t.Fatalf("bad phone: %d", code)
	}
	_, body, _ = pat.get("/patient/details")
	detailsVersion := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	if detailsVersion == nil {
		t.Fatal("no version on the details form")
	}
	if code, _, _ := pat.post("/patient/details", url.Values{"patient": {me}, "mobile": {"07700 900982"}, "version": {detailsVersion[1] + "0"}}); code != http.StatusConflict {
		t.Fatalf("details from a stale page: %d", code)
	}
	if code, _, loc := pat.post("/patient/details", url.Values{"patient": {me}, "mobile": {"07700 900982"}, "email": {"pat@example.com"}, "version": {detailsVersion[1]}}); code != http.StatusSeeOther || loc != "/patient/details?saved=1" {
		t.Fatalf("details: %d %s", code, loc)
	}
	if now := clinical.CurrentContact(read(t, s, "Patient", me)); now.Mobile != "07700 900982" || now.Email != "pat@example.com" {
		t.Fatalf("not applied: %+v", now)
	}
	before := read(t, s, "Patient", me)
	if code, _, loc := pat.post("/patient/details", url.Values{"patient": {me}, "mobile": {"07700 900982"}, "email": {"pat@example.com"}, "address": {"9 New Road, Leeds LS6 2AA"}}); code != http.StatusSeeOther || loc != "/patient/details?sent=1" {
		t.Fatalf("address: %d %s", code, loc)
	}
	if after := read(t, s, "Patient", me); fmt.Sprint(after["address"]) != fmt.Sprint(before["address"]) || fmt.Sprint(after["meta"]) != fmt.Sprint(before["meta"]) {
		t.Fatal("the address was applied without the practice")
	}
	var notices []string
	for _, task := range search(t, s, "Task", url.Values{"patient": {"Patient/" + me}}) {
		if clinical.IsPortalTask(task, clinical.TaskContactChange) {
			notices = append(notices, task["description"].(string))
		}
	}
	if len(notices) != 2 || !strings.Contains(strings.Join(notices, "|"), "already applied to the record, for information: phone: 07700 900982; email: pat@example.com") ||
		!strings.Contains(strings.Join(notices, "|"), "New home address to check and apply: 9 New Road") {
		t.Fatalf("contact-detail Tasks %q", notices)
	}

	// The record; not for an identity proven only to P5 (appointments and
	// requests are). A filed result is shown with what the practice
	// decided, and not the clinician's comment; one waiting to be filed,
	// and one hidden from the patient, are not.
	banner := clinical.Banner{ID: me, Name: "Me"}
	filedResult := pathfeed.Report{Patient: pathfeed.Patient{Family: "Me"}, Title: "Thyroid function", Lab: "Lab", Issued: time.Now(),
		Tests: []pathfeed.Test{{Name: "TSH", Unit: "mU/L", Value: 7.9, Low: 0.4, High: 4.0}}}.Resource()
	filedResult = clinical.Filed(clinical.MatchTo(filedResult, banner), clinical.Filing{Action: "appointment", Comment: "STAFF-ONLY-COMMENT"}, time.Now())
	waiting := clinical.MatchTo(pathfeed.Report{Patient: pathfeed.Patient{Family: "Me"}, Title: "Waiting to be filed", Lab: "Lab", Issued: time.Now(),
		Tests: []pathfeed.Test{{Name: "Sodium", Unit: "mmol/L", Value: 140, Low: 133, High: 146}}}.Resource(), banner)
	hidden := clinical.Filed(clinical.MatchTo(pathfeed.Report{Patient: pathfeed.Patient{Family: "Me"}, Title: "Hidden from the patient", Lab: "Lab", Issued: time.Now(),
		Tests: []pathfeed.Test{{Name: "X", Unit: "u", Value: 1, Low: 0, High: 2}}}.Resource(), banner), clinical.Filing{Action: "none"}, time.Now())
	hidden["meta"].(map[string]any)["security"] = []any{map[string]any{"system": clinical.ActCodeSystem, "code": clinical.NoPatientDisclosure}}
	for _, r := range []fhir.Resource{filedResult, waiting, hidden} {
		if _, err := s.Service.Create(context.Background(), "DiagnosticReport", r, ""); err != nil {
			t.Fatal(err)
		}
	}
	recCode, recBody, _ := pat.get("/patient/record")
	if recCode != 200 || !strings.Contains(recBody, meds[0].Name) {
		t.Fatalf("record: %d", recCode)
	}
	if !strings.Contains(recBody, "Thyroid function") || !strings.Contains(recBody, "7.9 mU/L") || !strings.Contains(recBody, "book a routine appointment") ||
		strings.Contains(recBody, "STAFF-ONLY-COMMENT") || strings.Contains(recBody, "Waiting to be filed") || strings.Contains(recBody, "Hidden from the patient") {
		t.Errorf("results on the record page: filed shown %v, comment hidden %v, waiting hidden %v, NOPAT hidden %v",
			strings.Contains(recBody, "Thyroid function"), !strings.Contains(recBody, "STAFF-ONLY-COMMENT"), !strings.Contains(recBody, "Waiting to be filed"), !strings.Contains(recBody, "Hidden from the patient"))
	}
	low := signIn(t, s, &identity.User{ID: "low", Name: "Low", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P5"})
	if code, body, _ := low.get("/patient/record"); code != 200 || !strings.Contains(body, "no-access") || strings.Contains(body, meds[0].Name) {
		t.Fatalf("record at P5: %d", code)
	}
	if code, _, _ := low.get("/patient/appointments"); code != 200 {
		t.Fatalf("appointments at P5: %d", code)
	}

	// Every page view is in the audit trail, as the patient.
	s.Trail.Flush()
	events := search(t, s, "AuditEvent", url.Values{"patient": {"Patient/" + me}, "_count": {"500"}})
	b, _ := fhir.Marshal(fhir.Resource{"events": events})
	if !strings.Contains(string(b), "/patient/record") || !strings.Contains(string(b), `"pat"`) {
		t.Errorf("the record page view is not audited as the patient: %.800s", b)
	}
}

// TestPortalProxy: a proxy switches between the people they act for;
// the cookie cannot reach anyone else; record access follows age.
func TestPortalProxy(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 4, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := practice.Patients[0], practice.Patients[1], practice.Patients[2]
	carer := signIn(t, s, &identity.User{ID: "carer", Name: "Carer", Role: auth.RoleProxy, Patients: []string{a, b}, IdentityProof: "P9"})
	// The practice has given the carer every service for a and b, on the
	// basis each one's age allows: a proxy who may use nothing for someone reads
	// nothing of them, not even their name.
	grant := clinical.ProxyGrant{Basis: basisFor(t, s, a), Services: []string{clinical.ServiceAppointments, clinical.ServiceRequests, clinical.ServiceRepeats, clinical.ServiceRecord, clinical.ServiceMessages}, Given: time.Now()}
	decide(t, s, a, "carer", clinical.GrantChange{Do: "grant", Basis: grant.Basis, Services: grant.Services}, nil)
	decide(t, s, b, "carer", clinical.GrantChange{Do: "grant", Basis: basisFor(t, s, b), Services: grant.Services}, nil)
	_, body, _ := carer.get("/patient/")
	nameA := nameOf(read(t, s, "Patient", a))
	nameB := nameOf(read(t, s, "Patient", b))
	if !strings.Contains(body, nameA) || !strings.Contains(body, "whose-record") {
		t.Fatalf("proxy home does not name %s", nameA)
	}
	if code, _, loc := carer.post("/patient/switch", url.Values{"person": {c}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("switch to someone else: %d %s", code, loc)
	}
	if code, _, loc := carer.post("/patient/switch", url.Values{"person": {b}}); code != http.StatusSeeOther || loc != "/patient/?switched=1" {
		t.Fatalf("switch: %d %s", code, loc)
	}
	if _, body, _ := carer.get("/patient/"); !strings.Contains(body, nameB) {
		t.Fatalf("after switching, home does not name %s", nameB)
	}
	// A form still showing the first person is refused.
	if code, _, _ := carer.post("/patient/prescriptions", url.Values{"patient": {a}}); code != http.StatusConflict {
		t.Fatalf("stale form: %d", code)
	}
	// A forged cookie falls back to the proxy's own first person.
	base, _ := url.Parse(s.URL + "/patient/")
	carer.http.Jar.SetCookies(base, []*http.Cookie{{Name: "gp_record", Value: c, Path: "/patient/"}})
	if _, body, _ := carer.get("/patient/"); strings.Contains(body, nameOf(read(t, s, "Patient", c))) {
		t.Fatal("a forged cookie reached another patient")
	}
	// The record page follows clinical.RecordAccessOf for a proxy.
	_, body, _ = carer.get("/patient/record")
	scope := clinical.RecordAccessOf(clinical.RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: read(t, s, "Patient", a)["birthDate"].(string), Grant: &grant}, time.Now())
	if scope.None() != strings.Contains(body, "no-access") {
		t.Fatalf("record access %+v not what the page shows", scope)
	}
	// A death closes the record to the portal: nothing shown, nothing
	// taken; the proxy may switch to someone else.
	dead := read(t, s, "Patient", b)
	dead["deceasedDateTime"] = time.Now().UTC().Format(time.RFC3339)
	if _, err := s.Service.Update(context.Background(), "Patient", b, dead, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
	carer.http.Jar.SetCookies(base, []*http.Cookie{{Name: "gp_record", Value: b, Path: "/patient/"}})
	if code, body, _ := carer.get("/patient/appointments"); code != http.StatusForbidden || !strings.Contains(body, "no longer available") || !strings.Contains(body, "/patient/switch") {
		t.Fatalf("a deceased patient's appointments: %d", code)
	}
	if code, _, _ := carer.post("/patient/prescriptions", url.Values{"patient": {b}}); code != http.StatusForbidden {
		t.Fatalf("a repeat for a deceased patient: %d", code)
	}
	if code, _, _ := carer.post("/patient/switch", url.Values{"person": {a}}); code != http.StatusSeeOther {
		t.Fatalf("switch away from a closed record: %d", code)
	}

	// Staff are not let in.
	staff := signIn(t, s, &identity.User{ID: "gp@test", Name: "GP", Role: auth.RoleGP, Practice: practice.OrganizationID})
	if code, _, _ := staff.get("/patient/"); code != http.StatusForbidden {
		t.Fatalf("staff: %d", code)
	}
}

// nameOf is a person's name as the portal writes it to them.
func nameOf(p fhir.Resource) string {
	names, _ := p["name"].([]any)
	n, _ := names[0].(map[string]any)
	var parts []string
	given, _ := n["given"].([]any)
	for _, g := range given {
		parts = append(parts, g.(string))
	}
	return strings.Join(append(parts, n["family"].(string)), " ")
}

// TestPatientWritesOnlyTheirOwn: a patient may create a Task or a
// QuestionnaireResponse (the portal's requests) through the API, but
// not one that also names another patient, which would put it in the
// other's record.
func TestPatientWritesOnlyTheirOwn(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me, other := practice.Patients[0], practice.Patients[1]
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "pat", Role: auth.RolePatient, Patients: []string{me}, Scopes: auth.ScopesOf(auth.RolePatient)})
	task := func(extra map[string]any) fhir.Resource {
		// A request to the practice (a Task of the portal's): the
		// patient's online access opens those (patientview.Access).
		t := fhir.Resource{"resourceType": "Task", "status": "requested", "intent": "order", "for": map[string]any{"reference": "Patient/" + me},
			"code": map[string]any{"coding": []any{map[string]any{"system": clinical.PortalTaskSystem, "code": clinical.TaskOnlineRequest}}}}
		for k, v := range extra {
			t[k] = v
		}
		return t
	}
	if _, err := s.Service.Create(ctx, "Task", task(nil), ""); err != nil {
		t.Fatalf("own Task: %v", err)
	}
	if _, err := s.Service.Create(ctx, "Task", task(map[string]any{"focus": map[string]any{"reference": "Patient/" + other}}), ""); err == nil {
		t.Fatal("a Task naming another patient was written")
	}
	qr := fhir.Resource{"resourceType": "QuestionnaireResponse", "status": "completed", "subject": map[string]any{"reference": "Patient/" + me},
		"author": map[string]any{"reference": "Patient/" + other}}
	if _, err := s.Service.Create(ctx, "QuestionnaireResponse", qr, ""); err == nil {
		t.Fatal("a QuestionnaireResponse authored as another patient was written")
	}
}

// basisFor is the basis of a proxy grant the patient's age allows, given
// today: parental responsibility under 11, the child's consent from 11
// to 15, the patient's own consent from 16.
func basisFor(t *testing.T, s *testbrowser.Stack, patient string) string {
	t.Helper()
	birth, err := time.Parse("2006-01-02", read(t, s, "Patient", patient)["birthDate"].(string))
	if err != nil {
		t.Fatal(err)
	}
	switch age := patientview.AgeYears(birth, time.Now().In(clinical.UKTime)); {
	case age <= 10:
		return clinical.BasisParent
	case age <= 15:
		return clinical.BasisChildConsent
	}
	return clinical.BasisConsent
}
