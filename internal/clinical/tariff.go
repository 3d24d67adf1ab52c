package clinical

import "github.com/gpcloud/gpcloud/internal/fhir"

// The Drug Tariff's two prescribing restrictions (CLINICAL.md Prescribing
// 8; the retired S14 GP-07.21-01 made honouring them a MUST), read from
// dm+d's pack flags (terminology/dmd_tariff.go says how a VMP and an AMP
// get them):
//
//   - Part XVIIIA, the "blacklist": products not to be prescribed on the
//     NHS. An NHS prescription for one is not paid to the pharmacy and
//     the patient is charged, so it is refused (an error, not a warning a
//     prescriber may override), when prescribing and again at each issue
//     of a repeat: a product blacklisted after its repeat was authorised
//     is caught then.
//   - Part XVIIIB, the Selected List Scheme (SLS): products the NHS pays
//     for only for the conditions the Tariff lists, the prescriber
//     endorsing the prescription "SLS". The prescriber confirms the
//     patient meets the conditions (the prescribing form's box); the
//     authorisation records the endorsement in EPS's extension, and every
//     issue carries it from there, as the FP10SS prints it beside the
//     item. A repeat authorised without it (before the product joined the
//     scheme) is refused at issue until it is reauthorised.
//
// A private prescription is not built (E00121 MAY): the refusal says to
// prescribe privately.

// EPS's prescription endorsement: an extension of the MedicationRequest
// whose valueCodeableConcept codes the endorsement (SLS, ACBS, CC, FS).
const (
	EndorsementURL    = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionEndorsement"
	EndorsementSystem = "https://fhir.nhs.uk/CodeSystem/medicationrequest-endorsement"
	EndorsementSLS    = "SLS"
)

// The drug list's marks of the two (Medicine.Marks).
const (
	MarkNotNHS = "Not on the NHS: Drug Tariff Part XVIIIA"
	MarkSLS    = "SLS: endorse, listed conditions only"
)

// NotNHSMessage is why a blacklisted medicine is refused.
func NotNHSMessage(m Medicine) string {
	return m.Name + " is not prescribable on the NHS (Drug Tariff Part XVIIIA): prescribe privately or choose another product"
}

// SLSMessage is the error of an SLS medicine prescribed without the
// prescriber's confirmation.
func SLSMessage(m Medicine) string {
	return m.Name + " is in the Selected List Scheme (SLS, Drug Tariff Part XVIIIB): confirm the patient meets the SLS conditions, or choose another product"
}

// slsEndorsement is the SLS endorsement extension.
func slsEndorsement() map[string]any {
	return map[string]any{"url": EndorsementURL, "valueCodeableConcept": map[string]any{"coding": []any{
		map[string]any{"system": EndorsementSystem, "code": EndorsementSLS, "display": "Selected List Scheme"}}}}
}

// Endorsements are the prescriber's endorsement codes a MedicationRequest
// records ("SLS"), in order.
func Endorsements(res fhir.Resource) []string {
	var out []string
	for _, e := range list(res, "extension") {
		if e["url"] != EndorsementURL {
			continue
		}
		for _, c := range list(mapOf(e["valueCodeableConcept"]), "coding") {
			if c["system"] == EndorsementSystem && str(c, "code") != "" {
				out = append(out, str(c, "code"))
			}
		}
	}
	return out
}

// HasEndorsement reports a MedicationRequest endorsed with code.
func HasEndorsement(res fhir.Resource, code string) bool {
	for _, c := range Endorsements(res) {
		if c == code {
			return true
		}
	}
	return false
}

// CheckTariffIssue returns why a repeat authorisation of medicine m (as
// dm+d has it today) may not be issued, or "": a product blacklisted
// since is refused as at prescribing; an SLS product needs the
// endorsement on its authorisation, which only the prescriber's
// confirmation at (re)authorisation puts there.
func CheckTariffIssue(auth fhir.Resource, m Medicine) string {
	switch {
	case m.Blacklisted:
		return NotNHSMessage(m)
	case m.SLS && !HasEndorsement(auth, EndorsementSLS):
		return m.Name + " is now in the Selected List Scheme (SLS, Drug Tariff Part XVIIIB) and its repeat is not endorsed SLS: reauthorise it, confirming the patient meets the SLS conditions"
	}
	return ""
}
