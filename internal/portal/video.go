package portal

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/video"
	"github.com/gpcloud/gpcloud/internal/web"
)

// Video appointments (internal/video): the patient checks their camera
// and microphone, joins the waiting room (which marks them arrived),
// and is let in by the clinician. A one-time link sent to the patient
// leads here after they sign in; one sent to an invited interpreter
// leads to the guest pages, which need no account.

// videoPage is the camera check and the call.
type videoPage struct {
	page
	ID   string
	Appt appt
	// WS is the call's WebSocket path; Role the person's part in it.
	WS, Role string
	Guest    bool
}

// guestCookie names a guest's pass once their link is used.
const guestCookie = "gp_video_guest"

// videoAppointment reads the patient's video appointment and its call,
// refusing one that is not by video or not open now.
func (pt *Portal) videoAppointment(w http.ResponseWriter, r *http.Request, v *visit) (fhir.Resource, int64, *video.Call, bool) {
	if pt.opts.Video == nil {
		pt.message(w, v, http.StatusNotFound, "Video appointments are not available", "Your GP surgery does not offer video appointments online. Contact them to talk about your appointment.")
		return nil, 0, nil, false
	}
	a, version, ok := pt.ownAppointment(w, r, v)
	if !ok {
		return nil, 0, nil, false
	}
	spec, err := video.ForAppointment(a)
	if err != nil {
		pt.message(w, v, http.StatusNotFound, "Not a video appointment", "This appointment is not a video call. Check the type of appointment on your Appointments page.")
		return nil, 0, nil, false
	}
	c, err := pt.opts.Video.Calls.Ensure(r.Context(), spec)
	if err != nil {
		pt.failed(w, r, v, err)
		return nil, 0, nil, false
	}
	if err := c.Open(pt.opts.Now()); err != nil {
		pt.videoRefused(w, v, err)
		return nil, 0, nil, false
	}
	return a, version, c, true
}

// videoRefused explains why a link or a call cannot be used now.
func (pt *Portal) videoRefused(w http.ResponseWriter, v *visit, err error) {
	switch {
	case errors.Is(err, video.ErrNotOpen):
		pt.message(w, v, http.StatusForbidden, "This video appointment is not open now", "You can join from 30 minutes before the appointment until 2 hours after it should have ended. Check the time on your Appointments page, or contact your GP surgery.")
	case errors.Is(err, video.ErrEnded):
		pt.message(w, v, http.StatusGone, "This video appointment has ended", "The clinician has ended the call. If you still need help, contact your GP surgery. If you need help now, call 111.")
	case errors.Is(err, video.ErrUsedLink):
		pt.message(w, v, http.StatusGone, "This link has already been used", "Each link works once. If you used it before, join from Appointments after signing in, or ask your GP surgery for a new link.")
	case errors.Is(err, video.ErrUnknownLink), errors.Is(err, video.ErrNoCall):
		pt.message(w, v, http.StatusNotFound, "This link does not work", "Check you used the whole link from your message. If it still does not work, contact your GP surgery.")
	case errors.Is(err, errWrongPerson):
		pt.message(w, v, http.StatusForbidden, "This link is for someone else", "This link was sent for another person’s appointment, so it does not work with your account. Nothing about that appointment has been shown. If you think this is wrong, contact your GP surgery.")
	default:
		pt.message(w, v, http.StatusInternalServerError, "Sorry, there is a problem with the service", "Try again later. If you need help now, call your GP surgery or 111.")
	}
}

var errWrongPerson = errors.New("portal: the link is for another person")

// videoCheck is the camera and microphone check before the waiting room.
func (pt *Portal) videoCheck(w http.ResponseWriter, r *http.Request, v *visit) {
	a, _, c, ok := pt.videoAppointment(w, r, v)
	if !ok {
		return
	}
	p := &videoPage{page: pt.base(v, "Check your camera and microphone", "Appointments"), ID: c.ID, Appt: apptOf(a, pt.opts.Now())}
	pt.pages.Render(w, "video-check", http.StatusOK, p)
}

// videoJoin enters the waiting room: the appointment is marked arrived
// (the practice's book shows the patient is here), then the call page.
func (pt *Portal) videoJoin(w http.ResponseWriter, r *http.Request, v *visit) {
	a, version, c, ok := pt.videoAppointment(w, r, v)
	if !ok {
		return
	}
	if a["status"] == "booked" {
		a["status"] = "arrived"
		_, err := pt.opts.Service.Update(r.Context(), "Appointment", a.ID(), a, service.Precondition{Set: true, Version: version})
		// Someone changed it meanwhile (the practice marked it): the
		// patient still joins; the clinician sees them waiting.
		if err != nil && !conflict(err) {
			pt.failed(w, r, v, err)
			return
		}
	}
	http.Redirect(w, r, "/patient/appointments/"+c.ID+"/video/call", http.StatusSeeOther)
}

func conflict(err error) bool {
	var fe *fhir.Error
	return errors.As(err, &fe) && (fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed)
}

// videoCall is the waiting room and the call.
func (pt *Portal) videoCall(w http.ResponseWriter, r *http.Request, v *visit) {
	a, _, c, ok := pt.videoAppointment(w, r, v)
	if !ok {
		return
	}
	p := &videoPage{page: pt.base(v, "Video appointment", "Appointments"), ID: c.ID, Appt: apptOf(a, pt.opts.Now()),
		WS: "/patient/appointments/" + c.ID + "/video/ws", Role: "patient"}
	pt.pages.Render(w, "video-call", http.StatusOK, p)
}

// videoSocket is the call's WebSocket, for the patient or their proxy.
func (pt *Portal) videoSocket(w http.ResponseWriter, r *http.Request, v *visit) {
	_, _, c, ok := pt.videoAppointment(w, r, v)
	if !ok {
		return
	}
	name := v.Patient.Name
	if v.Proxy {
		name = v.user.Name + " (for " + v.Patient.Name + ")"
	}
	pt.opts.Video.Serve(w, r, c.ID, video.Who{ID: "patient", Role: video.Patient, Name: name})
}

// videoLink is the patient's one-time link: once signed in, it works for
// the call's patient or someone acting for them, once.
func (pt *Portal) videoLink(w http.ResponseWriter, r *http.Request, v *visit) {
	if pt.opts.Video == nil {
		pt.videoRefused(w, v, video.ErrUnknownLink)
		return
	}
	c, _, _, err := pt.opts.Video.Calls.UseInvite(r.Context(), r.PathValue("token"), func(c *video.Call, inv *video.Invite) error {
		if inv.For != video.Patient {
			return video.ErrUnknownLink
		}
		if !slices.Contains(v.user.Patients, c.Patient) {
			return errWrongPerson
		}
		return nil
	})
	if err != nil {
		pt.videoRefused(w, v, err)
		return
	}
	// The proxy's pages now show the person the call is for.
	http.SetCookie(w, &http.Cookie{Name: recordCookie, Value: c.Patient, Path: "/patient/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/patient/appointments/"+c.ID+"/video", http.StatusSeeOther)
}

// guestLink spends an invited guest's one-time link: their browser gets
// a pass (a cookie) for this call only, and goes to the call.
func (pt *Portal) guestLink(w http.ResponseWriter, r *http.Request) {
	if pt.opts.Video == nil {
		pt.videoRefused(w, nil, video.ErrUnknownLink)
		return
	}
	c, _, secret, err := pt.opts.Video.Calls.UseInvite(r.Context(), r.PathValue("token"), func(_ *video.Call, inv *video.Invite) error {
		if inv.For != video.Guest {
			return video.ErrUnknownLink
		}
		return nil
	})
	if err != nil {
		pt.videoRefused(w, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: guestCookie, Value: secret, Path: "/patient/guest/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, Expires: c.Closes})
	http.Redirect(w, r, "/patient/guest/call", http.StatusSeeOther)
}

// guest returns the pass of a guest's browser, or answers why not.
func (pt *Portal) guest(w http.ResponseWriter, r *http.Request) (*video.GuestPass, *video.Call, bool) {
	ck, err := r.Cookie(guestCookie)
	if pt.opts.Video == nil || err != nil {
		pt.videoRefused(w, nil, video.ErrUnknownLink)
		return nil, nil, false
	}
	g, err := pt.opts.Video.Calls.Guest(r.Context(), ck.Value)
	if err != nil {
		pt.videoRefused(w, nil, video.ErrUnknownLink)
		return nil, nil, false
	}
	c, err := pt.opts.Video.Calls.Get(r.Context(), g.Call)
	if err == nil {
		err = c.Open(pt.opts.Now())
	}
	if err != nil {
		pt.videoRefused(w, nil, err)
		return nil, nil, false
	}
	return g, c, true
}

func (pt *Portal) guestCall(w http.ResponseWriter, r *http.Request) {
	_, c, ok := pt.guest(w, r)
	if !ok {
		return
	}
	p := &videoPage{page: page{Page: web.Page{Title: "Video appointment", Home: "/patient/guest/call"}}, ID: c.ID,
		Appt: appt{Start: c.Opens.Add(30 * time.Minute)}, WS: "/patient/guest/ws", Role: "guest", Guest: true}
	pt.pages.Render(w, "video-call", http.StatusOK, p)
}

func (pt *Portal) guestSocket(w http.ResponseWriter, r *http.Request) {
	g, c, ok := pt.guest(w, r)
	if !ok {
		return
	}
	pt.opts.Video.Serve(w, r, c.ID, video.Who{ID: g.Participant, Role: video.Guest, Name: g.Name})
}

// videoOffered reports whether an appointment's page offers the call.
func videoOffered(a appt, now time.Time) bool {
	if a.Mode != "video" || (a.Status != "booked" && a.Status != "arrived" && a.Status != "checked-in") {
		return false
	}
	opens, closes := video.Window(a.Start, a.End)
	return !now.Before(opens) && !now.After(closes)
}
