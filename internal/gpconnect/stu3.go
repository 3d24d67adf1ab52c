package gpconnect

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// R4 (UK Core) → STU3 (Care Connect, GP Connect profiles). Each mapping
// copies the elements whose shape STU3 shares, rewrites those it does not
// (a CodeableConcept status becomes a code, a list becomes one element),
// and drops R4-only elements and UK Core extensions rather than passing
// on what an STU3 consumer could misread.

const (
	sd                    = "https://fhir.nhs.uk/STU3/StructureDefinition/"
	profilePatient        = sd + "CareConnect-GPC-Patient-1"
	profilePractitioner   = sd + "CareConnect-GPC-Practitioner-1"
	profileOrganization   = sd + "CareConnect-GPC-Organization-1"
	profileLocation       = sd + "CareConnect-GPC-Location-1"
	profileSlot           = sd + "GPConnect-Slot-1"
	profileSchedule       = sd + "GPConnect-Schedule-1"
	profileAppointment    = sd + "GPConnect-Appointment-1"
	profileSearchset      = sd + "GPConnect-Searchset-Bundle-1"
	profileStructured     = sd + "GPConnect-StructuredRecord-Bundle-1"
	profileAllergy        = sd + "CareConnect-GPC-AllergyIntolerance-1"
	profileMedStatement   = sd + "CareConnect-GPC-MedicationStatement-1"
	profileMedRequest     = sd + "CareConnect-GPC-MedicationRequest-1"
	profileMedication     = sd + "CareConnect-GPC-Medication-1"
	profileList           = sd + "CareConnect-GPC-List-1"
	profileProblem        = sd + "CareConnect-GPC-ProblemHeader-Condition-1"
	profileImmunization   = sd + "CareConnect-GPC-Immunization-1"
	nhsVerificationExtURL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1"
	nhsVerificationCodes  = "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1"
	registrationExtURL    = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-RegistrationDetails-1"
	bookingOrgExtURL      = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1"
	cancelReasonExtURL    = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1"
	// bookingOrgExtURLBefore is the misspelt URL bookings were stored with
	// before the profiles were checked: still read from the record.
	bookingOrgExtURLBefore = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-Booking-Organisation-1"
	deliveryChannelExtURL  = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2"
	problemSignifExtURL    = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1"
	dateRecordedExtURL     = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DateRecorded-1"
	conditionCategoryCS    = "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1"
	listEmptyReasonCS      = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1"
	// dataIdentifierSystem scopes the identifiers gpcloud gives the
	// clinical items it shares: GP Connect wants a persistent identifier
	// in a provider namespace on each.
	dataIdentifierSystem  = "https://gpcloud.dev/Id/gpconnect-data-identifier"
	allergyEndExtURL      = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1"
	prescriptionTypeURL   = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1"
	prescriptionTypeCodes = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1"
	prescribingAgencyURL  = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescribingAgency-1"
	prescribingAgencyCode = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescribingAgency-1"
	ukProblemSignifURL    = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ProblemSignificance"
)

// base starts an STU3 resource: type, id, version and profile.
func base(r fhir.Resource, typ, profile string) fhir.Resource {
	out := fhir.Resource{"resourceType": typ, "id": r.ID()}
	meta := map[string]any{"profile": []any{profile}}
	if m := r.Meta(); m != nil {
		if v, ok := m["versionId"]; ok {
			meta["versionId"] = v
		}
		if v, ok := m["lastUpdated"]; ok {
			meta["lastUpdated"] = v
		}
	}
	// "No disclosure to patient" (v3 ActCode NOPAT, GP Connect 1.6.2) is
	// kept: the consumer's clinician sees the entry, a patient-facing
	// view must not. STU3 names the code system by its older URL.
	for _, l := range list(r.Meta()["security"]) {
		m := obj(l)
		if str(m["code"]) == "NOPAT" && (str(m["system"]) == actCodeR4 || str(m["system"]) == actCodeSTU3) {
			meta["security"] = []any{map[string]any{"system": actCodeSTU3, "code": "NOPAT",
				"display": "no disclosure to patient, family or caregivers without attending provider's authorization"}}
		}
	}
	out["meta"] = meta
	return out
}

const (
	actCodeR4   = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	actCodeSTU3 = "http://hl7.org/fhir/v3/ActCode"
)

// dataIdentifier gives a clinical item the identifier GP Connect requires
// (1..*), persistent and in gpcloud's namespace: its type and id.
func dataIdentifier(out, r fhir.Resource) {
	ids := list(out["identifier"])
	out["identifier"] = append(ids, map[string]any{"system": dataIdentifierSystem, "value": r.Type() + "-" + r.ID()})
}

// recordedAt is when an entry was written to the record, as a date-time:
// the resource's last update (gpcloud writes an entry once; an amendment
// is a new version, and GP Connect asks for when it was recorded).
func recordedAt(r fhir.Resource) string {
	return str(r.Meta()["lastUpdated"])
}

// copyKeys copies the named elements unchanged.
func copyKeys(dst, src fhir.Resource, keys ...string) {
	for _, k := range keys {
		if v, ok := src[k]; ok {
			dst[k] = v
		}
	}
}

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []any { l, _ := v.([]any); return l }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// firstCode is the first coding's code of a CodeableConcept.
func firstCode(v any) string {
	for _, c := range list(obj(v)["coding"]) {
		if code := str(obj(c)["code"]); code != "" {
			return code
		}
	}
	return ""
}

func extValue(r map[string]any, url, key string) any {
	for _, e := range list(r["extension"]) {
		if str(obj(e)["url"]) == url {
			return obj(e)[key]
		}
	}
	return nil
}

// PatientSTU3 maps a UK Core Patient to CareConnect-GPC-Patient-1; the
// registration (an EpisodeOfCare, nil if unknown) becomes its
// registration details.
func PatientSTU3(p fhir.Resource, registration fhir.Resource) fhir.Resource {
	out := base(p, "Patient", profilePatient)
	copyKeys(out, p, "active", "name", "telecom", "gender", "birthDate", "deceasedBoolean", "deceasedDateTime",
		"address", "multipleBirthBoolean", "multipleBirthInteger", "generalPractitioner", "managingOrganization")
	var ids []any
	for _, i := range list(p["identifier"]) {
		id := obj(i)
		if str(id["system"]) != NHSNumberSystem {
			continue // local identifiers stay local
		}
		nid := map[string]any{"system": NHSNumberSystem, "value": id["value"]}
		if _, status := clinical.NHSNumberOf(fhir.Resource{"identifier": []any{id}}); status != "" {
			nid["extension"] = []any{map[string]any{"url": nhsVerificationExtURL, "valueCodeableConcept": map[string]any{
				"coding": []any{map[string]any{"system": nhsVerificationCodes, "code": status, "display": verificationDisplay(status)}}}}}
		}
		ids = append(ids, nid)
	}
	if len(ids) > 0 {
		out["identifier"] = ids
	}
	if registration != nil {
		var parts []any
		if period := obj(registration["period"]); period != nil {
			parts = append(parts, map[string]any{"url": "registrationPeriod", "valuePeriod": period})
		}
		for _, t := range list(registration["type"]) {
			if c := firstCode(t); c != "" {
				parts = append(parts, map[string]any{"url": "registrationType", "valueCodeableConcept": map[string]any{
					"coding": []any{map[string]any{"system": clinical.RegistrationTypeSystem, "code": c}}}})
				break
			}
		}
		if len(parts) > 0 {
			out["extension"] = []any{map[string]any{"url": registrationExtURL, "extension": parts}}
		}
	}
	return out
}

func verificationDisplay(code string) string {
	switch code {
	case "01":
		return "Number present and verified"
	case "02":
		return "Number present but not traced"
	}
	return ""
}

// PractitionerSTU3 maps a Practitioner.
func PractitionerSTU3(p fhir.Resource) fhir.Resource {
	out := base(p, "Practitioner", profilePractitioner)
	copyKeys(out, p, "identifier", "active", "name", "telecom", "address", "gender")
	return out
}

// OrganizationSTU3 maps an Organization.
func OrganizationSTU3(o fhir.Resource) fhir.Resource {
	out := base(o, "Organization", profileOrganization)
	copyKeys(out, o, "identifier", "active", "type", "name", "telecom", "address", "partOf")
	return out
}

// LocationSTU3 maps a Location (STU3's type is one concept, R4's a list).
func LocationSTU3(l fhir.Resource) fhir.Resource {
	out := base(l, "Location", profileLocation)
	copyKeys(out, l, "identifier", "status", "name", "description", "telecom", "address", "managingOrganization")
	if t := list(l["type"]); len(t) > 0 {
		out["type"] = t[0]
	}
	return out
}

// SlotSTU3 maps a Slot; the mode the rota gave it is the delivery channel.
func SlotSTU3(s fhir.Resource) fhir.Resource {
	out := base(s, "Slot", profileSlot)
	copyKeys(out, s, "schedule", "status", "start", "end")
	if mode := str(extValue(s, clinical.SlotModeURL, "valueCode")); mode != "" {
		out["extension"] = []any{map[string]any{"url": deliveryChannelExtURL, "valueCode": deliveryChannel(mode)}}
	}
	return out
}

// deliveryChannel is GP Connect's name for a slot's mode.
func deliveryChannel(mode string) string {
	switch strings.ToLower(mode) {
	case "telephone", "phone":
		return "Telephone"
	case "video":
		return "Video"
	}
	return "In-person"
}

// ScheduleSTU3 maps a Schedule (STU3's serviceCategory is one concept).
func ScheduleSTU3(s fhir.Resource) fhir.Resource {
	out := base(s, "Schedule", profileSchedule)
	copyKeys(out, s, "identifier", "actor", "planningHorizon", "comment") // GPConnect-Schedule-1 has no active
	if c := list(s["serviceCategory"]); len(c) > 0 {
		out["serviceCategory"] = c[0]
	}
	return out
}

// AppointmentSTU3 maps an Appointment to GPConnect-Appointment-1. STU3
// has no checked-in or waitlist status: they read as arrived and pending.
func AppointmentSTU3(a fhir.Resource) fhir.Resource {
	out := base(a, "Appointment", profileAppointment)
	copyKeys(out, a, "identifier", "start", "end", "minutesDuration", "slot", "created", "description", "comment", "contained")
	status := str(a["status"])
	switch status {
	case "checked-in":
		status = "arrived"
	case "waitlist":
		status = "pending"
	}
	out["status"] = status
	var parts []any
	for _, p := range list(a["participant"]) {
		pm := obj(p)
		np := map[string]any{"actor": pm["actor"], "status": pm["status"]}
		if pm["status"] == nil {
			np["status"] = "accepted"
		}
		parts = append(parts, np)
	}
	out["participant"] = parts
	var exts []any
	for _, e := range list(a["extension"]) {
		if u := str(obj(e)["url"]); u == bookingOrgExtURL || u == bookingOrgExtURLBefore {
			exts = append(exts, map[string]any{"url": bookingOrgExtURL, "valueReference": obj(e)["valueReference"]})
		}
	}
	if status == "cancelled" {
		reason := str(obj(a["cancelationReason"])["text"])
		if reason == "" {
			reason = "Cancelled"
		}
		exts = append(exts, map[string]any{"url": cancelReasonExtURL, "valueString": reason})
	}
	if len(exts) > 0 {
		out["extension"] = exts
	}
	return out
}
