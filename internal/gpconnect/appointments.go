package gpconnect

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Appointment Management over the practice's appointment book: free
// slots are the practice's Slots offered to GP Connect
// (clinical.SlotBookableByURL gp-connect), bookable now
// (clinical.CheckBookable: not started, not embargoed) and released to
// the consumer's organisation and type as its searchFilter gives them
// (clinical.GPConnectRelease, the specification's slot availability
// table; the booking is judged by the same rule); a booking is an
// R4 Appointment written through the service, whose booking rules and
// slot locking decide (a slot taken meanwhile is 409 DUPLICATE_REJECTED).

// maxSlotDays bounds a free-slot search (the specification allows up to
// 14 days).
const maxSlotDays = 14

// dateParam reads a GP Connect date search value with its prefix
// (start=ge2026-12-02, end=le2026-12-09; a bare date or a dateTime too).
func dateParam(v, want string) (time.Time, *Error) {
	prefix, rest := "", v
	if len(v) > 2 && (v[:2] == "ge" || v[:2] == "le" || v[:2] == "gt" || v[:2] == "lt" || v[:2] == "eq") {
		prefix, rest = v[:2], v[2:]
	}
	if prefix != "" && prefix != want && !(want == "ge" && prefix == "gt") && !(want == "le" && prefix == "lt") {
		return time.Time{}, errorf(InvalidParameter, "%q: use the %s prefix", v, want)
	}
	if t, err := time.Parse(time.RFC3339, rest); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", rest, clinical.UKTime)
	if err != nil {
		return time.Time{}, errorf(InvalidParameter, "%q is not a date", v)
	}
	if want == "le" {
		t = t.AddDate(0, 0, 1) // to the end of that day
	}
	return t, nil
}

// searchSlots: GET Slot?start=ge..&end=le..&status=free&_include=Slot:schedule
// [&_include:recurse=Schedule:actor:Practitioner|Location][&searchFilter=...].
func (p *Provider) searchSlots(w http.ResponseWriter, r *http.Request, c *call) *Error {
	q := r.URL.Query()
	if q.Get("status") != "free" {
		return errorf(InvalidParameter, "status=free is required")
	}
	if q.Get("start") == "" || q.Get("end") == "" {
		return errorf(InvalidParameter, "start and end are required")
	}
	from, e := dateParam(q.Get("start"), "ge")
	if e != nil {
		return e
	}
	to, e := dateParam(q.Get("end"), "le")
	if e != nil {
		return e
	}
	if !to.After(from) {
		return errorf(InvalidParameter, "end must be after start")
	}
	if to.Sub(from) > maxSlotDays*24*time.Hour+time.Hour {
		return errorf(InvalidParameter, "a search may cover at most %d days", maxSlotDays)
	}
	includes := append(q["_include"], q["_include:recurse"]...)
	if !slices.Contains(includes, "Slot:schedule") {
		return errorf(InvalidParameter, "_include=Slot:schedule is required")
	}
	consumer, err := clinical.ParseSearchFilters(q["searchFilter"])
	if err != nil {
		return errorf(InvalidParameter, "%v", err)
	}
	// The ODS code is the consumer's own (its JWT's requesting
	// organisation, which the directory ties to its ASID): slots
	// released to another organisation are neither shown nor bookable.
	if consumer.ODS != "" && !strings.EqualFold(consumer.ODS, c.consumer.Organization) {
		return errorf(InvalidParameter, "searchFilter ODS code %s is not the requesting organisation (%s)", consumer.ODS, c.consumer.Organization)
	}
	now := p.opts.Now()
	if from.Before(now) {
		from = now
	}
	var slots []fhir.Resource
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		end := day.AddDate(0, 0, 1)
		if end.After(to) {
			end = to
		}
		b, e := c.search(p.opts.Service, "Slot", url.Values{"status": {"free"}, "_sort": {"start"}, "_count": {strconv.Itoa(service.MaxSearchCount)},
			"start": {"ge" + day.UTC().Format(time.RFC3339), "lt" + end.UTC().Format(time.RFC3339)}})
		if e != nil {
			return e
		}
		for _, s := range matches(b) {
			if clinical.CheckBookable(s, clinical.BookedByGPConnect, now) == nil && clinical.GPConnectReleaseOf(s).ReleasedTo(consumer) {
				slots = append(slots, s)
			}
		}
	}
	out := make([]fhir.Resource, 0, len(slots))
	var schedules []string
	for _, s := range slots {
		out = append(out, SlotSTU3(s))
		if id, ok := strings.CutPrefix(str(obj(s["schedule"])["reference"]), "Schedule/"); ok && !slices.Contains(schedules, id) {
			schedules = append(schedules, id)
		}
	}
	wantActors := map[string]bool{}
	for _, inc := range includes {
		switch inc {
		case "Schedule:actor:Practitioner":
			wantActors["Practitioner"] = true
		case "Schedule:actor:Location":
			wantActors["Location"] = true
		}
	}
	var actors []string
	for _, id := range schedules {
		s, _, e := c.read(p.opts.Service, "Schedule", id, NoRecordFound)
		if e != nil {
			return e
		}
		out = append(out, ScheduleSTU3(s))
		for _, a := range list(s["actor"]) {
			ref := str(obj(a)["reference"])
			typ, _, _ := strings.Cut(ref, "/")
			if wantActors[typ] && !slices.Contains(actors, ref) {
				actors = append(actors, ref)
			}
		}
	}
	var orgs []string
	for _, ref := range actors {
		typ, id, _ := strings.Cut(ref, "/")
		res, _, e := c.read(p.opts.Service, typ, id, NoRecordFound)
		if e != nil {
			return e
		}
		if typ == "Practitioner" {
			out = append(out, PractitionerSTU3(res))
			continue
		}
		out = append(out, LocationSTU3(res))
		if org := str(obj(res["managingOrganization"])["reference"]); slices.Contains(includes, "Location:managingOrganization") &&
			strings.HasPrefix(org, "Organization/") && !slices.Contains(orgs, org) {
			orgs = append(orgs, org)
		}
	}
	for _, ref := range orgs {
		res, _, e := c.read(p.opts.Service, "Organization", strings.TrimPrefix(ref, "Organization/"), NoRecordFound)
		if e != nil {
			return e
		}
		out = append(out, OrganizationSTU3(res))
	}
	writeJSON(w, http.StatusOK, searchset(c.base, out))
	return nil
}

// appointmentPatient is the Patient id an Appointment's participants name.
func appointmentPatient(a map[string]any) string {
	for _, pt := range list(a["participant"]) {
		if id, ok := strings.CutPrefix(str(obj(obj(pt)["actor"])["reference"]), "Patient/"); ok {
			return id
		}
	}
	return ""
}

// slotIDs are the Slot ids an Appointment references.
func slotIDs(a map[string]any) ([]string, *Error) {
	var ids []string
	for _, s := range list(a["slot"]) {
		id, ok := strings.CutPrefix(str(obj(s)["reference"]), "Slot/")
		if !ok || id == "" {
			return nil, errorf(InvalidResource, "Appointment.slot must reference Slot/{id}")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, errorf(InvalidResource, "Appointment.slot is required")
	}
	return ids, nil
}

// bookingOrganisation is the booking organisation the consumer's
// Appointment names (a contained Organization with an ODS code), kept
// in R4 as it came.
func bookingOrganisation(a fhir.Resource) (contained map[string]any, ext map[string]any, e *Error) {
	ref := str(obj(extValue(a, bookingOrgExtURL, "valueReference"))["reference"])
	if ref == "" {
		ref = str(obj(extValue(a, bookingOrgExtURLBefore, "valueReference"))["reference"])
	}
	if !strings.HasPrefix(ref, "#") {
		return nil, nil, errorf(InvalidResource, "the booking organisation extension (%s) must reference a contained Organization", bookingOrgExtURL)
	}
	for _, cr := range list(a["contained"]) {
		o := obj(cr)
		if str(o["resourceType"]) == "Organization" && "#"+str(o["id"]) == ref {
			org := map[string]any{"resourceType": "Organization", "id": o["id"]}
			for _, k := range []string{"identifier", "type", "name", "telecom"} {
				if v, ok := o[k]; ok {
					org[k] = v
				}
			}
			if str(org["name"]) == "" || len(list(org["telecom"])) == 0 {
				return nil, nil, errorf(InvalidResource, "the booking organisation must have a name and a telephone number")
			}
			return org, map[string]any{"url": bookingOrgExtURL, "valueReference": map[string]any{"reference": ref}}, nil
		}
	}
	return nil, nil, errorf(InvalidResource, "the booking organisation %s is not contained", ref)
}

// bookingOrganisationType is the GPConnect-OrganisationType-1 code of the
// booking organisation ("" when it gives none); another code of that
// system is INVALID_RESOURCE.
func bookingOrganisationType(org map[string]any) (string, *Error) {
	for _, t := range list(org["type"]) {
		for _, cd := range list(obj(t)["coding"]) {
			if str(obj(cd)["system"]) != clinical.GPConnectOrganisationTypeSystem {
				continue
			}
			code := str(obj(cd)["code"])
			if !clinical.IsGPConnectOrganisationType(code) {
				return "", errorf(InvalidResource, "the booking organisation's type %q is not a code of %s", code, clinical.GPConnectOrganisationTypeSystem)
			}
			return code, nil
		}
	}
	return "", nil
}

// book: POST Appointment. The STU3 Appointment names the patient, the
// slots, start and end (which must be the slots'), a description and the
// booking organisation; the R4 Appointment is built by the practice's
// own booking code (clinical.Booking, method gp-connect) and written
// through the service.
func (p *Provider) book(w http.ResponseWriter, r *http.Request, c *call) *Error {
	in, e := decodeBody(r, "Appointment")
	if e != nil {
		return e
	}
	if in.ID() != "" {
		return errorf(InvalidResource, "a new Appointment must not have an id")
	}
	if s := str(in["status"]); s != "booked" {
		return errorf(InvalidResource, "a new Appointment's status must be booked, not %q", s)
	}
	desc := strings.TrimSpace(str(in["description"]))
	if desc == "" {
		return errorf(InvalidResource, "Appointment.description is required")
	}
	ids, e := slotIDs(in)
	if e != nil {
		return e
	}
	org, orgExt, e := bookingOrganisation(in)
	if e != nil {
		return e
	}
	// The booking organisation's type decides the slots released to a
	// type (the service's booking rules ask clinical.CheckReleasedTo).
	if c.consumer.OrganizationType, e = bookingOrganisationType(org); e != nil {
		return e
	}
	patientID := appointmentPatient(in)
	if patientID == "" {
		return errorf(InvalidResource, "Appointment.participant must include the patient")
	}
	rec, e := p.loadPatient(c, patientID, false)
	if e != nil {
		return e
	}
	if rec.sharing == clinical.NotShared {
		return errorf(PatientNotFound, "the patient is not found at this practice")
	}
	now := p.opts.Now()
	var first, last *appointments.SlotInfo
	for _, id := range ids {
		info, err := appointments.ReadSlot(c.ctx, p.opts.Service, id, now)
		if err != nil {
			var fe *fhir.Error
			if errors.As(err, &fe) && (fe.Status == http.StatusNotFound || fe.Status == http.StatusGone) {
				return errorf(ReferenceNotFound, "Slot/%s does not exist", id)
			}
			return fromService(err, ReferenceNotFound)
		}
		if first == nil {
			first = info
		} else if str(obj(info.Slot["schedule"])["reference"]) != str(obj(first.Slot["schedule"])["reference"]) {
			return errorf(InvalidResource, "the slots of one appointment must belong to one schedule")
		}
		last = info
	}
	if str(in["start"]) != str(first.Slot["start"]) && !sameInstant(str(in["start"]), str(first.Slot["start"])) ||
		!sameInstant(str(in["end"]), str(last.Slot["end"])) {
		return errorf(InvalidResource, "Appointment start and end must be those of its slots (%s to %s)", str(first.Slot["start"]), str(last.Slot["end"]))
	}
	booking := clinical.Booking{PatientID: patientID, PatientName: clinical.PatientName(rec.patient), Slot: first.Slot, Clinician: first.Clinician,
		Reason: desc, Method: clinical.BookedByGPConnect,
		BookedBy: clinical.Ref{Display: c.consumer.UserName + ", " + c.consumer.OrganizationName + " (" + c.consumer.Organization + ")"}}
	if errs := booking.Check(); len(errs) > 0 {
		for _, msg := range errs {
			return errorf(InvalidResource, "%s", msg)
		}
	}
	appt := booking.Appointment(now)
	if len(ids) > 1 {
		var refs []any
		for _, id := range ids {
			refs = append(refs, map[string]any{"reference": "Slot/" + id})
		}
		appt["slot"], appt["end"] = refs, last.Slot["end"]
	}
	if cm := strings.TrimSpace(str(in["comment"])); cm != "" {
		appt["comment"] = cm
	}
	appt["contained"] = []any{org}
	appt["extension"] = append(list(appt["extension"]), orgExt)
	out, err := p.opts.Service.Create(c.ctx, "Appointment", appt, "")
	if err != nil {
		return fromService(err, ReferenceNotFound)
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return errorf(InternalServerError, "%v", err)
	}
	w.Header().Set("Location", c.base+"/Appointment/"+res.ID()+"/_history/"+strconv.FormatInt(out.Version.VersionID, 10))
	w.Header().Set("ETag", `W/"`+strconv.FormatInt(out.Version.VersionID, 10)+`"`)
	writeJSON(w, http.StatusCreated, AppointmentSTU3(res))
	return nil
}

func sameInstant(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339, a)
	tb, err2 := time.Parse(time.RFC3339, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

// sharedAppointment reads an Appointment whose patient the practice shares.
func (p *Provider) sharedAppointment(c *call, id string) (fhir.Resource, int64, *Error) {
	a, v, e := c.read(p.opts.Service, "Appointment", id, NoRecordFound)
	if e != nil {
		return nil, 0, e
	}
	pid := appointmentPatient(a)
	if pid == "" {
		return nil, 0, errorf(NoRecordFound, "no appointment with this id")
	}
	rec, e := p.loadPatient(c, pid, false)
	if e != nil {
		return nil, 0, e
	}
	if rec.sharing == clinical.NotShared {
		return nil, 0, errorf(NoRecordFound, "no appointment with this id")
	}
	return a, v, nil
}

func (p *Provider) readAppointment(w http.ResponseWriter, r *http.Request, c *call) *Error {
	a, _, e := p.sharedAppointment(c, r.PathValue("id"))
	if e != nil {
		return e
	}
	writeResource(w, AppointmentSTU3(a))
	return nil
}

// updateAppointment: PUT Appointment/{id}, a cancel (status cancelled
// with the cancellation reason extension) or an amend (description and
// comment), told apart by the interaction id. Nothing else may change.
func (p *Provider) updateAppointment(w http.ResponseWriter, r *http.Request, c *call) *Error {
	id := r.PathValue("id")
	in, e := decodeBody(r, "Appointment")
	if e != nil {
		return e
	}
	if in.ID() != id {
		return errorf(InvalidResource, "the Appointment's id must be %q, the id in the URL", id)
	}
	cur, version, e := p.sharedAppointment(c, id)
	if e != nil {
		return e
	}
	if m := r.Header.Get("If-Match"); m != "" {
		v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(m, "W/"), `"`), 10, 64)
		if err != nil {
			return errorf(BadRequest, "If-Match %q is not a version ETag", m)
		}
		if v != version {
			return &Error{Code: BadRequest, Status: http.StatusConflict, Diagnostics: "the appointment has changed since that version was read"}
		}
	}
	inSlots, e := slotIDs(in)
	if e != nil {
		return e
	}
	curSlots, _ := slotIDs(cur)
	if !slices.Equal(inSlots, curSlots) || !sameInstant(str(in["start"]), str(cur["start"])) || !sameInstant(str(in["end"]), str(cur["end"])) ||
		appointmentPatient(in) != appointmentPatient(cur) {
		return errorf(InvalidResource, "only the status (to cancel), the description and the comment may change; move an appointment by booking another")
	}
	start, _ := time.Parse(time.RFC3339, str(cur["start"]))
	if !start.After(p.opts.Now()) {
		return errorf(InvalidResource, "the appointment has started or is in the past")
	}
	next := fhir.Resource{}
	for k, v := range cur {
		next[k] = v
	}
	delete(next, "meta")
	if c.id == itApptCancel.id {
		if str(in["status"]) != "cancelled" {
			return errorf(InvalidResource, "a cancellation must set status cancelled")
		}
		reason := strings.TrimSpace(str(extValue(in, cancelReasonExtURL, "valueString")))
		if reason == "" {
			return errorf(InvalidResource, "a cancellation needs the cancellation reason extension (%s)", cancelReasonExtURL)
		}
		// A consumer cancels for the patient (they asked NHS 111 or
		// another practice to): recorded as cancelled by the patient,
		// with the consumer's reason and organisation.
		if err := clinical.Cancel(next, "pat", reason+" (via GP Connect: "+c.consumer.OrganizationName+")"); err != nil {
			return fromService(err, NoRecordFound)
		}
	} else {
		if str(in["status"]) != str(cur["status"]) {
			return errorf(InvalidResource, "an amendment cannot change the status; cancel with the cancel interaction")
		}
		if d := strings.TrimSpace(str(in["description"])); d != "" {
			next["description"] = d
		}
		if cm := strings.TrimSpace(str(in["comment"])); cm != "" {
			next["comment"] = cm
		} else {
			delete(next, "comment")
		}
	}
	out, err := p.opts.Service.Update(c.ctx, "Appointment", id, next, service.Precondition{Set: true, Version: version})
	if err != nil {
		return fromService(err, NoRecordFound)
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return errorf(InternalServerError, "%v", err)
	}
	w.Header().Set("ETag", `W/"`+strconv.FormatInt(out.Version.VersionID, 10)+`"`)
	writeJSON(w, http.StatusOK, AppointmentSTU3(res))
	return nil
}

// patientAppointments: GET Patient/{id}/Appointment[?start=ge..&start=le..].
func (p *Provider) patientAppointments(w http.ResponseWriter, r *http.Request, c *call) *Error {
	id := r.PathValue("id")
	rec, e := p.loadPatient(c, id, false)
	if e != nil {
		return e
	}
	if rec.sharing == clinical.NotShared {
		return errorf(PatientNotFound, "no patient with this id is shared by the practice")
	}
	params := url.Values{"patient": {"Patient/" + id}, "_sort": {"date"}, "_count": {strconv.Itoa(service.MaxSearchCount)}}
	for _, v := range r.URL.Query()["start"] {
		prefix := v[:min(2, len(v))]
		if prefix != "ge" && prefix != "le" {
			return errorf(InvalidParameter, "start %q must have the ge or le prefix", v)
		}
		t, e := dateParam(v, prefix)
		if e != nil {
			return e
		}
		if prefix == "le" {
			params.Add("date", "lt"+t.UTC().Format(time.RFC3339))
		} else {
			params.Add("date", "ge"+t.UTC().Format(time.RFC3339))
		}
	}
	b, e := c.search(p.opts.Service, "Appointment", params)
	if e != nil {
		return e
	}
	var out []fhir.Resource
	for _, a := range matches(b) {
		out = append(out, AppointmentSTU3(a))
	}
	writeJSON(w, http.StatusOK, searchset(c.base, out))
	return nil
}
