package gpconnect

// The interactions offered (Spine interaction ids from the
// specification's "Interaction IDs" page), each with the JWT scope it
// needs and the R4 scopes its principal is limited to.
var (
	itMetadata = interaction{urn + "fhir:rest:read:metadata-1", "organization/*.read", ""}
	itPatientS = interaction{urn + "fhir:rest:search:patient-1", "patient/*.read", "user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itPatientR = interaction{urn + "fhir:rest:read:patient-1", "patient/*.read", "user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itPractR   = interaction{urn + "fhir:rest:read:practitioner-1", "organization/*.read", "user/Practitioner.rs"}
	itPractS   = interaction{urn + "fhir:rest:search:practitioner-1", "organization/*.read", "user/Practitioner.rs"}
	itOrgR     = interaction{urn + "fhir:rest:read:organization-1", "organization/*.read", ""}
	itOrgS     = interaction{urn + "fhir:rest:search:organization-1", "organization/*.read", ""}
	itLocR     = interaction{urn + "fhir:rest:read:location-1", "organization/*.read", "user/Location.rs"}
	itSlotS    = interaction{urn + "fhir:rest:search:slot-1", "organization/*.read", "user/Slot.rs user/Schedule.rs user/Practitioner.rs user/Location.rs"}
	itApptC    = interaction{urn + "fhir:rest:create:appointment-1", "patient/*.write",
		"user/Appointment.cr user/Slot.rs user/Schedule.rs user/Practitioner.rs user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itApptR      = interaction{urn + "fhir:rest:read:appointment-1", "patient/*.read", "user/Appointment.rs user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itApptU      = interaction{urn + "fhir:rest:update:appointment-1", "patient/*.write", "user/Appointment.rus user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itApptCancel = interaction{urn + "fhir:rest:cancel:appointment-1", "patient/*.write", "user/Appointment.rus user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itPatientAp  = interaction{urn + "fhir:rest:search:patient_appointments-1", "patient/*.read", "user/Appointment.rs user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs"}
	itRegister   = interaction{urn + "fhir:operation:gpc.registerpatient-1", "patient/*.write", "user/Patient.crs user/EpisodeOfCare.crs user/Consent.rs"}
	itStructMeta = interaction{urn + "structured:fhir:rest:read:metadata-1", "organization/*.read", ""}
	itStructured = interaction{urn + "fhir:operation:gpc.getstructuredrecord-1", "patient/*.read",
		"user/Patient.rs user/EpisodeOfCare.rs user/Consent.rs user/AllergyIntolerance.rs user/MedicationRequest.rs user/MedicationStatement.rs user/Medication.rs user/PractitionerRole.rs user/Condition.rs user/Immunization.rs user/Practitioner.rs user/Composition.rs user/Encounter.rs user/Observation.rs user/Location.rs user/DiagnosticReport.rs user/ServiceRequest.rs"}
)

func (p *Provider) routes() {
	f, s := foundationsBase, structuredBase
	p.handle("GET "+f+"/metadata", p.metadata, itMetadata)
	p.handle("GET "+f+"/Patient", p.searchPatient, itPatientS)
	p.handle("GET "+f+"/Patient/{id}", p.readPatient, itPatientR)
	p.handle("GET "+f+"/Practitioner/{id}", p.readPractitioner, itPractR)
	p.handle("GET "+f+"/Practitioner", p.searchPractitioner, itPractS)
	p.handle("GET "+f+"/Organization/{id}", p.readOrganization, itOrgR)
	p.handle("GET "+f+"/Organization", p.searchOrganization, itOrgS)
	p.handle("GET "+f+"/Location/{id}", p.readLocation, itLocR)
	p.handle("GET "+f+"/Slot", p.searchSlots, itSlotS)
	p.handle("POST "+f+"/Appointment", p.book, itApptC)
	p.handle("GET "+f+"/Appointment/{id}", p.readAppointment, itApptR)
	p.handle("PUT "+f+"/Appointment/{id}", p.updateAppointment, itApptU, itApptCancel)
	p.handle("POST "+f+"/Patient/$gpc.registerpatient", p.registerPatient, itRegister)
	p.handle("GET "+f+"/Patient/{id}/Appointment", p.patientAppointments, itPatientAp)
	p.handle("POST "+f+"/Patient/$gpc.getcarerecord", p.careRecord, itCareRecord)
	p.handle("GET "+s+"/metadata", p.structuredMetadata, itStructMeta)
	p.documentRoutes()
	p.handle("POST "+s+"/Patient/$gpc.getstructuredrecord", p.structuredRecord, itStructured)
}
