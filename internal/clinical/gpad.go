package clinical

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// GPADRow is one appointment as the GP Appointments Data collection
// (NHS England's S62) describes it. The national submission is weekly
// and transactional; gpcloud writes the same fields per appointment to a
// file (gpcloud admin report appointments) until that route is connected.
type GPADRow struct {
	AppointmentID      string
	AppointmentDate    string // YYYY-MM-DD, UK
	BookedDate         string
	Status             string // Attended, DNA, Cancelled by patient, Cancelled by unit, Booked, Unknown
	Mode               string // Face-to-Face, Telephone, Video Conference/Online, Home Visit, Written (incl. online), Unknown
	DurationMinutes    int
	SlotCategory       string // National Slot Type Category
	ServiceSetting     string
	ContextType        string
	ClinicianType      string
	DaysBookedAhead    int
	BookingInterval    string // Same day, 1 day, 2 to 7 days, 8 to 14 days, 15 to 21 days, 22 to 28 days, More than 28 days
	NeedsExceptionNote bool   // booked more than two weeks ahead: S62 asks for a reason
	ExceptionReason    string // the reason recorded at booking (AheadReasons), "" when none
	// ActualStart and ActualEnd come from the consultation that saw the
	// patient (its Encounter's period, HH:MM UK); "" when none was
	// recorded against the appointment.
	ActualStart, ActualEnd string
	// Slotless: an extra or a duty-list call, outside the book's slots.
	Slotless bool
}

// GPADContext is what GPAD needs beyond the Appointment: the clinician's
// type, the Slot it holds (service setting and context type), and the
// Encounter of the consultation that saw the patient.
type GPADContext struct {
	ClinicianType string
	Slot          fhir.Resource // nil when not read or slot-less
	Encounter     fhir.Resource // nil when none
}

// GPADOf maps an Appointment; clinicianType names the clinician's role
// ("GP", "Nurse", ...) and "" when it is not known.
func GPADOf(a fhir.Resource, clinicianType string) GPADRow {
	return GPADWith(a, GPADContext{ClinicianType: clinicianType})
}

// GPADWith maps an Appointment with what else is known of it.
func GPADWith(a fhir.Resource, gc GPADContext) GPADRow {
	clinicianType := gc.ClinicianType
	r := GPADRow{AppointmentID: a.ID(), ServiceSetting: "General Practice", ContextType: "Care Related Encounter", ClinicianType: clinicianType}
	if gc.Slot != nil {
		if v := extensionCodes(gc.Slot, SlotServiceSettingURL); len(v) > 0 {
			r.ServiceSetting = conceptDisplay(ServiceSettings, v[0])
		}
		if v := extensionCodes(gc.Slot, SlotContextTypeURL); len(v) > 0 {
			r.ContextType = conceptDisplay(ContextTypes, v[0])
		}
	}
	r.Slotless = AppointmentSlot(a) == ""
	if v := extensionCodes(a, AheadReasonURL); len(v) > 0 {
		r.ExceptionReason = conceptDisplay(AheadReasons, v[0])
	}
	if gc.Encounter != nil {
		period, _ := gc.Encounter["period"].(map[string]any)
		if t, err := time.Parse(time.RFC3339, text(period["start"])); err == nil {
			r.ActualStart = t.In(UKTime).Format("15:04")
		}
		if t, err := time.Parse(time.RFC3339, text(period["end"])); err == nil {
			r.ActualEnd = t.In(UKTime).Format("15:04")
		}
	}
	if r.ClinicianType == "" {
		r.ClinicianType = "Unknown"
	}
	start, err1 := time.Parse(time.RFC3339, text(a["start"]))
	end, err2 := time.Parse(time.RFC3339, text(a["end"]))
	if err1 == nil {
		r.AppointmentDate = start.In(UKTime).Format("2006-01-02")
	}
	if err1 == nil && err2 == nil {
		r.DurationMinutes = int(end.Sub(start).Minutes())
	}
	if created, err := time.Parse(time.RFC3339, text(a["created"])); err == nil && err1 == nil {
		r.BookedDate = created.In(UKTime).Format("2006-01-02")
		cy, cm, cd := created.In(UKTime).Date()
		sy, sm, sd := start.In(UKTime).Date()
		days := int(time.Date(sy, sm, sd, 0, 0, 0, 0, time.UTC).Sub(time.Date(cy, cm, cd, 0, 0, 0, 0, time.UTC)).Hours() / 24)
		r.DaysBookedAhead = days
		r.BookingInterval = bookingInterval(days)
		r.NeedsExceptionNote = days > 14
	} else {
		r.BookingInterval = "Unknown"
	}
	switch text(a["status"]) {
	case "fulfilled", "arrived", "checked-in":
		r.Status = "Attended"
	case "noshow":
		r.Status = "DNA"
	case "cancelled":
		r.Status = "Cancelled by unit"
		if cr, _ := a["cancelationReason"].(map[string]any); cr != nil {
			for _, c := range anyList(cr["coding"]) {
				if m, _ := c.(map[string]any); text(m["code"]) == "pat" {
					r.Status = "Cancelled by patient"
				}
			}
		}
	case "booked", "pending":
		r.Status = "Booked"
	default:
		r.Status = "Unknown"
	}
	mode := ""
	if t, _ := a["appointmentType"].(map[string]any); t != nil {
		mode = text(t["text"])
	}
	r.Mode = map[string]string{"face-to-face": "Face-to-Face", "telephone": "Telephone/Audio", "video": "Video Conference/Online",
		"home-visit": "Home Visit", "written": "Written (incl. online)"}[mode]
	if r.Mode == "" {
		r.Mode = "Unknown"
	}
	for _, c := range anyList(a["serviceCategory"]) {
		m, _ := c.(map[string]any)
		for _, cd := range anyList(m["coding"]) {
			cm, _ := cd.(map[string]any)
			if text(cm["system"]) == NationalSlotCategorySystem {
				r.SlotCategory = text(cm["display"])
			}
		}
	}
	if r.SlotCategory == "" {
		r.SlotCategory = "Unmapped"
	}
	return r
}

func bookingInterval(days int) string {
	switch {
	case days <= 0:
		return "Same day"
	case days == 1:
		return "1 day"
	case days <= 7:
		return "2 to 7 days"
	case days <= 14:
		return "8 to 14 days"
	case days <= 21:
		return "15 to 21 days"
	case days <= 28:
		return "22 to 28 days"
	}
	return "More than 28 days"
}

// GPADHeader is the file's first line, in GPADRow's order.
var GPADHeader = []string{"appointment_id", "appointment_date", "booked_date", "status", "mode", "duration_minutes",
	"national_slot_category", "service_setting", "context_type", "clinician_type", "days_booked_ahead", "booking_interval", "needs_exception_reason",
	"exception_reason", "actual_start", "actual_end", "outside_slots"}

// Fields is the row in GPADHeader's order.
func (r GPADRow) Fields() []string {
	yes := "no"
	if r.NeedsExceptionNote {
		yes = "yes"
	}
	slotless := "no"
	if r.Slotless {
		slotless = "yes"
	}
	return []string{r.AppointmentID, r.AppointmentDate, r.BookedDate, r.Status, r.Mode, strconv.Itoa(r.DurationMinutes),
		r.SlotCategory, r.ServiceSetting, r.ContextType, r.ClinicianType, strconv.Itoa(r.DaysBookedAhead), r.BookingInterval, yes,
		r.ExceptionReason, r.ActualStart, r.ActualEnd, slotless}
}

// conceptDisplay is the display of code in cs, or code itself.
func conceptDisplay(cs []Concept, code string) string {
	for _, c := range cs {
		if c.Code == code {
			return c.Display
		}
	}
	return code
}

// ClinicianTypeOf names a PractitionerRole's staff role for GPAD.
func ClinicianTypeOf(role fhir.Resource) string {
	for _, c := range anyList(role["code"]) {
		m, _ := c.(map[string]any)
		for _, cd := range anyList(m["coding"]) {
			cm, _ := cd.(map[string]any)
			if text(cm["system"]) == StaffRoleSystem {
				switch code := text(cm["code"]); {
				case code == "gp":
					return "GP"
				case code == "nurse":
					return "Nurse"
				case code != "":
					return strings.ToUpper(code[:1]) + code[1:]
				}
			}
		}
	}
	return ""
}

// GPADSubmission is one week's transactional submission to NHS England
// (S62 describes a weekly extract of every appointment, Monday to
// Sunday, sent by the system supplier): the practice and its rows.
type GPADSubmission struct {
	ODS       string
	WeekStart string // the Monday, YYYY-MM-DD
	Rows      []GPADRow
}

// WeeklySubmissions splits rows into submissions by the week (Monday
// to Sunday, UK) of their appointment date, earliest week first.
func WeeklySubmissions(ods string, rows []GPADRow) []GPADSubmission {
	var out []GPADSubmission
	index := map[string]int{}
	for _, r := range rows {
		d, err := time.ParseInLocation("2006-01-02", r.AppointmentDate, UKTime)
		if err != nil {
			continue
		}
		monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)).Format("2006-01-02")
		i, ok := index[monday]
		if !ok {
			i = len(out)
			index[monday] = i
			out = append(out, GPADSubmission{ODS: ods, WeekStart: monday})
		}
		out[i].Rows = append(out[i].Rows, r)
	}
	slices.SortFunc(out, func(a, b GPADSubmission) int { return strings.Compare(a.WeekStart, b.WeekStart) })
	return out
}
