package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// appt is one appointment as the patient sees it.
type appt struct {
	ID         string
	Version    int64
	Start, End time.Time
	Mode       string
	With       string
	Status     string
	Cancelled  bool
	// CanCancel: booked and not started (and, once cancelCutoff has
	// run, not within the practice's cut-off).
	CanCancel bool
	// CancelClosed says why a booked appointment cannot be cancelled
	// online any more (the practice's cut-off), "" otherwise.
	CancelClosed string
	Reason       string
}

func apptOf(a fhir.Resource, now time.Time) appt {
	out := appt{ID: a.ID()}
	out.Start, _ = time.Parse(time.RFC3339, str(a["start"]))
	out.End, _ = time.Parse(time.RFC3339, str(a["end"]))
	if t, ok := a["appointmentType"].(map[string]any); ok {
		out.Mode = str(t["text"])
	}
	for _, p := range list(a["participant"]) {
		actor, _ := p["actor"].(map[string]any)
		if ref := str(actor["reference"]); strings.HasPrefix(ref, "Practitioner") {
			out.With = str(actor["display"])
		}
	}
	out.Status = str(a["status"])
	out.Cancelled = out.Status == "cancelled"
	out.CanCancel = out.Status == "booked" && out.Start.After(now)
	if d, ok := a["description"].(string); ok {
		out.Reason = d
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []map[string]any {
	var out []map[string]any
	xs, _ := v.([]any)
	for _, x := range xs {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// search runs a search as the user and returns the matches.
func (pt *Portal) search(r *http.Request, typ string, params url.Values) ([]fhir.Resource, error) {
	out, err := pt.opts.Service.Search(r.Context(), service.SearchRequest{Type: typ, Params: params})
	if err != nil {
		return nil, err
	}
	return appointments.Matches(out.Resource), nil
}

// appointmentsPage lists upcoming and past appointments.
type appointmentsPage struct {
	page
	Upcoming, Past []appt
	// Withdrawn are cancelled appointments that had not yet happened.
	Withdrawn         []appt
	Booked, Cancelled bool
}

func (pt *Portal) appointments(w http.ResponseWriter, r *http.Request, v *visit) {
	found, err := pt.search(r, "Appointment", url.Values{"patient": {"Patient/" + v.Patient.ID}, "_sort": {"-date"}, "_count": {"100"}})
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	now := pt.opts.Now()
	p := &appointmentsPage{page: pt.base(v, "Appointments", "Appointments"),
		Cancelled: r.URL.Query().Get("cancelled") == "1"}
	for _, a := range found {
		x := apptOf(a, now)
		switch {
		case x.Start.After(now) && !x.Cancelled:
			p.Upcoming = append(p.Upcoming, x)
		case x.Start.After(now):
			p.Withdrawn = append(p.Withdrawn, x)
		default:
			p.Past = append(p.Past, x)
		}
	}
	// Upcoming soonest first; past newest first (the search's order).
	slices.SortFunc(p.Upcoming, func(a, b appt) int { return a.Start.Compare(b.Start) })
	pt.pages.Render(w, "appointments", http.StatusOK, p)
}

// appointmentPage is one appointment; after booking it confirms.
type appointmentPage struct {
	page
	Appt   appt
	Booked bool
	// Video: the video call can be joined now.
	Video bool
}

// ownAppointment reads an appointment of the current record; another
// record's (a proxy's other person, by a changed URL) is not found.
func (pt *Portal) ownAppointment(w http.ResponseWriter, r *http.Request, v *visit) (fhir.Resource, int64, bool) {
	out, err := pt.opts.Service.Read(r.Context(), "Appointment", r.PathValue("appt"))
	if err != nil {
		pt.failed(w, r, v, err)
		return nil, 0, false
	}
	a, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		pt.failed(w, r, v, err)
		return nil, 0, false
	}
	if clinical.AppointmentPatient(a).Reference != "Patient/"+v.Patient.ID {
		pt.message(w, v, http.StatusNotFound, "Page not found", "This appointment is not part of the record you are using.")
		return nil, 0, false
	}
	return a, out.Version.VersionID, true
}

func (pt *Portal) appointment(w http.ResponseWriter, r *http.Request, v *visit) {
	a, _, ok := pt.ownAppointment(w, r, v)
	if !ok {
		return
	}
	p := &appointmentPage{page: pt.base(v, "Your appointment", "Appointments"), Appt: apptOf(a, pt.opts.Now()), Booked: r.URL.Query().Get("booked") == "1"}
	pt.cancelCutoff(r, v, &p.Appt)
	p.Video = pt.opts.Video != nil && videoOffered(p.Appt, pt.opts.Now())
	if p.Booked {
		p.Title = "Appointment booked"
	}
	pt.pages.Render(w, "appointment", http.StatusOK, p)
}
