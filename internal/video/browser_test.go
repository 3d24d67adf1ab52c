package video_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
	"github.com/gpcloud/gpcloud/internal/video"
)

// world is a practice with a video appointment starting in five minutes.
type world struct {
	practice       *demo.Practice
	appt           string
	gp, otherGP    testbrowser.Account
	patient, other testbrowser.Account
}

func setUp(t *testing.T, s *testbrowser.Stack) world {
	t.Helper()
	ctx := context.Background()
	p, err := demo.Make(ctx, s.Service, demo.Options{Patients: 3, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return accounts(t, s, p, videoAppointment(t, s.Service, p))
}

func videoAppointment(t *testing.T, svc *service.Service, p *demo.Practice) string {
	t.Helper()
	start := time.Now().Add(5 * time.Minute).UTC().Truncate(time.Minute)
	gp := p.Clinicians[0]
	out, err := svc.Create(context.Background(), "Appointment", fhir.Resource{"resourceType": "Appointment", "status": "booked",
		"start": start.Format(time.RFC3339), "end": start.Add(10 * time.Minute).Format(time.RFC3339),
		"appointmentType": map[string]any{"text": "video"},
		"participant": []any{
			map[string]any{"actor": map[string]any{"reference": "Patient/" + p.Patients[0], "display": "Patient"}, "status": "accepted"},
			map[string]any{"actor": map[string]any{"reference": "Practitioner/" + gp.ID, "display": gp.Name}, "status": "accepted"},
		}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return out.Version.ID
}

func accounts(t *testing.T, s *testbrowser.Stack, p *demo.Practice, appt string) world {
	t.Helper()
	return world{practice: p, appt: appt,
		gp:      s.Staff(t, "gp@test", auth.RoleGP, p.OrganizationID, "Practitioner/"+p.Clinicians[0].ID),
		otherGP: s.Staff(t, "gp2@test", auth.RoleGP, p.OrganizationID, "Practitioner/"+p.Clinicians[1].ID),
		patient: s.User(t, &identity.User{ID: "pat@test", Name: "Pat Example", Role: auth.RolePatient, Patients: []string{p.Patients[0]}, IdentityProof: "P9"}),
		other:   s.User(t, &identity.User{ID: "other@test", Name: "Someone Else", Role: auth.RolePatient, Patients: []string{p.Patients[1]}, IdentityProof: "P9"}),
	}
}

// stats is what video.js's getStats() summary says.
type stats struct {
	Audio, Video, Frames float64
	Relay                bool
	Connected            int
	Policy               string
	Paths                []string
}

func mediaStats(b *testbrowser.Browser) stats {
	var s stats
	out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`window.gpVideo ? window.gpVideo.stats() : "{}"`, chromedp.EvalAwaitPromise))
	if err == nil {
		_ = json.Unmarshal([]byte(out), &s)
	}
	return s
}

// flowing waits until the browser receives audio and video (decoded
// frames) from a connected peer, and returns what it received.
func flowing(t *testing.T, b *testbrowser.Browser, who string) stats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var s, first stats
	for {
		s = mediaStats(b)
		if s.Connected > 0 && s.Audio > 0 && s.Video > 0 && s.Frames > 0 {
			if first.Video == 0 {
				first = s
			} else if s.Video > first.Video && s.Audio > first.Audio {
				return s // still growing: media flows, not one burst
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s receives no media: %+v; page says %q", who, s, b.Eval(`document.getElementById("call-status") ? document.getElementById("call-status").innerText : document.body.innerText.slice(0, 300)`))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// patientJoins goes from the portal's appointment through the camera
// check into the waiting room.
func patientJoins(t *testing.T, b *testbrowser.Browser, base string, w world, look bool) {
	t.Helper()
	b.Do(chromedp.Navigate(base + "/patient/appointments/" + w.appt))
	b.Text("#join-video")
	b.ClickAndLoad("#join-video")
	if look {
		b.Axe("video check")
		b.Narrow("video-check", 320)
		b.Shot("video-check")
	}
	b.TabTo("#check-start")
	b.Do(chromedp.KeyEvent(kb.Enter))
	waitText(t, b, "#check-status", "working")
	if look {
		b.Axe("video check, camera on")
		b.Shot("video-check-working")
	}
	b.ClickAndLoad("#join")
	waitText(t, b, "#waiting-status", "knows you are here")
	waitText(t, b, "#call-status", "Connected") // in the waiting room, over the WebSocket
}

func waitText(t *testing.T, b *testbrowser.Browser, sel, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if got := b.Eval(fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel)); strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never said %q: %q", sel, want, b.Eval(fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func appointmentStatus(t *testing.T, st store.Store, id string) fhir.Resource {
	t.Helper()
	v, err := st.Read(context.Background(), "Appointment", id)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := fhir.Unmarshal(v.Body)
	return a
}

// TestBrowserVideoCall: two Chromium instances with fake cameras join the
// same call through the real pages. The patient checks their camera,
// waits (the appointment is marked arrived), the GP lets them in, and
// each side receives audio and video (getStats); the patient drops and
// rejoins and media flows again; another patient and another GP are
// refused; chat; the start-of-call checks; ending marks the appointment
// seen and records an Encounter of class VR.
func TestBrowserVideoCall(t *testing.T) {
	doc := testbrowser.StartMedia(t)
	pat := testbrowser.StartMedia(t)
	s := testbrowser.NewStack(t)
	w := setUp(t, s)

	pat.Do(chromedp.EmulateViewport(375, 812))
	pat.SignIn(s.URL, w.patient)
	patientJoins(t, pat, s.URL, w, true)
	pat.Axe("waiting room")
	pat.Narrow("video-waiting", 320)
	pat.Do(chromedp.EmulateViewport(375, 812))
	pat.Shot("video-waiting")
	if a := appointmentStatus(t, s.Store, w.appt); a["status"] != "arrived" {
		t.Fatalf("joining the waiting room left the appointment %v", a["status"])
	}

	doc.SignIn(s.URL, w.gp)
	doc.Do(chromedp.Navigate(s.URL + "/workspace/appointments/" + w.appt))
	doc.ClickAndLoad("#join-video")
	doc.Text("#admit-patient")
	doc.Shot("video-clinician-waiting")
	doc.Axe("clinician's call page")
	doc.Narrow("video-clinician-waiting", 320)
	doc.TabTo("#admit-patient")
	// Presence arrives with every heartbeat; the button the GP has
	// reached must keep the focus through it (the list was once rebuilt,
	// and Enter then fell on the page's body).
	for n, deadline := doc.Eval(`String(window.gpVideo.presences)`), time.Now().Add(25*time.Second); doc.Eval(`String(window.gpVideo.presences)`) == n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no presence message reached the GP's page in 25 s")
		}
	}
	if id := doc.Eval(`document.activeElement ? document.activeElement.id : ""`); id != "admit-patient" {
		t.Fatalf("a presence update took the focus from the Let in button to %q", id)
	}
	doc.Do(chromedp.KeyEvent(kb.Enter))

	got := flowing(t, pat, "the patient")
	flowing(t, doc, "the GP")
	t.Logf("patient received %+v", got)
	pat.Axe("patient in the call")
	pat.Shot("video-call-patient")
	pat.Narrow("video-call-patient", 320)
	doc.Shot("video-call-clinician")

	// Chat both ways.
	pat.Do(chromedp.SendKeys(chromedp.ID("chat-text"), "I have sent you a photo of my rash"+kb.Enter))
	waitText(t, doc, "#chat-log", "photo of my rash")
	doc.Do(chromedp.SendKeys(chromedp.ID("chat-text"), "Thank you, I can see it"+kb.Enter))
	waitText(t, pat, "#chat-log", "I can see it")

	// A photo: the patient sends one; the GP is warned the patient is
	// under 18, cannot keep it as an intimate image, keeps it as not
	// intimate with consent, and it is hidden from online access.
	if a, _ := s.Store.Read(context.Background(), "Patient", w.practice.Patients[0]); !strings.Contains(string(a.Body), `"birthDate":"20`) {
		t.Fatalf("the test expects a patient under 18: %s", a.Body)
	}
	doc.Text("#child-photos")
	pat.Do(chromedp.SetUploadFiles(chromedp.ID("photo"), []string{photoFile(t)}))
	waitText(t, pat, "#photo-status", "sent")
	doc.Text("#photo-1-keep")
	doc.Shot("video-photo-received")
	doc.Axe("a photo received")
	doc.Do(chromedp.Click(chromedp.ID("photo-1-intimate-yes")), chromedp.Click(chromedp.ID("photo-1-requested")), chromedp.Click(chromedp.ID("photo-1-consent")),
		chromedp.SendKeys(chromedp.ID("photo-1-description"), "Rash on left forearm"), chromedp.Click(chromedp.ID("photo-1-keep")))
	waitText(t, doc, "#photo-1-errors", "under 18")
	doc.Do(chromedp.Click(chromedp.ID("photo-1-intimate-no")), chromedp.Click(chromedp.ID("photo-1-keep")))
	waitText(t, doc, "#photo-1-kept", "Kept in the record")
	docs, err := s.Store.Find(context.Background(), store.FindQuery{Type: "DocumentReference"})
	if err != nil || len(docs) != 1 {
		t.Fatalf("kept photos: %d %v", len(docs), err)
	}
	kept, _ := s.Store.Read(context.Background(), "DocumentReference", docs[0])
	if !strings.Contains(string(kept.Body), "NOPAT") || !strings.Contains(string(kept.Body), "photo-consent") {
		t.Fatalf("kept photo: %.400s", kept.Body)
	}

	// The patient drops (closes the page) and comes back: no waiting
	// room again, and media flows again both ways.
	pat.Do(chromedp.Navigate("about:blank"))
	waitText(t, doc, "#call-status", "Waiting for the others")
	pat.Do(chromedp.Navigate(s.URL + "/patient/appointments/" + w.appt + "/video/call"))
	flowing(t, pat, "the patient after rejoining")
	flowing(t, doc, "the GP after the patient rejoined")

	// Refused: another patient (the page and the WebSocket), another GP.
	third := testbrowser.StartMedia(t)
	third.SignIn(s.URL, w.other)
	third.Do(chromedp.Navigate(s.URL + "/patient/appointments/" + w.appt + "/video/call"))
	if !strings.Contains(third.Text("h1"), "Page not found") {
		t.Fatalf("another patient reached the call: %s", third.Text("main"))
	}
	ws, _ := chromedp.Run(third.Ctx, chromedp.Evaluate[string](`new Promise((ok) => { const ws = new WebSocket(location.origin.replace("http", "ws") + "/patient/appointments/`+w.appt+`/video/ws");
		ws.onopen = () => ok("opened"); ws.onerror = () => ok("refused"); ws.onclose = () => ok("refused") })`, chromedp.EvalAwaitPromise))
	if ws != "refused" {
		t.Fatalf("another patient's WebSocket: %s", ws)
	}
	third.SignIn(s.URL, w.otherGP)
	third.Do(chromedp.Navigate(s.URL + "/workspace/appointments/" + w.appt + "/video"))
	if !strings.Contains(third.Text("h1"), "Not your video appointment") {
		t.Fatalf("another GP reached the call: %s", third.Text("main"))
	}

	// A form of the call page sent for another patient (two tabs) is
	// refused and writes nothing (the one QuestionnaireResponse below is
	// the good one).
	status, err := chromedp.Run(doc.Ctx, chromedp.Evaluate[string](`(() => {
		const f = new URLSearchParams(new FormData(document.getElementById("checks")))
		f.set("patient", "`+w.practice.Patients[1]+`"); f.append("identifier", "name"); f.append("identifier", "birth-date")
		f.set("location", "Home"); f.set("call-back", "07700 900982"); f.set("present", "Nobody"); f.set("consent", "yes")
		return fetch(document.getElementById("checks").action, {method: "POST", body: f}).then(r => String(r.status)) })()`, chromedp.EvalAwaitPromise))
	if err != nil || status != "409" {
		t.Fatalf("checks sent for another patient: %s %v", status, err)
	}

	// The start-of-call checks: refused when incomplete, then recorded.
	doc.ClickAndLoad("#save-checks")
	if !strings.Contains(doc.Text(".nhsuk-error-summary"), "two identifiers") {
		t.Fatalf("incomplete checks: %s", doc.Text("main"))
	}
	doc.Shot("video-checks-error")
	doc.Axe("checks with errors")
	doc.Do(chromedp.Click(chromedp.ID("id-name")), chromedp.Click(chromedp.ID("id-birth-date")),
		chromedp.SendKeys(chromedp.ID("location"), "At home"), chromedp.SendKeys(chromedp.ID("call-back"), "07700 900982"),
		chromedp.SendKeys(chromedp.ID("present"), "Nobody"), chromedp.Click(chromedp.ID("consent-yes")))
	doc.ClickAndLoad("#save-checks")
	if !strings.Contains(doc.Text("#checks-done"), "07700 900982") {
		t.Fatalf("checks not recorded: %s", doc.Text("main"))
	}
	// The reload rejoined the GP: media flows again.
	flowing(t, doc, "the GP after reloading")

	// The consultation form beside the video: the GP types while talking
	// and saves; an error shows the error summary in the form; saving
	// never reloads the page (the marker survives) and media still flows.
	doc.Do(chromedp.WaitVisible(chromedp.CSS("#call-consultation #consultation-form")))
	doc.Eval(`window.gpNoReload = "still here"`)
	doc.Do(chromedp.SendKeys(chromedp.ID("t0-q"), "Rash on forearm"),
		chromedp.SendKeys(chromedp.ID("t0-history"), "Itchy rash on the left forearm for three days."),
		chromedp.SendKeys(chromedp.ID("t0-plan"), "Emollient; photo kept; review if spreading."),
		chromedp.SendKeys(chromedp.ID("systolic"), "150"), chromedp.SendKeys(chromedp.ID("diastolic"), "960"), chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.CSS("#call-consultation .nhsuk-error-summary")))
	if got := doc.Eval(`document.activeElement.className`); !strings.Contains(got, "nhsuk-error-summary") {
		t.Errorf("focus after an error is on %q, not the error summary", got)
	}
	doc.Axe("call page, consultation with errors")
	doc.Shot("video-consultation-error")
	doc.Narrow("video-consultation-error", 320)
	before := mediaStats(doc)
	doc.Do(chromedp.Clear(chromedp.ID("diastolic")), chromedp.SendKeys(chromedp.ID("diastolic"), "96"),
		chromedp.Click(chromedp.ID("save")))
	waitText(t, doc, "#call-consultation", "The consultation is saved")
	if got := doc.Eval(`window.gpNoReload || "reloaded"`); got != "still here" {
		t.Fatalf("saving the consultation reloaded the call page: %s", got)
	}
	after := flowing(t, doc, "the GP after saving the consultation")
	if after.Video <= before.Video || after.Audio <= before.Audio {
		t.Fatalf("media stopped after saving: before %+v after %+v", before, after)
	}
	doc.Axe("call page, consultation saved")
	doc.Shot("video-consultation-saved")
	comps, err := s.Store.Find(context.Background(), store.FindQuery{Type: "Composition"})
	if err != nil || len(comps) != 1 {
		t.Fatalf("consultations recorded: %d %v", len(comps), err)
	}
	comp, _ := s.Store.Read(context.Background(), "Composition", comps[0])
	if body := string(comp.Body); !strings.Contains(body, `"title":"Video consultation"`) || !strings.Contains(body, `"title":"Rash on forearm"`) {
		t.Fatalf("the consultation in the record: %s", body)
	}
	c, _ := fhir.Unmarshal(comp.Body)
	enc, _ := s.Store.Read(context.Background(), "Encounter", strings.TrimPrefix(c["encounter"].(map[string]any)["reference"].(string), "Encounter/"))
	if !strings.Contains(string(enc.Body), "Appointment/"+w.appt) {
		t.Fatalf("the consultation's Encounter is not linked to the appointment: %s", enc.Body)
	}
	histories, _ := s.Store.Find(context.Background(), store.FindQuery{Type: "Observation"})
	history := false
	for _, id := range histories {
		if o, _ := s.Store.Read(context.Background(), "Observation", id); strings.Contains(string(o.Body), "Itchy rash on the left forearm") {
			history = true
		}
	}
	if !history {
		t.Fatal("the history typed on the call page is not in the record")
	}
	if a := appointmentStatus(t, s.Store, w.appt); a["status"] != "fulfilled" {
		t.Fatalf("saving the consultation left the appointment %v", a["status"])
	}
	flowing(t, pat, "the patient after the GP saved the consultation")

	doc.ClickAndLoad("#end-call")
	waitText(t, pat, "#call-ended", "The call has ended")
	pat.Shot("video-ended")
	a := appointmentStatus(t, s.Store, w.appt)
	if a["status"] != "fulfilled" {
		t.Fatalf("ending left the appointment %v: %s", a["status"], doc.Text("main"))
	}
	if !strings.Contains(fmt.Sprint(a["extension"]), "actual-duration") {
		t.Fatalf("no actual duration: %v", a["extension"])
	}
	call, err := s.Video.Calls.Get(context.Background(), w.appt)
	if err != nil || call.Encounter == "" {
		t.Fatalf("no encounter: %v %+v", err, call)
	}
	v, err := s.Store.Read(context.Background(), "Encounter", call.Encounter)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := fhir.Unmarshal(v.Body)
	if e["status"] != "finished" || e["class"].(map[string]any)["code"] != "VR" || !strings.Contains(string(v.Body), "Appointment/"+w.appt) {
		t.Fatalf("encounter: %s", v.Body)
	}
	qrs, err := s.Store.Find(context.Background(), store.FindQuery{Type: "QuestionnaireResponse"})
	if err != nil || len(qrs) != 1 {
		t.Fatalf("checks recorded as %d QuestionnaireResponses (%v)", len(qrs), err)
	}
}

// photoFile writes a small PNG to send.
func photoFile(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "rash.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserVideoRelay: with the embedded TURN server and both browsers
// forced to relay-only ICE, media flows through the relay.
func TestBrowserVideoRelay(t *testing.T) {
	turn, err := video.StartTURN("127.0.0.1:0", "relay-secret", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer turn.Close()
	s := testbrowser.NewStackWith(t, testbrowser.StackOptions{TURN: video.TURN{URLs: []string{turn.URL}, Secret: "relay-secret"}})
	w := setUp(t, s)
	doc := testbrowser.StartMedia(t)
	pat := testbrowser.StartMedia(t)
	pat.SignIn(s.URL, w.patient)
	patientJoins(t, pat, s.URL, w, false)
	pat.Do(chromedp.Navigate(s.URL + "/patient/appointments/" + w.appt + "/video/call?relay=1"))
	doc.SignIn(s.URL, w.gp)
	doc.Do(chromedp.Navigate(s.URL + "/workspace/appointments/" + w.appt + "/video?relay=1"))
	doc.Text("#admit-patient[type=button]") // video.js's own button, which keeps the page
	doc.Do(chromedp.Click(chromedp.ID("admit-patient")))
	for _, side := range []struct {
		b    *testbrowser.Browser
		name string
	}{{pat, "the patient"}, {doc, "the GP"}} {
		st := flowing(t, side.b, side.name)
		t.Logf("%s: %+v", side.name, st)
		if !st.Relay {
			t.Errorf("%s's media does not go through the relay: %+v", side.name, st)
		}
	}
	if turn.Allocations() == 0 {
		t.Error("the TURN server made no relay")
	}
}

// TestBrowserVideoReplicas: two gpcloud servers on one PostgreSQL
// database, the GP on one and the patient on the other: the signalling
// crosses through the database and media flows.
func TestBrowserVideoReplicas(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := testbrowser.NewStackWith(t, testbrowser.StackOptions{Store: open()})
	b := testbrowser.NewStackWith(t, testbrowser.StackOptions{Store: open()})
	w := setUp(t, a)
	doc := testbrowser.StartMedia(t)
	pat := testbrowser.StartMedia(t)
	pat.SignIn(b.URL, w.patient)
	patientJoins(t, pat, b.URL, w, false)
	doc.SignIn(a.URL, w.gp)
	doc.Do(chromedp.Navigate(a.URL + "/workspace/appointments/" + w.appt + "/video"))
	doc.Text("#admit-patient")
	doc.Do(chromedp.Click(chromedp.ID("admit-patient")))
	flowing(t, pat, "the patient on replica B")
	flowing(t, doc, "the GP on replica A")
}
