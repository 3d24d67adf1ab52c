package gpconnect

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Medication, R4 → STU3 as GP Connect 1.6 has it ("Medication resource
// relationships"): one MedicationStatement per authorisation, based on one
// MedicationRequest of intent plan (the authorisation: repeat information,
// prescription type, status reason when stopped), and one MedicationRequest
// of intent order per issue, basedOn the plan. gpcloud's prescribing keeps
// exactly that in R4 (clinical/prescribing.go), so the mapping is one to
// one; an R4 order with no basedOn (recorded before authorisations and
// issues were kept apart) is its own authorisation, with no issue.

// Extensions and identifiers of the medication profiles
// (nhsconnect/gpconnect-fhir StructureDefinitions).
const (
	lastIssueDateURL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1"
	// dosageLastChangedURL is CareConnect-GPC-MedicationStatement-1's
	// "dosageLastChanged": when the dose was last changed without a new
	// authorisation (clinical.DoseChangedOf, written by a change of dose).
	dosageLastChangedURL = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationDosageLastChanged-1"
	repeatInformationURL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1"
	medStatusReasonURL   = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatusReason-1"
	quantityTextURL      = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationQuantityText-1"
	noInformation        = "No information available"
)

// MedicationCourse is one authorisation in STU3: the statement, the plan,
// the Medication both reference, and the issues (orders), oldest first.
type MedicationCourse struct {
	Statement, Plan, Medication fhir.Resource
	Orders                      []fhir.Resource
}

// MedicationSTU3 maps an R4 authorisation (intent plan, or a lone order)
// and the issues based on it. now decides whether an issue's supply has
// run its course (an issue is active until the end of its supply).
func MedicationSTU3(auth fhir.Resource, issues []fhir.Resource, now time.Time) MedicationCourse {
	id := auth.ID()
	planID, medRef := "auth-"+id, map[string]any{"reference": "Medication/med-" + id}
	med := fhir.Resource{"resourceType": "Medication", "id": "med-" + id, "meta": map[string]any{"profile": []any{profileMedication}}}
	if cc, ok := auth["medicationCodeableConcept"]; ok {
		med["code"] = cc
	} else if r := obj(auth["medicationReference"]); r != nil {
		med["code"] = map[string]any{"text": str(r["display"])}
	}
	issues = append([]fhir.Resource(nil), issues...)
	sort.SliceStable(issues, func(i, j int) bool { return str(issues[i]["authoredOn"]) < str(issues[j]["authoredOn"]) })
	ptype := prescriptionType(auth)
	repeat := ptype == "repeat" || ptype == "repeat-dispensing"
	today := now.In(clinical.London).Format("2006-01-02")

	var orders []fhir.Resource
	for _, is := range issues {
		orders = append(orders, orderSTU3(is, planID, medRef, ptype, repeat, today))
	}

	// The authorisation's status: a repeat's is the plan's; an acute's is
	// its issue's (GP Connect: "for acutes the status refers to the status
	// of the prescription issue"). An issue whose supply has not run out
	// when its authorisation was stopped is stopped too: the patient was
	// told to stop, and an active issue would say they take it still.
	status := planStatus(str(auth["status"]))
	if status == "stopped" {
		for _, o := range orders {
			if o["status"] == "active" {
				o["status"] = "stopped"
			}
		}
	}
	if !repeat && len(orders) > 0 && status != "stopped" {
		status = str(orders[len(orders)-1]["status"])
	}
	start := day(str(auth["authoredOn"]))
	if start == "" && len(orders) > 0 {
		start = day(str(orders[0]["authoredOn"]))
	}
	stopped := londonDay(str(auth.Meta()["lastUpdated"])) // the date the plan was updated to stopped
	end := ""
	switch {
	case status == "stopped":
		end = stopped
	case !repeat && len(orders) > 0:
		end = str(obj(obj(orders[len(orders)-1]["dispenseRequest"])["validityPeriod"])["end"])
	case status == "completed" && len(orders) > 0:
		end = str(obj(obj(orders[len(orders)-1]["dispenseRequest"])["validityPeriod"])["end"])
	}
	if end == "" && status != "active" {
		end = start // data lost: an ended plan always has an end
	}
	period := map[string]any{"start": start}
	if end != "" {
		period["end"] = end
	}

	plan := base(auth, "MedicationRequest", profileMedRequest)
	plan["id"] = planID
	plan["identifier"] = []any{map[string]any{"system": dataIdentifierSystem, "value": planID}}
	plan["status"] = status
	plan["intent"] = "plan"
	plan["medicationReference"] = medRef
	plan["subject"] = auth["subject"]
	plan["authoredOn"] = auth["authoredOn"]
	if r := responsible(auth); r != nil {
		plan["recorder"] = r
	}
	copyKeys(plan, auth, "note")
	if prior, ok := strings.CutPrefix(str(obj(auth["priorPrescription"])["reference"]), "MedicationRequest/"); ok && prior != "" {
		// The authorisation this one replaced, by its STU3 id.
		plan["priorPrescription"] = map[string]any{"reference": "MedicationRequest/auth-" + prior}
	}
	plan["dosageInstruction"] = []any{dosageSTU3(auth["dosageInstruction"])}
	dr := dispenseSTU3(auth)
	dr["validityPeriod"] = period
	plan["dispenseRequest"] = dr
	if repeat {
		plan["groupIdentifier"] = map[string]any{"value": planID}
	}
	ext := []any{prescriptionTypeExt(ptype)}
	if repeat {
		ext = append(ext, repeatInformation(auth))
	}
	if status == "stopped" {
		reason := str(obj(auth["statusReason"])["text"])
		if reason == "" {
			reason = noInformation
		}
		sr := []any{map[string]any{"url": "statusReason", "valueCodeableConcept": map[string]any{"text": reason}}}
		if stopped != "" {
			sr = append([]any{map[string]any{"url": "statusChangeDate", "valueDateTime": stopped}}, sr...)
		}
		ext = append(ext, map[string]any{"url": medStatusReasonURL, "extension": sr})
	}
	plan["extension"] = ext

	stmt := base(auth, "MedicationStatement", profileMedStatement)
	stmt["id"] = "stmt-" + id
	stmt["identifier"] = []any{map[string]any{"system": dataIdentifierSystem, "value": "stmt-" + id}}
	stmt["basedOn"] = []any{map[string]any{"reference": "MedicationRequest/" + planID}}
	stmt["status"] = status
	stmt["medicationReference"] = medRef
	stmt["effectivePeriod"] = period
	stmt["dateAsserted"] = auth["authoredOn"]
	stmt["subject"] = auth["subject"]
	stmt["taken"] = "unk"
	stmt["dosage"] = []any{dosageSTU3(auth["dosageInstruction"])}
	if notes := statementNotes(auth, issues); len(notes) > 0 {
		stmt["note"] = notes
	}
	sext := []any{}
	if last := lastIssue(auth, orders); last != "" {
		sext = append(sext, map[string]any{"url": lastIssueDateURL, "valueDateTime": last})
	}
	if changed := clinical.DoseChangedOf(auth); changed != "" {
		sext = append(sext, map[string]any{"url": dosageLastChangedURL, "valueDateTime": changed})
	}
	stmt["extension"] = append(sext, map[string]any{"url": prescribingAgencyURL, "valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
		"system": prescribingAgencyCode, "code": "prescribed-at-gp-practice", "display": "Prescribed at GP practice"}}}})
	return MedicationCourse{Statement: stmt, Plan: plan, Medication: med, Orders: orders}
}

// orderSTU3 maps one issue: its own status (active until its supply ends,
// then completed; cancelled is stopped), basedOn the plan, its issue date
// to the end of its supply as the validity period.
func orderSTU3(is fhir.Resource, planID string, medRef map[string]any, ptype string, repeat bool, today string) fhir.Resource {
	o := base(is, "MedicationRequest", profileMedRequest)
	o["id"] = "issue-" + is.ID()
	o["identifier"] = []any{map[string]any{"system": dataIdentifierSystem, "value": "issue-" + is.ID()}}
	o["basedOn"] = []any{map[string]any{"reference": "MedicationRequest/" + planID}}
	if repeat {
		o["groupIdentifier"] = map[string]any{"value": planID}
	}
	o["intent"] = "order"
	o["medicationReference"] = medRef
	o["subject"] = is["subject"]
	o["authoredOn"] = is["authoredOn"]
	if r := responsible(is); r != nil {
		o["recorder"] = r
	}
	copyKeys(o, is, "note")
	o["dosageInstruction"] = []any{dosageSTU3(is["dosageInstruction"])}
	dr := dispenseSTU3(is)
	start := day(str(is["authoredOn"]))
	end := supplyEnd(is, start)
	dr["validityPeriod"] = map[string]any{"start": start, "end": end}
	o["dispenseRequest"] = dr
	switch str(is["status"]) {
	case "cancelled", "stopped":
		o["status"] = "stopped"
	default:
		if str(is["status"]) == "active" && end >= today {
			o["status"] = "active"
		} else {
			o["status"] = "completed"
		}
	}
	o["extension"] = []any{prescriptionTypeExt(ptype)}
	return o
}

// supplyEnd is the last day of an issue's supply: its start plus the days
// supplied, else the prescription's recorded end, else its start.
func supplyEnd(is fhir.Resource, start string) string {
	dr := obj(is["dispenseRequest"])
	if days := number(obj(dr["expectedSupplyDuration"])["value"]); days > 0 && start != "" {
		if t, err := time.Parse("2006-01-02", start); err == nil {
			return t.AddDate(0, 0, days-1).Format("2006-01-02")
		}
	}
	if e := day(str(obj(dr["validityPeriod"])["end"])); e != "" {
		return e
	}
	return start
}

// prescriptionType is the GP Connect prescription type of an R4
// authorisation: its course of therapy, delayed when marked so.
func prescriptionType(auth fhir.Resource) string {
	switch {
	case clinical.IsRepeatDispensing(auth):
		return "repeat-dispensing"
	case firstCode(auth["courseOfTherapyType"]) == "continuous":
		return "repeat"
	case clinical.IsDelayed(auth):
		return "delayed-prescribing"
	}
	return "acute"
}

var prescriptionTypeDisplay = map[string]string{"acute": "Acute", "repeat": "Repeat",
	"repeat-dispensing": "Repeat dispensing", "delayed-prescribing": "Delayed prescribing"}

func prescriptionTypeExt(ptype string) map[string]any {
	return map[string]any{"url": prescriptionTypeURL, "valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
		"system": prescriptionTypeCodes, "code": ptype, "display": prescriptionTypeDisplay[ptype]}}}}
}

// repeatInformation: issues allowed (only when defined), issues made and
// the authorisation's expiry (gpcloud's review date). The profile types
// the issued count positiveInt while the page says it MUST be zero before
// the first issue: zero is sent as unsignedInt, which can hold it.
func repeatInformation(auth fhir.Resource) map[string]any {
	s := clinical.RepeatStateOf(auth, time.Time{})
	var parts []any
	if s.Authorised > 0 {
		parts = append(parts, map[string]any{"url": "numberOfRepeatPrescriptionsAllowed", "valuePositiveInt": s.Authorised})
	}
	if s.Issued > 0 {
		parts = append(parts, map[string]any{"url": "numberOfRepeatPrescriptionsIssued", "valuePositiveInt": s.Issued})
	} else {
		parts = append(parts, map[string]any{"url": "numberOfRepeatPrescriptionsIssued", "valueUnsignedInt": 0})
	}
	if s.Review != "" {
		parts = append(parts, map[string]any{"url": "authorisationExpiryDate", "valueDateTime": s.Review})
	}
	return map[string]any{"url": repeatInformationURL, "extension": parts}
}

// planStatus: GP Connect has active, completed and stopped only.
func planStatus(r4 string) string {
	switch r4 {
	case "active", "on-hold":
		return "active"
	case "stopped", "cancelled":
		return "stopped"
	}
	return "completed"
}

// responsible is the practitioner who authorised or issued: the one the
// prescription was made on behalf of when it was, else the requester.
func responsible(r fhir.Resource) any {
	if v := extValue(r, clinical.ResponsibleURL, "valueReference"); v != nil {
		return map[string]any{"reference": str(obj(v)["reference"])}
	}
	if req := obj(r["requester"]); req != nil {
		return map[string]any{"reference": str(req["reference"])}
	}
	return nil
}

// dosageSTU3 is the one Dosage GP Connect allows, its text mandatory.
func dosageSTU3(v any) map[string]any {
	ds := dosagesSTU3(v)
	d := map[string]any{}
	if len(ds) > 0 {
		d = obj(ds[0])
	}
	if str(d["text"]) == "" {
		d["text"] = noInformation
	}
	return d
}

// dispenseSTU3 keeps quantity (its unit as the quantity-text extension)
// and expected supply; numberOfRepeatsAllowed is not in GP Connect's
// element list (the repeat information extension carries it).
func dispenseSTU3(r fhir.Resource) map[string]any {
	dr := obj(r["dispenseRequest"])
	out := map[string]any{}
	if q := obj(dr["quantity"]); q != nil {
		nq := map[string]any{"value": q["value"]}
		if u := str(q["unit"]); u != "" {
			nq["unit"] = u
			nq["extension"] = []any{map[string]any{"url": quantityTextURL, "valueString": u}}
		}
		out["quantity"] = nq
	}
	if d, ok := dr["expectedSupplyDuration"]; ok {
		out["expectedSupplyDuration"] = d
	}
	return out
}

// statementNotes gathers the notes of the authorisation and each issue,
// labelled with their level, as the MedicationStatement must.
func statementNotes(auth fhir.Resource, issues []fhir.Resource) []any {
	var out []any
	add := func(level string, r fhir.Resource) {
		for _, n := range list(r["note"]) {
			if t := str(obj(n)["text"]); t != "" {
				out = append(out, map[string]any{"text": "Prescriber Notes: " + level + ": " + t})
			}
		}
	}
	add("Authorisation", auth)
	for i, is := range issues {
		add("Issue "+strconv.Itoa(i+1), is)
	}
	return out
}

// lastIssue is the date of the last issue: the latest order's, else the
// one the authorisation records.
func lastIssue(auth fhir.Resource, orders []fhir.Resource) string {
	if len(orders) > 0 {
		return day(str(orders[len(orders)-1]["authoredOn"]))
	}
	if t, ok := clinical.LastIssueOf(auth); ok {
		return t.In(clinical.London).Format("2006-01-02")
	}
	return ""
}

// ActiveFrom reports whether a course was active on or after from
// (YYYY-MM-DD): its effective period ends then or later, or has no end
// (a repeat without an end is on-going; an acute without one is active on
// its start only).
func (m MedicationCourse) ActiveFrom(from string) bool {
	if from == "" {
		return true
	}
	p := obj(m.Statement["effectivePeriod"])
	end := str(p["end"])
	if end == "" {
		if firstCode(extValue(m.Plan, prescriptionTypeURL, "valueCodeableConcept")) == "acute" {
			end = str(p["start"])
		} else {
			return true
		}
	}
	return end >= from
}

func day(s string) string { return s[:min(10, len(s))] }

// londonDay is the practice's date of an instant (the store's
// lastUpdated is UTC; near midnight in summer the dates differ).
func londonDay(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(clinical.London).Format("2006-01-02")
	}
	return day(s)
}

func number(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	if s, ok := v.(interface{ String() string }); ok {
		i, _ := strconv.Atoi(s.String())
		return i
	}
	return 0
}

// ElsewhereSTU3 maps a medicine the practice recorded as prescribed
// elsewhere (an R4 MedicationStatement: hospital, over the counter,
// another prescriber) as GP Connect has it: a MedicationStatement with
// prescribing agency "prescribed by another organisation", based on a plan
// with no orders (the practice issued none). The record keeps no
// prescription type for it, which the plan says ("No information
// available"); its source stays in the note.
func ElsewhereSTU3(st fhir.Resource) MedicationCourse {
	id := st.ID()
	planID, medRef := "auth-ms-"+id, map[string]any{"reference": "Medication/med-ms-" + id}
	med := fhir.Resource{"resourceType": "Medication", "id": "med-ms-" + id, "meta": map[string]any{"profile": []any{profileMedication}}}
	if cc, ok := st["medicationCodeableConcept"]; ok {
		med["code"] = cc
	}
	status := "active"
	if str(st["status"]) != "active" {
		status = "completed"
	}
	start := day(str(st["dateAsserted"]))
	if p := obj(st["effectivePeriod"]); str(p["start"]) != "" {
		start = day(str(p["start"]))
	}
	period := map[string]any{"start": start}
	if status != "active" {
		end := londonDay(str(st.Meta()["lastUpdated"])) // the date it was updated to ended
		if end == "" {
			end = start
		}
		period["end"] = end
	}
	dosage := dosageSTU3(st["dosage"])

	plan := base(st, "MedicationRequest", profileMedRequest)
	plan["id"] = planID
	plan["identifier"] = []any{map[string]any{"system": dataIdentifierSystem, "value": planID}}
	plan["status"] = status
	plan["intent"] = "plan"
	plan["medicationReference"] = medRef
	plan["subject"] = st["subject"]
	plan["authoredOn"] = st["dateAsserted"]
	if r := obj(st["informationSource"]); str(r["reference"]) != "" {
		plan["recorder"] = map[string]any{"reference": str(r["reference"])}
	}
	plan["dosageInstruction"] = []any{dosage}
	plan["dispenseRequest"] = map[string]any{"validityPeriod": period}
	plan["extension"] = []any{map[string]any{"url": prescriptionTypeURL, "valueCodeableConcept": map[string]any{"text": noInformation}}}

	stmt := base(st, "MedicationStatement", profileMedStatement)
	stmt["id"] = "stmt-ms-" + id
	stmt["identifier"] = []any{map[string]any{"system": dataIdentifierSystem, "value": "stmt-ms-" + id}}
	stmt["basedOn"] = []any{map[string]any{"reference": "MedicationRequest/" + planID}}
	stmt["status"] = status
	stmt["medicationReference"] = medRef
	stmt["effectivePeriod"] = period
	stmt["dateAsserted"] = st["dateAsserted"]
	stmt["subject"] = st["subject"]
	stmt["taken"] = "unk"
	stmt["dosage"] = []any{dosage}
	copyKeys(stmt, st, "note")
	stmt["extension"] = []any{map[string]any{"url": prescribingAgencyURL, "valueCodeableConcept": map[string]any{"coding": []any{map[string]any{
		"system": prescribingAgencyCode, "code": "prescribed-by-another-organisation", "display": "Prescribed by another organisation"}}}}}
	return MedicationCourse{Statement: stmt, Plan: plan, Medication: med}
}
