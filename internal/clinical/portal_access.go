package clinical

import (
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/patientview"
)

// What of a record a patient or proxy sees in the portal. The defaults
// are the GP contract's (CLINICAL.md, Patient portal 1 to 3):
//   - nobody sees a record online without a high identity proof
//     (HighIdentityProof);
//   - a patient aged 16 or over sees their record (prospective access by
//     default since 31 October 2023); under 16 it is not automatic; the
//     practice sets the level per patient (record_access.go);
//   - a proxy for a child under 11 sees the child's record; from the
//     11th birthday it is restricted pending the practice's review;
//   - a proxy for anyone else sees nothing of the record until the
//     practice records a grant (consent, LPA, court deputy or best
//     interests) that covers the record: RecordAccessOf and
//     proxy_grants.go, which also decide every other service a proxy
//     uses;
//   - an entry labelled NOPAT (no disclosure to the patient, the GP
//     Connect 1.6.2 label) is never shown, to anyone in the portal.

// HighIdentityProof reports an identity proven well enough to open a
// record online (patientview's rule).
func HighIdentityProof(proof string) bool { return patientview.HighIdentityProof(proof) }

func ageYears(birth, now time.Time) int { return patientview.AgeYears(birth, now) }

// NoPatientDisclosure is the v3 ActCode NOPAT label: an entry the
// clinician has hidden from the patient (third-party or harmful
// information).
const (
	ActCodeSystem       = patientview.ActCodeSystem
	NoPatientDisclosure = patientview.NoPatientDisclosure
)

// HiddenFromPatient reports an entry labelled NOPAT. The rule is
// patientview's, which the service applies to everything a patient or
// proxy reads.
func HiddenFromPatient(r fhir.Resource) bool { return patientview.HiddenFromPatient(r) }

// ForPatient leaves out the entries hidden from the patient, and the
// enhanced-review entries themselves (a note for the practice, not the
// patient).
func ForPatient(rs []fhir.Resource) []fhir.Resource {
	out := rs[:0:0]
	for _, r := range rs {
		if !HiddenFromPatient(r) && !IsEnhancedReview(r) {
			out = append(out, r)
		}
	}
	return out
}

// OnlineAccessClosed says why a record is closed to the portal, or "":
// a patient who has died (recording a death removes online and proxy
// access, so that no reminder, booking or repeat reaches a bereaved
// family through the portal), or who is no longer registered here.
func OnlineAccessClosed(b Banner) string {
	switch {
	case b.Deceased:
		return patientview.RecordWhyClosed
	case b.Deducted:
		return "This person is no longer registered at this GP surgery, so their record is not available here. Contact the surgery they are registered with."
	}
	return ""
}
