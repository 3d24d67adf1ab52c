package workspace

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/notify"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/video"
)

// The clinician's side of a video appointment (internal/video): who is
// waiting and letting them in, the call with chat, the start-of-call
// checks, and what the call records: the appointment seen with its
// actual length and an Encounter of class VR when it ends, did not
// attend when the patient never joined, the mode when it goes on by
// phone. Only the appointment's own clinician may open it.

// videoPage is the call page.
type videoPage struct {
	page
	ID, Version, PatientID string
	Patient                string
	Start, End             time.Time
	Status                 string
	Call                   *video.Call
	Waiting                []*video.Participant
	Others                 []*video.Participant
	Checks                 clinical.VideoChecks
	ChecksDone             bool
	Identifiers            []clinical.Concept
	InviteLink, InviteFor  string
	Flash                  string
	CallBack               string
	// Child: the patient is under 18 (no intimate images, ever).
	Child bool
	// Summary is the record's summary beside the video (what the role
	// may read: Hidden names the rest).
	Summary clinical.Summary
	Hidden  []string
}

// Shows reports whether the summary shows a part (as the record page).
func (p *videoPage) Shows(part string) bool { return !slices.Contains(p.Hidden, part) }

// videoView reads the appointment and its call for the page; false when
// it answered (not found, not a video appointment, not this clinician's).
func (ws *Workspace) videoView(w http.ResponseWriter, r *http.Request, v *visit) (*videoPage, fhir.Resource, bool) {
	if ws.opts.Video == nil {
		ws.message(w, r, v, http.StatusNotFound, "Video calls are not available", "This gpcloud does not run video consultations.")
		return nil, nil, false
	}
	out, err := ws.opts.Service.Read(r.Context(), "Appointment", r.PathValue("appt"))
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	spec, err := video.ForAppointment(a)
	if err != nil {
		ws.message(w, r, v, http.StatusNotFound, "Not a video appointment", "This appointment is not booked as a video call (or it was cancelled).")
		return nil, nil, false
	}
	// Only the appointment's clinician joins the call; the service has
	// already decided they may reach the patient.
	if v.principal.FHIRUser == "" || v.principal.FHIRUser != spec.Clinician {
		ws.message(w, r, v, http.StatusForbidden, "Not your video appointment", "Only the clinician the appointment is booked with can join the call. Ask the practice to move the appointment to you.")
		return nil, nil, false
	}
	c, err := ws.opts.Video.Calls.Ensure(r.Context(), spec)
	if err != nil {
		ws.failed(w, r, v, err)
		return nil, nil, false
	}
	p := &videoPage{page: ws.base(v, "Video consultation", "Appointments"), ID: a.ID(), Version: strconv.FormatInt(out.Version.VersionID, 10),
		PatientID: spec.Patient, Patient: spec.PatientName, Status: text(a["status"]), Call: c, Identifiers: clinical.VideoIdentifiers}
	p.Start, _ = time.Parse(time.RFC3339, text(a["start"]))
	p.End, _ = time.Parse(time.RFC3339, text(a["end"]))
	if pr, err := ws.read(r.Context(), "Patient", spec.Patient); err == nil {
		b := clinical.BannerOf(pr, ws.opts.Now())
		p.Banner = &b
	}
	now := ws.opts.Now()
	for _, part := range c.Participants {
		switch {
		case part.Role == video.Clinician:
		case part.Present(now) && !part.Admitted:
			p.Waiting = append(p.Waiting, part)
		default:
			p.Others = append(p.Others, part)
		}
	}
	sort.Slice(p.Waiting, func(i, j int) bool { return p.Waiting[i].ID < p.Waiting[j].ID })
	sort.Slice(p.Others, func(i, j int) bool { return p.Others[i].ID < p.Others[j].ID })
	if pr, err := ws.read(r.Context(), "Patient", spec.Patient); err == nil {
		if birth, err := time.Parse("2006-01-02", text(pr["birthDate"])); err == nil {
			p.Child = birth.AddDate(18, 0, 0).After(now)
		}
	}
	p.ChecksDone = c.Checked
	p.CallBack = c.CallBack
	return p, a, true
}

func (ws *Workspace) videoCall(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.videoView(w, r, v)
	if !ok {
		return
	}
	sum, hidden, err := ws.summary(r.Context(), p.PatientID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Summary, p.Hidden = sum, hidden
	if err := p.Call.Open(ws.opts.Now()); err != nil {
		status := http.StatusOK
		if errors.Is(err, video.ErrNotOpen) {
			p.Flash = "The call is open from 30 minutes before the appointment to 2 hours after it ends."
			status = http.StatusForbidden
		}
		ws.pages.Render(w, "video", status, p)
		return
	}
	switch r.URL.Query().Get("done") {
	case "checks":
		p.Flash = "Start-of-call checks recorded."
	case "phone":
		p.Flash = "Switched to a phone call: the patient has been told you will phone them. Call them now, then end the call here when you finish."
	case "admit":
		p.Flash = "The patient has been let in."
	}
	ws.pages.Render(w, "video", http.StatusOK, p)
}

// videoSocket is the clinician's WebSocket.
func (ws *Workspace) videoSocket(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.videoView(w, r, v)
	if !ok {
		return
	}
	ws.opts.Video.Serve(w, r, p.Call.ID, video.Who{ID: "clinician", Role: video.Clinician, Name: firstNonEmpty(p.Call.ClinicianName, v.user.Name)})
}

// videoForm checks a form of the call page: the page's patient (the
// wrong-patient guard) and a call that is still open.
func (ws *Workspace) videoForm(w http.ResponseWriter, r *http.Request, v *visit) (*videoPage, fhir.Resource, bool) {
	p, a, ok := ws.videoView(w, r, v)
	if !ok {
		return nil, nil, false
	}
	if p.Banner == nil || !ws.samePatient(w, r, v, *p.Banner) {
		if p.Banner == nil {
			ws.message(w, r, v, http.StatusConflict, "Not saved", "The patient's record could not be read, so nothing was saved.")
		}
		return nil, nil, false
	}
	if err := p.Call.Open(ws.opts.Now()); err != nil {
		ws.message(w, r, v, http.StatusConflict, "The call has ended", "This call has already ended, so nothing was changed. Open the appointment to see what was recorded.")
		return nil, nil, false
	}
	return p, a, true
}

// videoAdmit lets a waiting person in (the page's button works without
// JavaScript; with it, the same goes over the WebSocket).
func (ws *Workspace) videoAdmit(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	if _, err := ws.opts.Video.Admit(r.Context(), p.Call.ID, r.PostFormValue("participant")); err != nil {
		ws.message(w, r, v, http.StatusConflict, "Nobody to let in", "That person is no longer waiting.")
		return
	}
	http.Redirect(w, r, "/workspace/appointments/"+p.ID+"/video?done=admit", http.StatusSeeOther)
}

// videoChecks records the start-of-call checks (clinical.VideoChecks) as
// a QuestionnaireResponse about the call's Encounter.
func (ws *Workspace) videoChecks(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	_ = r.ParseForm()
	p.Checks = clinical.VideoChecks{Identifiers: r.PostForm["identifier"], Location: r.PostFormValue("location"),
		CallBack: r.PostFormValue("call-back"), Present: r.PostFormValue("present"), Consent: r.PostFormValue("consent")}
	if errs := p.Checks.Check(); len(errs) > 0 {
		for _, id := range []string{"id-name", "location", "call-back", "present", "consent-yes"} {
			if m := errs[id]; m != "" {
				p.AddError(id, m)
			}
		}
		ws.pages.Render(w, "video", http.StatusUnprocessableEntity, p)
		return
	}
	who := ws.authorRef(r.Context(), v)
	enc, err := ws.videoEncounter(r, p, who, time.Time{})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	qr := p.Checks.QuestionnaireResponse(p.PatientID, enc, who, ws.opts.Now())
	if _, err := ws.opts.Service.Create(r.Context(), "QuestionnaireResponse", qr, ""); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	phone, _ := clinical.NormalizePhone(p.Checks.CallBack)
	c, err := ws.opts.Video.Calls.Update(r.Context(), p.Call.ID, func(c *video.Call) error {
		c.Checked, c.CallBack = true, clinical.FormatPhone(phone)
		return nil
	})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ws.opts.Video.Refresh(c)
	http.Redirect(w, r, "/workspace/appointments/"+p.ID+"/video?done=checks", http.StatusSeeOther)
}

// videoEncounter writes the call's Encounter: created in progress the
// first time, finished (with its end and length) when end is set.
func (ws *Workspace) videoEncounter(r *http.Request, p *videoPage, who clinical.Ref, end time.Time) (string, error) {
	c, err := ws.opts.Video.Calls.Get(r.Context(), p.Call.ID)
	if err != nil {
		return "", err
	}
	start := c.Started
	if start.IsZero() {
		start = ws.opts.Now()
	}
	var others []string
	ids := make([]string, 0, len(c.Participants))
	for id := range c.Participants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if part := c.Participants[id]; part.Role != video.Clinician && part.Admitted && !part.Joined.IsZero() {
			others = append(others, part.Name)
		}
	}
	enc := clinical.VideoCall{AppointmentID: p.ID, PatientID: p.PatientID, Clinician: who, Others: others, Start: start, End: end, Mode: c.Mode}.Encounter()
	if c.Encounter != "" {
		enc["id"] = c.Encounter
		_, err := ws.opts.Service.Update(r.Context(), "Encounter", c.Encounter, enc, service.Precondition{})
		return c.Encounter, err
	}
	out, err := ws.opts.Service.Create(r.Context(), "Encounter", enc, "")
	if err != nil {
		return "", err
	}
	id := out.Version.ID
	_, err = ws.opts.Video.Calls.Update(r.Context(), p.Call.ID, func(c *video.Call) error { c.Encounter = id; return nil })
	return id, err
}

// videoEnd ends the call: everyone is disconnected; when the patient
// was let in, the Encounter is finished with the call's length and the
// appointment marked seen with its actual duration.
func (ws *Workspace) videoEnd(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	c, err := ws.opts.Video.End(r.Context(), p.Call.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if c.Started.IsZero() {
		// Nobody was let in: nothing happened clinically.
		http.Redirect(w, r, "/workspace/appointments/"+p.ID+"?changed=1", http.StatusSeeOther)
		return
	}
	if _, err := ws.videoEncounter(r, p, ws.authorRef(r.Context(), v), c.Ended); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	minutes := clinical.VideoMinutes(c.Started, c.Ended)
	if err := ws.videoAppointment(r, a, func(a fhir.Resource) {
		a["status"] = "fulfilled"
		setExtension(a, clinical.ActualDurationURL, "valueDuration", map[string]any{"value": float64(minutes), "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"})
	}); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/appointments/"+p.ID+"?changed=1", http.StatusSeeOther)
}

// videoAppointment changes the appointment, going through arrived when
// it is still booked (the patient's own page marks it, but a failed
// write there must not block the clinician).
func (ws *Workspace) videoAppointment(r *http.Request, a fhir.Resource, change func(fhir.Resource)) error {
	for range 3 {
		if a["status"] == "booked" {
			a["status"] = "arrived"
			if _, err := ws.opts.Service.Update(r.Context(), "Appointment", a.ID(), a, service.Precondition{}); err != nil {
				return err
			}
		}
		out, err := ws.opts.Service.Read(r.Context(), "Appointment", a.ID())
		if err != nil {
			return err
		}
		if a, err = fhir.Unmarshal(out.Version.Body); err != nil {
			return err
		}
		if a["status"] == "booked" {
			continue
		}
		change(a)
		_, err = ws.opts.Service.Update(r.Context(), "Appointment", a.ID(), a, service.Precondition{Set: true, Version: out.Version.VersionID})
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status == http.StatusPreconditionFailed {
			continue // changed meanwhile: read it again
		}
		return err
	}
	return errors.New("workspace: the appointment kept changing")
}

func setExtension(a fhir.Resource, url, key string, value any) {
	exts, _ := a["extension"].([]any)
	exts = slices.DeleteFunc(exts, func(x any) bool { m, _ := x.(map[string]any); return m["url"] == url })
	a["extension"] = append(exts, map[string]any{"url": url, key: value})
}

// videoDNA records that the patient did not join: only while the
// appointment is still booked (a patient who reached the waiting room
// attended, whatever happened next).
func (ws *Workspace) videoDNA(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	if p.Status != "booked" || !p.Call.Started.IsZero() {
		p.AddError("dna", "The patient joined the call, so this cannot be recorded as did not attend.")
		ws.pages.Render(w, "video", http.StatusUnprocessableEntity, p)
		return
	}
	a["status"] = "noshow"
	if _, err := ws.opts.Service.Update(r.Context(), "Appointment", a.ID(), a, service.Precondition{Set: true, Version: mustInt(p.Version)}); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	if _, err := ws.opts.Video.End(r.Context(), p.Call.ID); err != nil && !errors.Is(err, video.ErrEnded) {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/appointments/"+p.ID+"?changed=1", http.StatusSeeOther)
}

func mustInt(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// videoPhone switches the call to the telephone: the patient's page says
// the clinician will phone; the appointment's mode becomes telephone,
// marked as switched from video, and the Encounter will be a telephone
// one.
func (ws *Workspace) videoPhone(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	if _, err := ws.opts.Video.SwitchToPhone(r.Context(), p.Call.ID); err != nil {
		ws.failed(w, r, v, err)
		return
	}
	err := ws.videoAppointment(r, a, func(a fhir.Resource) {
		a["appointmentType"] = map[string]any{"text": "telephone"}
		setExtension(a, video.SwitchedURL, "valueCode", "video")
	})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/appointments/"+p.ID+"/video?done=phone", http.StatusSeeOther)
}

// videoInvite makes a one-time link: for an interpreter or another guest
// (no account; the link admits them to the waiting room once), or for
// the patient (they sign in, and it works only for them or their proxy).
func (ws *Workspace) videoInvite(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	to, name := video.Role(r.PostFormValue("for")), strings.TrimSpace(r.PostFormValue("name"))
	switch {
	case to == video.Guest && name == "":
		p.AddError("guest-name", "Enter the name of the person you are inviting, such as Interpreter (Polish)")
	case len(name) > 100:
		p.AddError("guest-name", "The name must be 100 characters or fewer")
	case to != video.Guest && to != video.Patient:
		p.AddError("guest-name", "Choose who the link is for")
	}
	if len(p.Errors) > 0 {
		ws.pages.Render(w, "video", http.StatusUnprocessableEntity, p)
		return
	}
	token, err := ws.opts.Video.Calls.NewInvite(r.Context(), p.Call.ID, to, name)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	if to == video.Guest {
		p.InviteLink, p.InviteFor = scheme+r.Host+"/patient/guest/"+token, name
	} else {
		p.InviteLink, p.InviteFor = scheme+r.Host+"/patient/video/"+token, "the patient"
	}
	ws.pages.Render(w, "video", http.StatusOK, p)
}

// videoPhoto keeps a photo the patient sent in the call's chat, when the
// clinician decides to (clinical.PhotoKeep: never an intimate image of
// an under-18; an adult's intimate one only when asked for; always with
// the patient's explicit consent), as a DocumentReference hidden from
// online access. The page posts it with fetch, so that the call goes
// on; the answer is JSON: {"errors": {field: message}} or {"kept": id}.
func (ws *Workspace) videoPhoto(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	keep := clinical.PhotoKeep{Intimate: r.PostFormValue("intimate"), Requested: r.PostFormValue("requested") == "yes",
		Consent: r.PostFormValue("consent") == "yes", Description: r.PostFormValue("description")}
	if p.Banner != nil {
		if pr, err := ws.read(r.Context(), "Patient", p.PatientID); err == nil {
			keep.BirthDate = text(pr["birthDate"])
		}
	}
	data := r.PostFormValue("photo")
	for _, ct := range []string{"image/jpeg", "image/png"} {
		if b64, ok := strings.CutPrefix(data, "data:"+ct+";base64,"); ok {
			keep.ContentType = ct
			keep.Data, _ = base64.StdEncoding.DecodeString(b64)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if errs := keep.Check(ws.opts.Now()); len(errs) > 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": errs})
		return
	}
	who := ws.authorRef(r.Context(), v)
	enc, err := ws.videoEncounter(r, p, who, time.Time{})
	if err != nil {
		ws.opts.Logger.Error("keeping a photo: the call's encounter", "error", err)
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": map[string]string{"photo-description": "The photo could not be kept. Try again."}})
		return
	}
	out, err := ws.opts.Service.Create(r.Context(), "DocumentReference", keep.DocumentReference(p.PatientID, enc, who, ws.opts.Now()), "")
	if err != nil {
		ws.opts.Logger.Error("keeping a photo", "error", err)
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": map[string]string{"photo-description": "The photo could not be kept. Try again."}})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"kept": out.Version.ID})
}

// videoWaiting reports which of the book's waiting patients are in a
// video call's waiting room now: the book's Waiting list marks them
// ("waiting"), with a link to the call for its clinician ("mine").
func (ws *Workspace) videoWaiting(r *http.Request, v *visit, book *appointments.Book) map[string]string {
	if ws.opts.Video == nil || len(book.Waiting) == 0 {
		return nil
	}
	out := map[string]string{}
	now := ws.opts.Now()
	for _, b := range book.Waiting {
		c, err := ws.opts.Video.Calls.Get(r.Context(), b.Appointment)
		if err != nil {
			continue
		}
		if p := c.Participants["patient"]; p != nil && p.Present(now) && !p.Admitted && c.Ended.IsZero() {
			out[b.Appointment] = "waiting"
			if c.Clinician == v.principal.FHIRUser {
				out[b.Appointment] = "mine"
			}
		}
	}
	return out
}

// videoSendLink sends the patient a one-time link by email or SMS, on
// the channels they agreed to (clinical.VideoLinkMessages), through the
// notifier's outbox; where none can go the page says so and the
// clinician makes a link to read out instead.
func (ws *Workspace) videoSendLink(w http.ResponseWriter, r *http.Request, v *visit) {
	p, a, ok := ws.videoForm(w, r, v)
	if !ok {
		return
	}
	pr, err := ws.read(r.Context(), "Patient", p.PatientID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	// Messages only on channels that will go: a link queued for a
	// channel that is not set up would wait for ever.
	probe := clinical.VideoLinkMessages(a, pr, "", "", ws.opts.Now())
	var msgs []clinical.AppointmentMessage
	for _, m := range probe {
		if ws.opts.Sends != nil && ws.opts.Sends(m.Channel) {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		why := "The patient has not agreed to email or text messages, is under 16, or email and SMS are not set up here."
		if len(probe) > 0 {
			why = "Email and SMS are not set up on this gpcloud (not connected), so nothing can be sent."
		}
		p.AddError("send-link", why+" Make a link for the patient and read it to them, or phone them.")
		ws.pages.Render(w, "video", http.StatusUnprocessableEntity, p)
		return
	}
	token, err := ws.opts.Video.Calls.NewInvite(r.Context(), p.Call.ID, video.Patient, "")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	link := scheme + r.Host + "/patient/video/" + token
	practice := "Your GP practice"
	if org, _ := pr["managingOrganization"].(map[string]any); org != nil {
		if o, err := ws.read(r.Context(), "Organization", strings.TrimPrefix(text(org["reference"]), "Organization/")); err == nil && text(o["name"]) != "" {
			practice = text(o["name"])
		}
	}
	msgs = slices.DeleteFunc(clinical.VideoLinkMessages(a, pr, link, practice, ws.opts.Now()), func(m clinical.AppointmentMessage) bool {
		return ws.opts.Sends == nil || !ws.opts.Sends(m.Channel)
	})
	var sent []string
	err = ws.opts.Store.InTx(r.Context(), func(tx store.Tx) error {
		for _, m := range msgs {
			subject, body := clinical.AppointmentMessageText(m)
			if err := notify.Enqueue(r.Context(), tx, notify.Message{Key: "video-link:" + p.ID + ":" + token[:8] + ":" + m.Channel,
				Channel: notify.Channel(m.Channel), To: m.To, Template: "appointment-video-link", Personalisation: m.Fields,
				Subject: subject, Body: body, About: "Appointment/" + p.ID}); err != nil {
				return err
			}
			sent = append(sent, map[string]string{"email": "email", "sms": "text message"}[m.Channel])
		}
		return nil
	})
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Flash = "A link is on its way to the patient by " + strings.Join(sent, " and ") + ". It works once."
	ws.pages.Render(w, "video", http.StatusOK, p)
}

// videoAdHoc starts a video call from the record, not from a booked
// appointment: it books an appointment of mode video with the clinician,
// now, for 20 minutes (so the call is recorded as any other, in the book,
// GPAD and E00617), and opens its call page, where the clinician sends
// the patient a link.
func (ws *Workspace) videoAdHoc(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok || !ws.samePatient(w, r, v, patient) {
		return
	}
	if ws.opts.Video == nil || !mayConsult(v.principal) || !strings.HasPrefix(v.principal.FHIRUser, "Practitioner/") {
		ws.message(w, r, v, http.StatusForbidden, "Not available", "Only a clinician can start a video call.")
		return
	}
	who := ws.authorRef(r.Context(), v)
	now := ws.opts.Now().UTC().Truncate(time.Minute)
	a := fhir.Resource{"resourceType": "Appointment", "status": "booked",
		"start": now.Format(time.RFC3339), "end": now.Add(20 * time.Minute).Format(time.RFC3339), "created": now.Format(time.RFC3339),
		"appointmentType": map[string]any{"text": "video"}, "description": "Video call started from the record",
		"participant": []any{
			map[string]any{"actor": map[string]any{"reference": "Patient/" + patient.ID, "display": patient.Name}, "status": "accepted", "required": "required"},
			map[string]any{"actor": map[string]any{"reference": who.Reference, "display": who.Display}, "status": "accepted", "required": "required"},
		},
		"extension": []any{map[string]any{"url": clinical.BookedByURL, "valueReference": map[string]any{"reference": who.Reference, "display": who.Display}}},
	}
	out, err := ws.opts.Service.Create(r.Context(), "Appointment", a, "")
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/appointments/"+out.Version.ID+"/video", http.StatusSeeOther)
}
