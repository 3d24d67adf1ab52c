package clinical

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The practice's portal settings (CLINICAL.md Patient portal 6 and the
// issue's "cancel up to a practice-set time before"): how early a repeat
// may be ordered and how late an appointment may be cancelled online.
// They live on the practice's Organization as one extension with a
// sub-extension each (like UK Core's complex extensions), so that they
// version and audit with the practice and any FHIR client reads them.

// PortalSettingsURL is the extension on the practice's Organization.
const PortalSettingsURL = "https://gpcloud.dev/fhir/StructureDefinition/portal-settings"

// PortalSettings are a practice's portal rules.
type PortalSettings struct {
	// OrderWindowDays: a repeat may be ordered no more than this many
	// days before the last supply runs out.
	OrderWindowDays int
	// CancelCutoffHours: an appointment starting within this many hours
	// cannot be cancelled online; the patient phones.
	CancelCutoffHours int
}

// DefaultPortalSettings apply until the practice sets its own. A week's
// ordering window covers a request's two working days at the practice,
// a weekend and the pharmacy's dispensing, without letting supplies
// stockpile. Cancelling online closes 2 hours before: late enough that a
// patient who cannot come cancels rather than simply not attending (a
// late cancellation still frees the clinician; a longer cut-off turns
// cancellations into missed appointments), early enough that reception
// can offer the slot to someone phoning on the day, and a patient
// cancelling later speaks to the practice, who then know at once.
var DefaultPortalSettings = PortalSettings{OrderWindowDays: 7, CancelCutoffHours: 2}

// Bounds of the settings.
const (
	MaxOrderWindowDays   = 28
	MaxCancelCutoffHours = 72
)

// PortalSettingsOf reads an Organization's settings, each the default
// when not set (or nil: no practice recorded).
func PortalSettingsOf(org fhir.Resource) PortalSettings {
	s := DefaultPortalSettings
	for _, e := range list(org, "extension") {
		if str(e, "url") != PortalSettingsURL {
			continue
		}
		for _, sub := range list(e, "extension") {
			n, ok := unsignedOf(sub["valueUnsignedInt"])
			if !ok {
				continue
			}
			switch str(sub, "url") {
			case "orderWindowDays":
				s.OrderWindowDays = min(n, MaxOrderWindowDays)
			case "cancelCutoffHours":
				s.CancelCutoffHours = min(n, MaxCancelCutoffHours)
			}
		}
	}
	return s
}

// unsignedOf is a whole number of zero or more as the store decodes it.
func unsignedOf(v any) (int, bool) {
	if v == nil {
		return 0, false
	}
	n := intOf(v)
	return n, n >= 0
}

// WithPortalSettings returns the Organization with its settings
// replaced (its other extensions kept).
func WithPortalSettings(org fhir.Resource, s PortalSettings) fhir.Resource {
	out := cloneResource(org)
	out["extension"] = append(extensionsExcept(out, PortalSettingsURL), map[string]any{"url": PortalSettingsURL, "extension": []any{
		map[string]any{"url": "orderWindowDays", "valueUnsignedInt": s.OrderWindowDays},
		map[string]any{"url": "cancelCutoffHours", "valueUnsignedInt": s.CancelCutoffHours},
	}})
	return cloneResource(out) // numbers as the store's resources hold them

}

// extensionsExcept are a resource's extensions but those of url (the
// one a setting replaces).
func extensionsExcept(res fhir.Resource, url string) []any {
	var ext []any
	for _, e := range list(res, "extension") {
		if str(e, "url") != url {
			ext = append(ext, e)
		}
	}
	return ext
}

// PortalSettingsForm is the practice admin's form as typed.
type PortalSettingsForm struct {
	OrderWindow, CancelCutoff string
}

// Form is the settings as the form shows them.
func (s PortalSettings) Form() PortalSettingsForm {
	return PortalSettingsForm{OrderWindow: strconv.Itoa(s.OrderWindowDays), CancelCutoff: strconv.Itoa(s.CancelCutoffHours)}
}

// Check returns the settings, or what is wrong by field id.
func (f PortalSettingsForm) Check() (PortalSettings, map[string]string) {
	errs := map[string]string{}
	var s PortalSettings
	w, err := strconv.Atoi(strings.TrimSpace(f.OrderWindow))
	switch {
	case strings.TrimSpace(f.OrderWindow) == "":
		errs["order-window"] = "Enter how many days before a supply runs out a repeat can be ordered"
	case err != nil || w < 1 || w > MaxOrderWindowDays:
		errs["order-window"] = fmt.Sprintf("Days must be a whole number from 1 to %d", MaxOrderWindowDays)
	}
	c, err := strconv.Atoi(strings.TrimSpace(f.CancelCutoff))
	switch {
	case strings.TrimSpace(f.CancelCutoff) == "":
		errs["cancel-cutoff"] = "Enter how many hours before an appointment online cancelling closes"
	case err != nil || c < 0 || c > MaxCancelCutoffHours:
		errs["cancel-cutoff"] = fmt.Sprintf("Hours must be a whole number from 0 to %d", MaxCancelCutoffHours)
	}
	if len(errs) > 0 {
		return s, errs
	}
	return PortalSettings{OrderWindowDays: w, CancelCutoffHours: c}, nil
}

// CancelOnline says why an appointment (its status and start) cannot be
// cancelled online now, or "" when it can: booked, not started, and not
// within the practice's cut-off.
func (s PortalSettings) CancelOnline(status string, start, now time.Time) string {
	switch {
	case status != "booked" || !start.After(now):
		return "This appointment has already been cancelled, has started or has passed. Contact your GP surgery if you need to."
	case start.Sub(now) < time.Duration(s.CancelCutoffHours)*time.Hour:
		return fmt.Sprintf("Appointments cannot be cancelled online within %s of their start. Phone your GP surgery to cancel, so that they can offer the time to someone else.", hoursText(s.CancelCutoffHours))
	}
	return ""
}

func hoursText(n int) string {
	if n == 1 {
		return "1 hour"
	}
	return fmt.Sprintf("%d hours", n)
}
