package appointments

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Missed is a patient's missed appointments in the 12 months to now and
// what staff should be told about them (clinical.MissedPrompt), as the
// caller.
type Missed struct {
	Times  []time.Time
	Prompt string
}

// MissedOf counts both the appointments marked did-not-attend and the
// coded did-not-attend entries in the record (an import brings entries
// without their appointments); an entry naming a counted appointment is
// not counted twice. A role that may not read Observations (reception)
// counts the appointments alone.
func MissedOf(ctx context.Context, svc *service.Service, patientID string, now time.Time) (*Missed, error) {
	since := now.AddDate(-1, 0, 0).UTC().Format(time.RFC3339)
	out, err := svc.Read(ctx, "Patient", patientID)
	if err != nil {
		return nil, err
	}
	patient, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return nil, err
	}
	m := &Missed{}
	counted := map[string]bool{}
	appts, err := svc.Search(ctx, service.SearchRequest{Type: "Appointment", Params: url.Values{
		"patient": {patientID}, "status": {"noshow"}, "date": {"ge" + since}, "_count": {"200"}}})
	if err != nil {
		return nil, err
	}
	for _, a := range Matches(appts.Resource) {
		if t, err := time.Parse(time.RFC3339, str(a["start"])); err == nil {
			m.Times = append(m.Times, t)
			counted["Appointment/"+a.ID()] = true
		}
	}
	obs, err := svc.Search(ctx, service.SearchRequest{Type: "Observation", Params: url.Values{
		"patient": {patientID}, "code": {clinical.SNOMED + "|" + clinical.DNACode}, "date": {"ge" + since}, "_count": {"200"}}})
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && fe.Status == http.StatusForbidden:
	case err != nil:
		return nil, err
	default:
		for _, o := range Matches(obs.Resource) {
			if counted[appointmentOf(o)] || str(o["status"]) == "entered-in-error" {
				continue
			}
			if t, err := time.Parse(time.RFC3339, str(o["effectiveDateTime"])); err == nil {
				m.Times = append(m.Times, t)
			}
		}
	}
	m.Prompt = clinical.MissedPrompt(str(patient["birthDate"]), m.Times, now)
	return m, nil
}

// appointmentOf is the appointment a did-not-attend entry names.
func appointmentOf(o fhir.Resource) string {
	for _, e := range asList(o["extension"]) {
		m, _ := e.(map[string]any)
		if str(m["url"]) == clinical.AppointmentOfURL {
			ref, _ := m["valueReference"].(map[string]any)
			return strings.TrimSpace(str(ref["reference"]))
		}
	}
	return ""
}
