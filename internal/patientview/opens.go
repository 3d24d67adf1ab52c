package patientview

import (
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// What a patient or proxy reads of one record, by resource type: the
// services they use (a proxy only those their grant allows, under the
// age rules: ProxyAccess) and the record as far as their access level
// goes (RecordAccessOf: the level's parts whole, and every entry dated
// from the first day of prospective access). The service applies it to
// every read of a patient-facing caller; the portal's pages to what
// they show.
//
// Each type of the patient compartment belongs to one of:
//   - always read: the patient themselves and who has viewed their
//     record (AuditEvent), unless the reader is a proxy who may use no
//     service at all (refused, ended, or past the age rules), who reads
//     nothing;
//   - never read: the practice's decisions about online access
//     (Consent: the service reads them for the reader);
//   - a service: appointments (Appointment, AppointmentResponse,
//     Schedule), online requests (QuestionnaireResponse), messages
//     (Communication, CommunicationRequest), and the requests they made
//     in the portal (a Task coded in PortalTaskSystem: its service);
//   - the record, by part: the summary (allergies, problems, medicines),
//     the coded record (observations, results, vaccinations, procedures,
//     medicines given), and the full record (everything else:
//     consultations, documents, referrals, care plans).
//
// MedicationRequest belongs to both the summary and the repeats
// service: ordering a repeat means choosing it from the list, so whoever
// may order repeats reads the medicines (as in the NHS App), and the
// record's summary shows them to the others. A type the table does not
// name is the full record's: the least shown.

// Opening is how a type is opened to a patient or proxy.
type Opening struct {
	// Always: read whatever the access (but by a proxy who may use no
	// service at all); Never: never read by a patient or proxy.
	Always, Never bool
	// Services open the type whole (any one of them).
	Services []string
	// Part is the part of the record the type belongs to ("" for none).
	Part string
}

var openings = map[string]Opening{
	"Patient":    {Always: true},
	"AuditEvent": {Always: true},
	// The practice's decisions about online access are read by the
	// service for them (AccessOf); the Consents themselves carry staff's
	// notes (a refusal's reason) and other proxies' grants.
	"Consent": {Never: true},
	// A file whose securityContext is the patient: a message's attachment.
	"Binary": {Services: []string{ServiceMessages}, Part: PartFull},

	"Appointment":           {Services: []string{ServiceAppointments}},
	"AppointmentResponse":   {Services: []string{ServiceAppointments}},
	"Schedule":              {Services: []string{ServiceAppointments}},
	"QuestionnaireResponse": {Services: []string{ServiceRequests}},
	"Communication":         {Services: []string{ServiceMessages}},
	"CommunicationRequest":  {Services: []string{ServiceMessages}},

	"AllergyIntolerance":  {Part: PartSummary},
	"Condition":           {Part: PartSummary},
	"MedicationRequest":   {Part: PartSummary, Services: []string{ServiceRepeats}},
	"MedicationStatement": {Part: PartSummary},
	"MedicationDispense":  {Part: PartSummary},

	"Observation":                {Part: PartCoded},
	"DiagnosticReport":           {Part: PartCoded},
	"Immunization":               {Part: PartCoded},
	"ImmunizationEvaluation":     {Part: PartCoded},
	"ImmunizationRecommendation": {Part: PartCoded},
	"Procedure":                  {Part: PartCoded},
	"MedicationAdministration":   {Part: PartCoded},
	"FamilyMemberHistory":        {Part: PartCoded},
	"Specimen":                   {Part: PartCoded},
	"ImagingStudy":               {Part: PartCoded},
	"MolecularSequence":          {Part: PartCoded},
	"BodyStructure":              {Part: PartCoded},
	"RiskAssessment":             {Part: PartCoded},
}

// OpeningOf is how a type is opened to a patient or proxy.
func OpeningOf(typ string) Opening {
	if o, ok := openings[typ]; ok {
		return o
	}
	return Opening{Part: PartFull}
}

// Access is what one patient or proxy reads of one record.
type Access struct {
	Record   RecordScope
	services map[string]bool
	// why a proxy may not use a service, in plain words.
	why map[string]string
	// shut: nothing opens, not even the patient's details (a proxy who
	// may use no service at all: refused, ended, past the age rules).
	shut bool
}

// AccessOf is the access in decides (RecordAccessOf for the record; for
// a proxy, ProxyAccess for each service; a patient uses every service).
func AccessOf(in RecordAccessInput, now time.Time) Access {
	if in.Closed {
		// Only the patient's details open, for the portal to say why.
		return Access{Record: RecordScope{Level: RecordNone, Why: RecordWhyClosed}, services: map[string]bool{}, why: map[string]string{}}
	}
	a := Access{Record: RecordAccessOf(in, now), services: map[string]bool{}, why: map[string]string{}}
	any := false
	for _, s := range ProxyServices {
		ok, why := true, ""
		if in.Proxy {
			ok, why = ProxyAccess(in.Grant, in.BirthDate, s.Key, now)
		}
		a.services[s.Key], a.why[s.Key] = ok, why
		any = any || ok
	}
	a.shut = !any
	return a
}

// Uses reports a service the reader may use.
func (a Access) Uses(service string) bool { return a.services[service] }

// Why says in plain words why the reader may not use a service ("" when
// they may, or when the record is closed online: Record.Why says so).
func (a Access) Why(service string) string { return a.why[service] }

// Shut reports an access that opens nothing, not even the patient's
// details: a proxy who may use no service at all.
func (a Access) Shut() bool { return a.shut }

// Whole reports every entry of a type open to the reader, whatever it
// says (no entry need be read to decide).
func (a Access) Whole(typ string) bool {
	o := OpeningOf(typ)
	if o.Never || a.shut {
		return false
	}
	if o.Always {
		return true
	}
	for _, s := range o.Services {
		if a.services[s] {
			return true
		}
	}
	return o.Part != "" && a.Record.Whole(o.Part)
}

// Opens reports an entry of typ open to the reader: its type whole, a
// request of theirs to the practice (a Task of the portal's), or its part
// of the record shown from a day (prospective access) and the entry dated
// on or after it.
func (a Access) Opens(typ string, res fhir.Resource) bool {
	if a.Whole(typ) {
		return true
	}
	if typ == "Task" && res != nil {
		if svc, ok := portalTaskServices[portalTaskCode(res)]; ok {
			for _, s := range svc {
				if a.services[s] {
					return true
				}
			}
			return false
		}
	}
	o := OpeningOf(typ)
	return o.Part != "" && res != nil && a.Record.Shows(o.Part, EntryDate(res))
}

// PortalTaskSystem codes the Tasks that are a patient's or proxy's
// requests to the practice, made in the portal (clinical's names:
// TaskOnlineRequest, TaskRepeatRequest, TaskContactChange). Every other
// Task is the practice's own work about the patient, part of the full
// record.
const PortalTaskSystem = "https://gpcloud.dev/fhir/CodeSystem/portal-task"

// portalTaskServices are the services that open each request Task: its
// own, or any for a change of contact details (which a proxy makes with
// whatever service they have).
var portalTaskServices = map[string][]string{
	"online-request":  {ServiceRequests},
	"repeat-request":  {ServiceRepeats},
	"contact-details": {ServiceAppointments, ServiceRequests, ServiceRepeats, ServiceRecord, ServiceMessages},
}

func portalTaskCode(res fhir.Resource) string {
	for _, cd := range list(mapOf(res["code"]), "coding") {
		if str(cd, "system") == PortalTaskSystem {
			return str(cd, "code")
		}
	}
	return ""
}

// ClosedOnline reports a record closed to online access, whatever the
// practice decided: the patient has died (recording a death removes
// online and proxy access, so that no reminder, booking or repeat reaches
// a bereaved family), or is no longer registered here (Patient.active
// false). Only the patient's own details and the decisions stay readable.
func ClosedOnline(patient fhir.Resource) bool {
	if v, ok := patient["deceasedBoolean"].(bool); ok && v {
		return true
	}
	if _, ok := patient["deceasedDateTime"]; ok {
		return true
	}
	v, ok := patient["active"].(bool)
	return ok && !v
}

// RecordWhyClosed is what a patient or proxy is told of a record closed
// online because the patient has died.
const RecordWhyClosed = "This record is no longer available online. Contact the practice if you need help."
