package intake

import (
	"context"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Routed returns an item put into a record tagged with the clinician it
// is for (clinical.RouteFor: who asked for the test, else the patient's
// usual GP, never someone who has left or is away now). patient is the record's Patient
// (nil: read it).
func (in *Intake) Routed(ctx context.Context, item, patient fhir.Resource) (fhir.Resource, error) {
	inc := clinical.IncomingOf(item)
	if patient == nil {
		id, _ := strings.CutPrefix(inc.Patient.Reference, "Patient/")
		out, err := in.Service.Read(ctx, "Patient", id)
		if err != nil {
			return nil, err
		}
		if patient, err = fhir.Unmarshal(out.Version.Body); err != nil {
			return nil, err
		}
	}
	c := clinical.RouteCandidates{LabRequester: inc.Requester, UsualGP: clinical.UsualGP(patient)}
	for _, n := range clinical.OrderNumbers(item) {
		out, err := in.Service.Search(ctx, service.SearchRequest{Type: "ServiceRequest",
			Params: url.Values{"identifier": {clinical.OrderNumberSystem + "|" + n}, "_count": {"5"}}})
		if err != nil {
			return nil, err
		}
		for _, req := range service.Matches(out.Resource) {
			if tr := clinical.TestRequestOf(req); tr.Patient.Reference == inc.Patient.Reference && c.Requester.Reference == "" {
				c.Requester = tr.Requester
			}
		}
	}
	active := map[string]bool{}
	c.Active = func(ref string) bool {
		if a, ok := active[ref]; ok {
			return a
		}
		a := false
		if id, ok := strings.CutPrefix(ref, "Practitioner/"); ok {
			if out, err := in.Service.Read(ctx, "Practitioner", id); err == nil {
				if p, err := fhir.Unmarshal(out.Version.Body); err == nil {
					a = p["active"] != false
				}
			}
			// Away now: an exception of one of their rotas covers now.
			if a {
				out, err := in.Service.Search(ctx, service.SearchRequest{Type: "Schedule", Params: url.Values{"actor": {ref}, "_count": {"20"}}})
				if err == nil {
					for _, sched := range service.Matches(out.Resource) {
						if _, exceptions := clinical.RotaOf(sched); clinical.AwayAt(exceptions, in.Now()) {
							a = false
						}
					}
				}
			}
		}
		active[ref] = a
		return a
	}
	to, _ := clinical.RouteFor(c)
	return clinical.WithInboxFor(item, to), nil
}
