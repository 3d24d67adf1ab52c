package oracle

// The supported parameters, with the R4 elements each covers.

var (
	subject = referenceParam{path: "subject"}
	patient = referenceParam{path: "subject", target: "Patient"}
	status  = tokenParam{codeAt("status")}
)

var params = map[string]map[string]param{
	"Patient": {
		"name":               stringParam{humanName("family", "given", "prefix", "suffix", "text")},
		"family":             stringParam{humanName("family")},
		"given":              stringParam{humanName("given")},
		"gender":             tokenParam{codeAt("gender")},
		"birthdate":          dateParam{dateAt("birthDate")},
		"identifier":         tokenParam{identifiers},
		"address-city":       stringParam{stringPaths([]string{"address", "city"})},
		"address-postalcode": stringParam{stringPaths([]string{"address", "postalCode"})},
		"deceased":           tokenParam{deceased},
	},
	"Observation": {
		"code":           tokenParam{codingsAt("code")},
		"category":       tokenParam{codingsAt("category")},
		"status":         status,
		"subject":        subject,
		"patient":        patient,
		"encounter":      referenceParam{path: "encounter"},
		"date":           dateParam{choiceDate("effective")},
		"value-quantity": quantityParam{quantityAt("valueQuantity")},
		"value-concept":  tokenParam{codingsAt("valueCodeableConcept")},
		// The combo parameters: the element and each component's.
		"combo-code":           tokenParam{withComponents(codingsAt("code"))},
		"combo-value-quantity": quantityParam{withComponents(quantityAt("valueQuantity"))},
		"combo-value-concept":  tokenParam{withComponents(codingsAt("valueCodeableConcept"))},
	},
	"Condition": {
		"code":            tokenParam{codingsAt("code")},
		"clinical-status": tokenParam{codingsAt("clinicalStatus")},
		"subject":         subject,
		"patient":         patient,
		"onset-date":      dateParam{choiceDate("onset")},
		"category":        tokenParam{codingsAt("category")},
	},
	"Encounter": {
		"date":    dateParam{periodAt("period")},
		"subject": subject,
		"patient": patient,
		"class":   tokenParam{codingsAt("class")},
		"type":    tokenParam{codingsAt("type")},
		"status":  status,
	},
	"MedicationRequest": {
		"status":     status,
		"intent":     tokenParam{codeAt("intent")},
		"subject":    subject,
		"patient":    patient,
		"authoredon": dateParam{dateAt("authoredOn")},
		"code":       tokenParam{codingsAt("medicationCodeableConcept")},
	},
	"Procedure": {
		"code":    tokenParam{codingsAt("code")},
		"subject": subject,
		"patient": patient,
		"date":    dateParam{choiceDate("performed")},
		"status":  status,
	},
	"Immunization": {
		"vaccine-code": tokenParam{codingsAt("vaccineCode")},
		"patient":      referenceParam{path: "patient", target: "Patient"},
		"date":         dateParam{dateAt("occurrenceDateTime")},
		"status":       status,
	},
}

// withComponents reads values from a resource and from each of its
// components (Observation.component).
func withComponents[T any](read func(map[string]any) []T) func(map[string]any) []T {
	return func(res map[string]any) []T {
		out := read(res)
		for _, c := range walk(res, "component") {
			if m, ok := c.(map[string]any); ok {
				out = append(out, read(m)...)
			}
		}
		return out
	}
}

// idParam is _id, a token on Resource.id, on every type.
var idParam = tokenParam{codeAt("id")}

func lookup(resourceType, name string) (param, bool) {
	if name == "_id" {
		return idParam, true
	}
	p, ok := params[resourceType][name]
	return p, ok
}
