package appointments

import (
	"context"
	"errors"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/service"
)

// GPADSubmitter sends a week's GP Appointments Data to NHS England. The
// collection is reached only over HSCN by an assured supplier: gpcloud
// has no route to it, so the one implementation is NotConnectedGPAD,
// which sends nothing and says so; a real one goes behind this seam.
type GPADSubmitter interface {
	// Submit sends one week and returns the collection's receipt.
	Submit(ctx context.Context, s clinical.GPADSubmission) (receipt string, err error)
}

// ErrGPADNotConnected is NotConnectedGPAD's answer.
var ErrGPADNotConnected = errors.New("GP Appointments Data submission is not connected: nothing was sent to NHS England")

// NotConnectedGPAD is the local stand-in: it refuses every submission.
type NotConnectedGPAD struct{}

// Submit sends nothing and returns ErrGPADNotConnected.
func (NotConnectedGPAD) Submit(context.Context, clinical.GPADSubmission) (string, error) {
	return "", ErrGPADNotConnected
}

// odsSystem is the NHS ODS organisation code's identifier system.
const odsSystem = "https://fhir.nhs.uk/Id/ods-organization-code"

// PracticeODS is the ODS code of the store's practice, as the caller:
// the one Organization with an ODS code, or "" when there is not
// exactly one (the submission then needs it given).
func PracticeODS(ctx context.Context, svc *service.Service) (string, error) {
	res, err := svc.Search(ctx, service.SearchRequest{Type: "Organization", Params: url.Values{
		"identifier": {odsSystem + "|"}, "_count": {"2"}}})
	if err != nil {
		return "", err
	}
	orgs := Matches(res.Resource)
	if len(orgs) != 1 {
		return "", nil
	}
	for _, id := range asList(orgs[0]["identifier"]) {
		m, _ := id.(map[string]any)
		if str(m["system"]) == odsSystem {
			return str(m["value"]), nil
		}
	}
	return "", nil
}
