// Package eps is the seam to the NHS Electronic Prescription Service
// (E00101): sending an issued prescription to the patient's nominated
// pharmacy (or to the Spine for any pharmacy to pull), cancelling it
// (E00104) and reading its dispensing status. A live connection needs
// HSCN, a signing service and NHS assurance; until then NotConnected
// stands in: it sends nothing, and the prescribing screens and the token
// say that EPS is not connected, so that nobody believes a prescription
// reached a pharmacy. Each issue is modelled EPS-ready all the same
// (clinical.EPSReady: prescription id with its check character,
// nominated pharmacy, dispensing status, prescription type, controlled-
// drug schedule), so that connecting EPS changes how an issue is sent,
// not what it is.
package eps

import (
	"context"
	"errors"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Service is EPS as the prescribing pages use it.
type Service interface {
	// Connected reports a live connection.
	Connected() bool
	// Send submits issued prescriptions (MedicationRequest, intent
	// order, EPS-ready), signed by their prescriber.
	Send(ctx context.Context, issues []fhir.Resource) error
	// Cancel asks EPS to cancel a prescription not yet dispensed.
	Cancel(ctx context.Context, prescriptionID, reason string) error
}

// ErrNotConnected is every answer of the stand-in.
var ErrNotConnected = errors.New("eps: not connected")

// NotConnected is the stand-in: nothing is sent.
type NotConnected struct{}

// Connected implements Service.
func (NotConnected) Connected() bool { return false }

// Send implements Service: nothing is sent.
func (NotConnected) Send(context.Context, []fhir.Resource) error { return ErrNotConnected }

// Cancel implements Service: nothing is cancelled at a pharmacy.
func (NotConnected) Cancel(context.Context, string, string) error { return ErrNotConnected }

// Notice is what the prescribing pages say while EPS is not connected.
const Notice = "EPS not connected: prescriptions are not sent to pharmacies. Print the token for the patient; a cancelled prescription must be taken back from the patient or the pharmacy told."
