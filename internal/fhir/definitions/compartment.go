package definitions

// PatientCompartment returns the search parameters that place a resource
// of the given type in a Patient's compartment (empty when the type is
// never in it), from the official CompartmentDefinition.
func PatientCompartment(resourceType string) []string {
	return append([]string(nil), patientCompartment[resourceType]...)
}
