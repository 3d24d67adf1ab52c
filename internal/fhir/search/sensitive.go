package search

// Sensitive records. A Patient whose meta.security carries one of
// SensitiveLabels (the v3 confidentiality codes R, restricted, and V, very
// restricted) has a sealed record: practice staff still find the patient
// by search (their demographics), but the records of their compartment
// are outside a practice's reach until a clinician breaks the glass with
// a reason (audited). The service's per-resource check and the SQL of a
// search both ask here, so that the two agree.

// ConfidentialitySystem is the code system of the labels that seal a
// record.
const ConfidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

// SensitiveLabels are the codes of ConfidentialitySystem that seal a
// patient's record.
var SensitiveLabels = []string{"R", "V"}

// SecurityParam is the search parameter that indexes meta.security.
const SecurityParam = "_security"

// Sensitive reports whether a Patient resource is labelled sensitive.
func Sensitive(patient map[string]any) bool {
	meta, _ := patient["meta"].(map[string]any)
	labels, _ := meta["security"].([]any)
	for _, l := range labels {
		c, _ := l.(map[string]any)
		if c["system"] != ConfidentialitySystem {
			continue
		}
		for _, code := range SensitiveLabels {
			if c["code"] == code {
				return true
			}
		}
	}
	return false
}
