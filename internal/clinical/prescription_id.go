package clinical

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// EPS-ready prescriptions (E00101, E00104): each issue carries its EPS
// short-form prescription id, the nominated pharmacy it would go to and
// its dispensing status, so that connecting EPS changes how an issue is
// sent, not what it is. Until then no issue is sent (eps.NotConnected)
// and every screen says so.

// PrescriptionIDSystem is EPS's short-form prescription id (the
// prescription order number), kept as the issue's groupIdentifier.
const PrescriptionIDSystem = "https://fhir.nhs.uk/Id/prescription-order-number"

// DispensingStatusURL records an issue's EPS dispensing status; until EPS
// is connected it is "not sent".
const DispensingStatusURL = "https://gpcloud.dev/fhir/StructureDefinition/eps-dispensing-status"

// NominatedPharmacyURL is UK Core's nominated pharmacy on a Patient (held
// on PDS).
const NominatedPharmacyURL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy"

const mod37Chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+"

// NewPrescriptionID makes an EPS short-form prescription id,
// XXXXXX-PPPPPP-XXXXXC: six random hex digits, the prescribing
// organisation's ODS code left-padded with zeros to six, five random hex
// digits and an ISO/IEC 7064 MOD 37-2 check character over the rest.
// random must be at least 6 bytes (crypto/rand's).
func NewPrescriptionID(ods string, random []byte) (string, error) {
	ods = strings.ToUpper(strings.TrimSpace(ods))
	if ods == "" || len(ods) > 6 || strings.ContainsFunc(ods, func(r rune) bool { return !strings.ContainsRune(mod37Chars[:36], r) }) {
		return "", fmt.Errorf("clinical: the ODS code %q cannot make a prescription id", ods)
	}
	if len(random) < 6 {
		return "", fmt.Errorf("clinical: a prescription id needs 6 random bytes")
	}
	h := strings.ToUpper(hex.EncodeToString(random[:6]))
	body := h[:6] + "-" + strings.Repeat("0", 6-len(ods)) + ods + "-" + h[6:11]
	return body + string(mod37Check(body)), nil
}

// ValidPrescriptionID checks a short-form prescription id's shape and
// check character.
func ValidPrescriptionID(id string) bool {
	if len(id) != 20 || id[6] != '-' || id[13] != '-' {
		return false
	}
	for i, r := range id {
		if i == 6 || i == 13 || i == 19 {
			continue
		}
		if !strings.ContainsRune(mod37Chars[:36], r) {
			return false
		}
	}
	return mod37Check(id[:19]) == id[19]
}

// mod37Check is the ISO/IEC 7064 MOD 37-2 check character of s (its
// hyphens ignored).
func mod37Check(s string) byte {
	total := 0
	for _, r := range s {
		if r == '-' {
			continue
		}
		total = ((total + strings.IndexRune(mod37Chars, r)) * 2) % 37
	}
	return mod37Chars[(38-total)%37]
}

// EPSReady returns a copy of an issue with its prescription id, the
// nominated pharmacy (dispenseRequest.performer; none when the patient
// has not nominated one or PDS is not connected) and its dispensing
// status "not sent".
func EPSReady(issue fhir.Resource, id string, pharmacy *Ref) fhir.Resource {
	out := cloneResource(issue)
	out["groupIdentifier"] = map[string]any{"system": PrescriptionIDSystem, "value": id}
	if pharmacy != nil && pharmacy.Reference != "" {
		if dr, ok := out["dispenseRequest"].(map[string]any); ok {
			dr["performer"] = refMap(*pharmacy)
		}
	}
	out["extension"] = append(anyList(out["extension"]), map[string]any{"url": DispensingStatusURL,
		"valueCoding": map[string]any{"system": "https://gpcloud.dev/fhir/CodeSystem/eps-dispensing-status", "code": "not-sent", "display": "Not sent: EPS is not connected"}})
	return out
}

// PrescriptionIDOf is an issue's short-form prescription id, "" when it
// has none (issued before ids were given).
func PrescriptionIDOf(issue fhir.Resource) string {
	if g := mapOf(issue["groupIdentifier"]); g != nil && g["system"] == PrescriptionIDSystem {
		return str(g, "value")
	}
	return ""
}

// DispensingStatusOf is an issue's dispensing status as recorded.
func DispensingStatusOf(issue fhir.Resource) string {
	for _, e := range list(issue, "extension") {
		if e["url"] == DispensingStatusURL {
			return str(mapOf(e["valueCoding"]), "display")
		}
	}
	return ""
}

// NominatedPharmacyOf is a Patient's nominated pharmacy (UK Core), nil
// when none is recorded.
func NominatedPharmacyOf(patient fhir.Resource) *Ref {
	for _, e := range list(patient, "extension") {
		if e["url"] == NominatedPharmacyURL {
			r := mapOf(e["valueReference"])
			if r == nil {
				continue
			}
			return &Ref{Reference: str(r, "reference"), Display: str(r, "display")}
		}
	}
	return nil
}
