package auth

// RoleScopes are the most a user of each role may be granted: a token's
// scopes are what the app asked for intersected with these. Clinicians
// reach the whole record of their practice's patients; receptionists
// registration and appointments but no clinical data; practice admins
// read everything of the practice (the audit trail included) and manage
// registrations and the practice's directory; patients and proxies read
// the records they reach and book appointments.
var RoleScopes = map[Role]string{
	RoleGP:            "user/*.cruds",
	RoleNurse:         "user/*.cruds",
	RolePracticeAdmin: "user/*.rs user/Patient.cud user/Organization.u user/Practitioner.cud user/PractitionerRole.cud user/Location.cud",
	RoleReceptionist: "user/Patient.cruds user/Appointment.cruds user/Slot.cruds user/Schedule.rs user/Practitioner.rs " +
		"user/PractitionerRole.rs user/Organization.rs user/Location.rs user/HealthcareService.rs",
	RolePatient: "patient/*.rs patient/Appointment.cu",
	RoleProxy:   "patient/*.rs patient/Appointment.cu",
	RoleSystem:  "system/*.cruds",
}

// ScopesOf returns a role's scopes, parsed.
func ScopesOf(r Role) Scopes {
	s, err := ParseScopes(RoleScopes[r] + " openid fhirUser launch launch/patient offline_access online_access")
	if err != nil {
		panic("auth: bad RoleScopes for " + string(r) + ": " + err.Error())
	}
	return s
}
