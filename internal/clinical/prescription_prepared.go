package clinical

import (
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// A clinician who is not a prescriber may prepare a prescription for a
// prescriber to authorise, never authorise it (E00094): the prepared
// prescription is a MedicationRequest of intent "proposal", status
// "draft", naming who prepared it; a prescriber opens it in the
// prescribing form, where it is checked and the safety warnings shown as
// for any prescription, and authorising completes the proposal in the
// same transaction.

// preparedNote is what a prepared prescription says.
const preparedNote = "Prepared for a prescriber to check and authorise: not a prescription"

// Prepared is the MedicationRequest (intent proposal) of a checked
// prescription prepared by preparer.
func (p Prescription) Prepared(patientID string, preparer Ref, now time.Time) fhir.Resource {
	p.By, p.OnBehalf = Prescriber{}, Ref{}
	res := p.Authorisation(patientID, preparer, 0, nil, now)
	res["intent"], res["status"] = "proposal", "draft"
	res["note"] = append(anyList(res["note"]), map[string]any{"text": preparedNote + " (prepared by " + preparer.Display + ")"})
	return res
}

// IsPrepared reports a prepared prescription still waiting for a
// prescriber.
func IsPrepared(res fhir.Resource) bool {
	return str(res, "intent") == "proposal" && str(res, "status") == "draft"
}

// PrescriptionFromPrepared is a prepared prescription as the prescribing
// form's values: medicine (the caller resolves it from dm+d), dose,
// quantity, duration, course, issues and review date.
func PrescriptionFromPrepared(prop fhir.Resource) Prescription {
	p := Prescription{Dose: dosageText(prop), Course: "acute", Delayed: IsDelayed(prop)}
	p.Medicine, _ = medicineOf(prop, nil)
	if conceptCode(prop["courseOfTherapyType"]) == "continuous" {
		p.Course = "repeat"
		p.Review = RepeatStateOf(prop, time.Time{}).Review
	}
	if IsRepeatDispensing(prop) {
		p.Course = "repeat-dispensing"
	}
	if in, ok := InstalmentsOf(prop); ok {
		p.Course, p.Instalments = InstalmentCourse, in
	}
	if dr := mapOf(prop["dispenseRequest"]); dr != nil {
		if q := intOf(mapOf(dr["quantity"])["value"]); q > 0 {
			p.Quantity = strconv.Itoa(q)
		}
		if d := intOf(mapOf(dr["expectedSupplyDuration"])["value"]); d > 0 {
			p.Days = strconv.Itoa(d)
		}
		if n := intOf(dr["numberOfRepeatsAllowed"]); n > 0 {
			p.Issues = strconv.Itoa(n)
		}
	}
	return p
}

// PreparedAuthorised returns a copy of a prepared prescription completed
// by the authorisation made from it (authRef).
func PreparedAuthorised(prop fhir.Resource, prescriber Ref) fhir.Resource {
	out := cloneResource(prop)
	out["status"] = "completed"
	out["statusReason"] = map[string]any{"text": "Authorised by " + strings.TrimSpace(prescriber.Display)}
	return out
}

// PreparedRow is a prepared prescription on the Medication tab.
type PreparedRow struct {
	ID, Name, Dose, Quantity, Course, Date, PreparedBy string
}

// PreparedRows lists the patient's prepared prescriptions waiting for a
// prescriber.
func PreparedRows(meds []fhir.Resource) []PreparedRow {
	var out []PreparedRow
	for _, m := range meds {
		if !IsPrepared(m) {
			continue
		}
		r := PreparedRow{ID: m.ID(), Name: MedicineName(m), Dose: dosageText(m), Date: day(str(m, "authoredOn")), PreparedBy: refDisplay(m["requester"]), Course: "Acute"}
		if conceptCode(m["courseOfTherapyType"]) == "continuous" {
			r.Course = "Repeat"
		}
		if IsRepeatDispensing(m) {
			r.Course = "Repeat dispensing"
		}
		if IsInstalment(m) {
			r.Course = "Instalment dispensing"
		}
		if q := mapOf(mapOf(m["dispenseRequest"])["quantity"]); q != nil {
			r.Quantity = supplyText(intOf(q["value"]), str(q, "unit"))
		}
		out = append(out, r)
	}
	return out
}
