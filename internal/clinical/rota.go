package clinical

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // rotas are in UK time on any machine

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// A rota is the weekly pattern of a clinician's (or a room's) sessions,
// kept on their Schedule as extensions, from which Slots are generated
// weeks ahead. Times are UK local time: a 08:30 session stays at 08:30
// across the change to and from British Summer Time.
//
//	schedule-session (complex, repeated)
//	  day        valueCode   mon | tue | wed | thu | fri | sat | sun (repeated)
//	  start, end valueTime   08:30:00
//	  minutes    valueInteger the slot length
//	  category   valueCoding the National Slot Type Category (GPAD)
//	  mode       valueCode   face-to-face | telephone | video | home-visit
//	  bookableBy valueCode   practice | online | gp-connect (repeated)
//	  release    valueString when the slots are released: "" at once,
//	                         "08:00" on the day, "48h" that many hours ahead
//	  gpConnectOrganization, gpConnectOrganizationType valueCode (repeated):
//	             the GP Connect release (gpconnect_release.go)
//	schedule-exception (complex, repeated)
//	  period     valuePeriod  leave, a bank holiday, training
//	  reason     valueString
const (
	SessionURL   = "https://gpcloud.dev/fhir/StructureDefinition/schedule-session"
	ExceptionURL = "https://gpcloud.dev/fhir/StructureDefinition/schedule-exception"
	// SlotKeySystem identifies a generated Slot by its Schedule and start,
	// so generating again never makes a second Slot for the same time.
	SlotKeySystem = "https://gpcloud.dev/fhir/sid/slot-key"
	// SlotModeURL is the delivery channel on each Slot (GPAD's mode).
	SlotModeURL = "https://gpcloud.dev/fhir/StructureDefinition/slot-mode"
	// NationalSlotCategorySystem is GPAD's National Slot Type Category.
	// gpcloud's own system: NHS England publishes the categories in the
	// GPAD guidance but no FHIR CodeSystem for them that we could find.
	NationalSlotCategorySystem = "https://gpcloud.dev/fhir/CodeSystem/national-slot-type-category"
)

// NationalSlotCategories are GPAD's National Slot Type Categories.
var NationalSlotCategories = []Concept{
	{"general-routine", "General Consultation Routine"},
	{"general-acute", "General Consultation Acute"},
	{"clinical-triage", "Clinical Triage"},
	{"planned-clinics", "Planned Clinics"},
	{"planned-procedure", "Planned Clinical Procedure"},
	{"unplanned", "Unplanned Clinical Activity"},
	{"home-visit", "Home Visit"},
	{"care-home-visit", "Care Home Visit"},
	{"structured-medication-review", "Structured Medication Review"},
	{"group", "Group Consultation and Group Education"},
	{"social-prescribing", "Social Prescribing Service"},
	{"walk-in", "Walk-in"},
	{"other-care", "Care Related Encounter but does not fit into any other category"},
	{"external", "Service provided by organisation external to the practice"},
	{"non-contractual", "Non-contractual chargeable work"},
}

// UKTime is the practice's clock.
var UKTime = patientview.London

// Session is one recurring session of a rota.
type Session struct {
	Days       []time.Weekday
	Start, End string // "08:30"
	Minutes    int
	Category   Concept // National Slot Type Category
	Mode       string
	BookableBy []string
	Release    string
	// ServiceSetting and ContextType map the slots for GPAD (codes of
	// ServiceSettings and ContextTypes; "" for the defaults).
	ServiceSetting, ContextType string
	// GPConnect narrows who within GP Connect may book (none: every
	// consumer); only with BookableBy gp-connect.
	GPConnect GPConnectRelease
}

// Exception takes a period out of the rota.
type Exception struct {
	From, To time.Time
	Reason   string
}

// Modes are the delivery channels a slot may have: GPAD's modes
// (written: an online consultation answered in writing).
var Modes = []string{"face-to-face", "telephone", "video", "home-visit", "written"}

// GPAD's mapping of each slot type beyond its national category: the
// service setting it is delivered in and whether it is a care related
// encounter (S62's context type). Written on each generated Slot.
const (
	SlotServiceSettingURL = "https://gpcloud.dev/fhir/StructureDefinition/slot-service-setting"
	SlotContextTypeURL    = "https://gpcloud.dev/fhir/StructureDefinition/slot-context-type"
)

// ServiceSettings and ContextTypes are the values GPAD reports
// (gpcloud's codes for them).
var (
	ServiceSettings = []Concept{{"general-practice", "General Practice"}, {"pcn", "Primary Care Network"},
		{"extended-access", "Extended Access Provision"}, {"other", "Other"}}
	ContextTypes = []Concept{{"care-related", "Care Related Encounter"}, {"not-care-related", "Not a care related encounter"}}
)

// GPADSetting is a session's service setting and context type, the
// defaults (General Practice, Care Related Encounter) when not set.
func (s Session) GPADSetting() (setting, context string) {
	setting, context = s.ServiceSetting, s.ContextType
	if setting == "" {
		setting = ServiceSettings[0].Code
	}
	if context == "" {
		context = ContextTypes[0].Code
		if s.Category.Code == "non-contractual" {
			context = "not-care-related"
		}
	}
	return setting, context
}

var dayCodes = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Check returns what is wrong with a session, by field.
func (s Session) Check() map[string]string {
	errs := map[string]string{}
	if len(s.Days) == 0 {
		errs["days"] = "Choose the days of the session"
	}
	start, err1 := clock(s.Start)
	end, err2 := clock(s.End)
	switch {
	case err1 != nil:
		errs["start"] = "Enter the start time as 24-hour time, like 08:30"
	case err2 != nil:
		errs["end"] = "Enter the end time as 24-hour time, like 12:00"
	case end <= start:
		errs["end"] = "The session must end after it starts"
	case s.Minutes < 5 || s.Minutes > 120:
		errs["minutes"] = "Slots must be between 5 and 120 minutes long"
	case (end-start)%s.Minutes != 0:
		errs["minutes"] = fmt.Sprintf("The session (%d minutes) does not divide into %d-minute slots", end-start, s.Minutes)
	}
	if !slices.Contains(Modes, s.Mode) {
		errs["mode"] = "Choose how the appointments are held"
	}
	if s.Category.Code == "" {
		errs["category"] = "Choose the national slot type category"
	}
	for _, b := range s.BookableBy {
		if b != BookedByPractice && b != BookedOnline && b != BookedByGPConnect {
			errs["bookableBy"] = "Choose who may book the slots"
		}
	}
	if s.ServiceSetting != "" && !slices.ContainsFunc(ServiceSettings, func(c Concept) bool { return c.Code == s.ServiceSetting }) {
		errs["serviceSetting"] = "Choose the service setting"
	}
	if s.ContextType != "" && !slices.ContainsFunc(ContextTypes, func(c Concept) bool { return c.Code == s.ContextType }) {
		errs["contextType"] = "Choose whether the slots are care related encounters"
	}
	for field, msg := range CheckGPConnectRelease(s.GPConnect) {
		errs[field] = msg
	}
	if s.GPConnect.Restricted() && !slices.Contains(s.BookableBy, BookedByGPConnect) {
		errs["gpConnectRelease"] = "Choose other organisations under who may book, or release the slots to all GP Connect consumers"
	}
	if _, err := releaseRule(s.Release); err != nil {
		errs["release"] = "Enter when slots are released: blank for at once, a time like 08:00 on the day, or hours ahead like 48h"
	}
	return errs
}

// Overlaps reports whether two sessions share a day and a moment.
func (s Session) Overlaps(o Session) bool {
	shared := false
	for _, d := range s.Days {
		shared = shared || slices.Contains(o.Days, d)
	}
	if !shared {
		return false
	}
	a0, _ := clock(s.Start)
	a1, _ := clock(s.End)
	b0, _ := clock(o.Start)
	b1, _ := clock(o.End)
	return a0 < b1 && b0 < a1
}

// CheckRota checks each session and that no two overlap.
func CheckRota(sessions []Session) error {
	for i, s := range sessions {
		for field, msg := range s.Check() {
			return fmt.Errorf("session %d: %s: %s", i+1, field, msg)
		}
		for j := range i {
			if s.Overlaps(sessions[j]) {
				return fmt.Errorf("session %d overlaps session %d", i+1, j+1)
			}
		}
	}
	return nil
}

// clock reads "08:30" (or "08:30:00", FHIR's time) as minutes after
// midnight.
func clock(s string) (int, error) {
	if len(s) == 8 && strings.HasSuffix(s, ":00") {
		s = s[:5]
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("not a time: %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// release is when a slot is released: at a time on its day, or hours
// before it starts.
type release struct {
	onTheDay    int // minutes after midnight, or -1
	hoursBefore int
}

func releaseRule(s string) (release, error) {
	switch {
	case s == "":
		return release{onTheDay: -1}, nil
	case strings.HasSuffix(s, "h"):
		h, err := strconv.Atoi(strings.TrimSuffix(s, "h"))
		if err != nil || h <= 0 || h > 24*28 {
			return release{}, fmt.Errorf("bad hours %q", s)
		}
		return release{onTheDay: -1, hoursBefore: h}, nil
	default:
		m, err := clock(s)
		return release{onTheDay: m}, err
	}
}

// releasedAt is when a slot starting at start is released (zero: at once).
func (r release) releasedAt(start time.Time) time.Time {
	switch {
	case r.onTheDay >= 0:
		y, m, d := start.In(UKTime).Date()
		return time.Date(y, m, d, r.onTheDay/60, r.onTheDay%60, 0, 0, UKTime)
	case r.hoursBefore > 0:
		return start.Add(-time.Duration(r.hoursBefore) * time.Hour)
	}
	return time.Time{}
}

// PlannedSlot is a Slot the rota makes.
type PlannedSlot struct {
	Start, End time.Time
	Session    Session
	Blocked    string // the exception's reason, when one covers the slot
}

// PlanSlots lists the slots the sessions make from one day to another
// (whole UK days, from included, to excluded), marking those an
// exception covers as blocked.
func PlanSlots(sessions []Session, exceptions []Exception, from, to time.Time) []PlannedSlot {
	var out []PlannedSlot
	y, m, d := from.In(UKTime).Date()
	for day := time.Date(y, m, d, 0, 0, 0, 0, UKTime); day.Before(to); day = day.AddDate(0, 0, 1) {
		for _, s := range sessions {
			if !slices.Contains(s.Days, day.Weekday()) {
				continue
			}
			start, err1 := clock(s.Start)
			end, err2 := clock(s.End)
			if err1 != nil || err2 != nil || s.Minutes <= 0 {
				continue
			}
			for t := start; t+s.Minutes <= end; t += s.Minutes {
				begin := time.Date(day.Year(), day.Month(), day.Day(), t/60, t%60, 0, 0, UKTime)
				p := PlannedSlot{Start: begin, End: begin.Add(time.Duration(s.Minutes) * time.Minute), Session: s}
				for _, e := range exceptions {
					if p.Start.Before(e.To) && e.From.Before(p.End) {
						p.Blocked = e.Reason
					}
				}
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b PlannedSlot) int { return a.Start.Compare(b.Start) })
	return out
}

// SlotKey is the identifier value of a generated Slot.
func SlotKey(scheduleID string, start time.Time) string {
	return scheduleID + "/" + start.UTC().Format("20060102T1504Z")
}

// SlotResource is the FHIR Slot for a planned slot of a Schedule.
func SlotResource(scheduleID string, p PlannedSlot) fhir.Resource {
	status := "free"
	if p.Blocked != "" {
		status = "busy-unavailable"
	}
	s := p.Session
	slot := fhir.Resource{"resourceType": "Slot",
		"identifier":      []any{map[string]any{"system": SlotKeySystem, "value": SlotKey(scheduleID, p.Start)}},
		"schedule":        map[string]any{"reference": "Schedule/" + scheduleID},
		"status":          status,
		"start":           p.Start.Format(time.RFC3339),
		"end":             p.End.Format(time.RFC3339),
		"serviceCategory": []any{map[string]any{"coding": []any{codingMap(s.Category)}}},
	}
	if p.Blocked != "" {
		slot["comment"] = p.Blocked
	}
	setting, context := s.GPADSetting()
	exts := []any{map[string]any{"url": SlotModeURL, "valueCode": s.Mode},
		map[string]any{"url": SlotServiceSettingURL, "valueCode": setting},
		map[string]any{"url": SlotContextTypeURL, "valueCode": context}}
	by := s.BookableBy
	if len(by) == 0 {
		by = []string{BookedByPractice}
	}
	for _, b := range by {
		exts = append(exts, map[string]any{"url": SlotBookableByURL, "valueCode": b})
	}
	if r, err := releaseRule(s.Release); err == nil {
		if at := r.releasedAt(p.Start); !at.IsZero() {
			exts = append(exts, map[string]any{"url": SlotReleasedURL, "valueDateTime": at.Format(time.RFC3339)})
		}
	}
	if e := gpConnectReleaseExtension(s.GPConnect); e != nil {
		exts = append(exts, e)
	}
	slot["extension"] = exts
	return slot
}

func codingMap(c Concept) map[string]any {
	m := map[string]any{"system": NationalSlotCategorySystem, "code": c.Code}
	if c.Display != "" {
		m["display"] = c.Display
	}
	return m
}

// RotaOf reads a Schedule's sessions and exceptions.
func RotaOf(schedule fhir.Resource) ([]Session, []Exception) {
	var sessions []Session
	var exceptions []Exception
	exts, _ := schedule["extension"].([]any)
	for _, e := range exts {
		m, _ := e.(map[string]any)
		parts, _ := m["extension"].([]any)
		switch text(m["url"]) {
		case SessionURL:
			var s Session
			for _, p := range parts {
				pm, _ := p.(map[string]any)
				switch text(pm["url"]) {
				case "day":
					if i := slices.Index(dayCodes, text(pm["valueCode"])); i >= 0 {
						s.Days = append(s.Days, time.Weekday(i))
					}
				case "start":
					s.Start = text(pm["valueTime"])[:min(5, len(text(pm["valueTime"])))]
				case "end":
					s.End = text(pm["valueTime"])[:min(5, len(text(pm["valueTime"])))]
				case "minutes":
					switch n := pm["valueInteger"].(type) {
					case json.Number:
						m, _ := n.Int64()
						s.Minutes = int(m)
					case float64:
						s.Minutes = int(n)
					}
				case "category":
					c, _ := pm["valueCoding"].(map[string]any)
					s.Category = Concept{Code: text(c["code"]), Display: text(c["display"])}
				case "mode":
					s.Mode = text(pm["valueCode"])
				case "bookableBy":
					s.BookableBy = append(s.BookableBy, text(pm["valueCode"]))
				case "release":
					s.Release = text(pm["valueString"])
				case "serviceSetting":
					s.ServiceSetting = text(pm["valueCode"])
				case "contextType":
					s.ContextType = text(pm["valueCode"])
				case "gpConnectOrganization":
					s.GPConnect.Organisations = append(s.GPConnect.Organisations, text(pm["valueCode"]))
				case "gpConnectOrganizationType":
					s.GPConnect.Types = append(s.GPConnect.Types, text(pm["valueCode"]))
				}
			}
			sessions = append(sessions, s)
		case ExceptionURL:
			var x Exception
			for _, p := range parts {
				pm, _ := p.(map[string]any)
				switch text(pm["url"]) {
				case "period":
					per, _ := pm["valuePeriod"].(map[string]any)
					x.From, _ = time.Parse(time.RFC3339, text(per["start"]))
					x.To, _ = time.Parse(time.RFC3339, text(per["end"]))
				case "reason":
					x.Reason = text(pm["valueString"])
				}
			}
			exceptions = append(exceptions, x)
		}
	}
	return sessions, exceptions
}

// SetRota writes sessions and exceptions onto a Schedule, replacing
// those it had and keeping its other extensions.
func SetRota(schedule fhir.Resource, sessions []Session, exceptions []Exception) {
	var keep []any
	exts, _ := schedule["extension"].([]any)
	for _, e := range exts {
		m, _ := e.(map[string]any)
		if u := text(m["url"]); u != SessionURL && u != ExceptionURL {
			keep = append(keep, e)
		}
	}
	for _, s := range sessions {
		var parts []any
		for _, d := range s.Days {
			parts = append(parts, map[string]any{"url": "day", "valueCode": dayCodes[d]})
		}
		parts = append(parts,
			map[string]any{"url": "start", "valueTime": s.Start + ":00"},
			map[string]any{"url": "end", "valueTime": s.End + ":00"},
			map[string]any{"url": "minutes", "valueInteger": json.Number(strconv.Itoa(s.Minutes))},
			map[string]any{"url": "category", "valueCoding": codingMap(s.Category)},
			map[string]any{"url": "mode", "valueCode": s.Mode})
		for _, b := range s.BookableBy {
			parts = append(parts, map[string]any{"url": "bookableBy", "valueCode": b})
		}
		if s.Release != "" {
			parts = append(parts, map[string]any{"url": "release", "valueString": s.Release})
		}
		if s.ServiceSetting != "" {
			parts = append(parts, map[string]any{"url": "serviceSetting", "valueCode": s.ServiceSetting})
		}
		if s.ContextType != "" {
			parts = append(parts, map[string]any{"url": "contextType", "valueCode": s.ContextType})
		}
		for _, o := range s.GPConnect.Organisations {
			parts = append(parts, map[string]any{"url": "gpConnectOrganization", "valueCode": o})
		}
		for _, t := range s.GPConnect.Types {
			parts = append(parts, map[string]any{"url": "gpConnectOrganizationType", "valueCode": t})
		}
		keep = append(keep, map[string]any{"url": SessionURL, "extension": parts})
	}
	for _, x := range exceptions {
		parts := []any{map[string]any{"url": "period", "valuePeriod": map[string]any{
			"start": x.From.Format(time.RFC3339), "end": x.To.Format(time.RFC3339)}}}
		if x.Reason != "" {
			parts = append(parts, map[string]any{"url": "reason", "valueString": x.Reason})
		}
		keep = append(keep, map[string]any{"url": ExceptionURL, "extension": parts})
	}
	if len(keep) == 0 {
		delete(schedule, "extension")
		return
	}
	schedule["extension"] = keep
}
