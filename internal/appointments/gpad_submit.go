package appointments

import (
	"context"
	"errors"

	"github.com/gpcloud/gpcloud/internal/clinical"
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
