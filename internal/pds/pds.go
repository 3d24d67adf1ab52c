// Package pds is the seam to the Personal Demographics Service (PDS, the
// national register of NHS numbers and demographics, Catalogue epic
// E00176). A live connection needs HSCN, a CIS2 session and assurance,
// none of which this server has; until then the local stand-in answers
// from this practice's own records, says it is not connected, and never
// reports a number as verified, so that no one believes a national check
// happened (CLINICAL Cross-cutting 3).
package pds

import (
	"context"
	"net/url"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Trace is what a look-up of an NHS number found.
type Trace struct {
	// Records are the Patients holding the number (for the stand-in: the
	// practice's own; for PDS: the national record).
	Records []fhir.Resource
	// Verified: the number was traced and verified against PDS, so it
	// may be stored as "present and verified" (UK Core status 01).
	Verified bool
}

// Service looks up NHS numbers.
type Service interface {
	// Connected reports whether this is the national service (the screen
	// says so when it is not).
	Connected() bool
	// Lookup traces an NHS number (ten digits), as the caller in ctx.
	Lookup(ctx context.Context, nhs string) (Trace, error)
}

// Local is the stand-in: it searches this practice's records through
// the service, as the signed-in user, and verifies nothing.
type Local struct{ Service *service.Service }

// Connected is false: Local is not PDS.
func (Local) Connected() bool { return false }

// Lookup finds the practice's patients with the number.
func (l Local) Lookup(ctx context.Context, nhs string) (Trace, error) {
	out, err := l.Service.Search(ctx, service.SearchRequest{Type: "Patient",
		Params: url.Values{"identifier": {clinical.NHSNumberSystem + "|" + nhs}, "_count": {"10"}}})
	if err != nil {
		return Trace{}, err
	}
	var t Trace
	t.Records = service.Matches(out.Resource)
	return t, nil
}

// NotConnected is what the screen says while PDS is not connected.
const NotConnected = "PDS is not connected: details checked against this practice's records only. The NHS number is stored as not traced."
