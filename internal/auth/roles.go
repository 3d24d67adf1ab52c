package auth

import "strings"

// RoleScopes are the most a user of each role may be granted: a token's
// scopes are what the app asked for intersected with these. Clinicians
// reach the whole record of their practice's patients; receptionists
// registration, appointments, alerts (Flag) and the names of repeat
// medicines (NamesOnly), no consultation content; practice admins
// read everything of the practice (the audit trail included) and manage
// registrations and the practice's directory (sites, staff, teams) and move the patients of a
// clinician who is off (workspace/displaced.go); patients and proxies read
// the records they reach and book appointments.
var RoleScopes = map[Role]string{
	RoleGP:    both("*.cruds"),
	RoleNurse: both("*.cruds"),
	RolePracticeAdmin: both("*.rs", "Appointment.u", "Patient.cud", "Organization.u", "Practitioner.cud", "PractitionerRole.cud", "Location.cud", "EpisodeOfCare.cud", "Group.cud",
		"Schedule.cud", "Slot.cud", // rotas and the slots they make
		"Task.cu", "DiagnosticReport.u", "DocumentReference.cu", // workflow: tasks; matching incoming results and letters, scanning letters in
		"Communication.cu", "Consent.cu", // patients' messages; proxy access grants (workspace/proxies.go)
		"Questionnaire.cu"), // drafts of the practice's online request form (workspace/admin_forms.go); a GP publishes
	RoleReceptionist: both("Patient.cruds", "Appointment.cruds", "Slot.cruds", "Schedule.rs", "Practitioner.rs",
		"PractitionerRole.rs", "Organization.rs", "Location.rs", "HealthcareService.rs", "EpisodeOfCare.cruds",
		"Flag.rs", "MedicationRequest.rs", // alerts; repeat medicines' names only (NamesOnly)
		"Task.cruds", "Group.rs", // workflow: tasks for them and their team
		"Communication.cruds", "QuestionnaireResponse.rs", // patients' messages and online requests (workspace/messages.go, requests.go)
		"Consent.crus"), // the GP Connect sharing choice only (workspace/sharing.go; WritesOnlyCategory)
	// Patients and proxies also send requests to the practice (portal:
	// an online consultation's QuestionnaireResponse, a Task).
	// A patient also updates their own Patient's telecom (contact
	// details online; service/selfservice.go refuses any other change).
	RolePatient: both("*.rs", "Patient.u", "Appointment.cu", "QuestionnaireResponse.c", "Task.c", "Communication.c", "Binary.c"), // messages with an attachment
	RoleProxy:   both("*.rs", "Appointment.cu", "QuestionnaireResponse.c", "Task.c", "Communication.c", "Binary.c"),
	RoleSystem:  "system/*.cruds",
}

// NamesOnly are the types a role reads only as names: the service
// returns them reduced (service/views.go). Receptionists answer requests
// for repeat medicines, so they read a MedicationRequest's name when it
// is a repeat, and nothing of what it is for or how it is taken.
var NamesOnly = map[Role][]string{
	RoleReceptionist: {"MedicationRequest"},
}

// WritesOnlyCategory narrows a role's writes of a type to the resources
// carrying a category coding of one system: a receptionist records a
// patient's GP Connect sharing choice (a Consent of the sharing-choice
// category) at the desk, but proxy access grants and record access levels
// (Consents of other categories) are decided by clinicians and practice
// admins. The service applies it to the new content and to the version a
// write replaces.
var WritesOnlyCategory = map[Role]map[string]string{
	RoleReceptionist: {"Consent": "https://gpcloud.dev/fhir/CodeSystem/sharing-choice"},
}

// both grants rules in the user/ and the patient/ context: an app a user
// launches with a patient in context gets patient/ scopes, one without
// user/ scopes, and the user's reach bounds both.
func both(rules ...string) string {
	var out []string
	for _, r := range rules {
		out = append(out, "user/"+r, "patient/"+r)
	}
	return strings.Join(out, " ")
}

// ScopesOf returns a role's scopes, parsed.
func ScopesOf(r Role) Scopes {
	s, err := ParseScopes(RoleScopes[r] + " openid fhirUser launch launch/patient offline_access online_access")
	if err != nil {
		panic("auth: bad RoleScopes for " + string(r) + ": " + err.Error())
	}
	return s
}
