package workspace

import (
	"context"
	"crypto/rand"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/eps"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// eps is the Electronic Prescription Service: the stand-in until EPS is
// connected behind eps.Service (the pages say so).
func (ws *Workspace) eps() eps.Service { return eps.NotConnected{} }

// odsSystem is the ODS code's identifier system.
const odsSystem = "https://fhir.nhs.uk/Id/ods-organization-code"

// epsReady returns what makes the patient's issues EPS-ready: each gets
// a prescription id made with the practice's ODS code (a made-up local
// code when the practice records none) and the patient's nominated
// pharmacy when recorded.
func (ws *Workspace) epsReady(ctx context.Context, v *visit, patientID string) (func(fhir.Resource) (fhir.Resource, error), error) {
	ods := "Y00000" // no ODS code recorded: the id is still well formed
	if org, err := ws.read(ctx, "Organization", v.user.Practice); err == nil {
		if s := odsOf(org); s != "" && len(s) <= 6 {
			ods = s
		}
	}
	patient, err := ws.read(ctx, "Patient", patientID)
	if err != nil {
		return nil, err
	}
	pharmacy := clinical.NominatedPharmacyOf(patient)
	return func(issue fhir.Resource) (fhir.Resource, error) {
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		id, err := clinical.NewPrescriptionID(ods, b)
		if err != nil {
			return nil, err
		}
		return clinical.EPSReady(issue, id, pharmacy), nil
	}, nil
}
