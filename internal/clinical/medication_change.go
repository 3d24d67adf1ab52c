package clinical

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Changing the dose of a current repeat (issue #17). The authorisation is
// written again as a new version of the same resource (the store keeps
// every version), so its issues, made with the old dose, keep it and the
// next issue (IssueOf copies the authorisation's dosage) carries the new
// one. The new version says when the dose last changed and, in a note,
// who changed it from what to what and why.

// DoseChangedURL records on an authorisation when its dose last changed
// (a dateTime). R4 has no element for it on a MedicationRequest; GP
// Connect reads it as the MedicationStatement's
// Extension-CareConnect-MedicationDosageLastChanged-1.
const DoseChangedURL = "https://gpcloud.dev/fhir/StructureDefinition/dosage-last-changed"

// DoseChange is what a prescriber enters to change a dose.
type DoseChange struct {
	Dose, Reason string
}

// Check returns the change's errors by field: the new dose by the rules
// of prescribing (CheckDose) for the authorisation's medicine m, not the
// dose it has now, and a reason. auth must be an active repeat: an
// acute is issued when it is prescribed, so a new dose is a new acute.
func (c DoseChange) Check(auth fhir.Resource, m Medicine) map[string]string {
	errs := map[string]string{}
	if !ChangeableDose(auth) {
		errs["dose"] = MedicineName(auth) + " is not a current repeat: its dose cannot be changed"
		return errs
	}
	if msg := CheckDose(m, c.Dose); msg != "" {
		errs["dose"] = msg
	} else if strings.EqualFold(strings.Join(strings.Fields(c.Dose), " "), strings.Join(strings.Fields(dosageText(auth)), " ")) {
		errs["dose"] = "The new dose is the same as the current dose"
	}
	switch r := strings.TrimSpace(c.Reason); {
	case r == "":
		errs["reason"] = "Enter why the dose is changed"
	case len(r) > 500:
		errs["reason"] = "The reason must be 500 characters or fewer"
	}
	return errs
}

// ChangeableDose reports an authorisation whose dose may be changed: an
// active repeat (not an issue, not a prescription prepared).
func ChangeableDose(auth fhir.Resource) bool {
	return str(auth, "status") == "active" && str(auth, "intent") == "plan" &&
		conceptCode(auth["courseOfTherapyType"]) == "continuous" && len(list(auth, "basedOn")) == 0
}

// Apply returns a copy of an authorisation with the new dose (text
// and the structure ParseDose understands), when it changed, and a note
// of who changed it from what to what and why. Everything else (issues
// made and left, the review date, the last issue) is kept.
func (c DoseChange) Apply(auth fhir.Resource, by Ref, now time.Time) fhir.Resource {
	out := cloneResource(auth)
	unit := str(mapOf(mapOf(auth["dispenseRequest"])["quantity"]), "unit")
	newDose := strings.TrimSpace(c.Dose)
	out["dosageInstruction"] = []any{dosage(newDose, unit)}
	var ext []any
	for _, e := range list(auth, "extension") {
		if e["url"] != DoseChangedURL {
			ext = append(ext, e)
		}
	}
	out["extension"] = append(ext, map[string]any{"url": DoseChangedURL, "valueDateTime": now.In(London).Format(time.RFC3339)})
	note := map[string]any{"text": DoseChangeText(dosageText(auth), newDose, c.Reason), "time": fhir.FormatInstant(now)}
	if r := refMap(by); len(r) > 0 {
		note["authorReference"] = r
	}
	out["note"] = append(anyList(out["note"]), note)
	return out
}

// DoseChangeText is what the note and the Provenance say of a change.
func DoseChangeText(from, to, reason string) string {
	return fmt.Sprintf("Dose changed from %q to %q: %s", strings.TrimSpace(from), strings.TrimSpace(to), strings.TrimSpace(reason))
}

// DoseChangedOf is when the authorisation's dose last changed (RFC 3339),
// "" when it never has.
func DoseChangedOf(auth map[string]any) string {
	for _, e := range list(auth, "extension") {
		if e["url"] == DoseChangedURL {
			return str(e, "valueDateTime")
		}
	}
	return ""
}

// DoseHistoryRow is one dose an authorisation had, from its versions.
type DoseHistoryRow struct {
	Dose, From, By, Note string
}

// DoseHistory lists the doses of an authorisation's versions (in any
// order: they are sorted oldest first by meta.versionId), one row each
// time the dose changed, with the note the change wrote.
func DoseHistory(versions []fhir.Resource) []DoseHistoryRow {
	sorted := slices.Clone(versions)
	slices.SortStableFunc(sorted, func(a, b fhir.Resource) int { return versionNumber(a) - versionNumber(b) })
	var out []DoseHistoryRow
	last := ""
	for _, v := range sorted {
		d := dosageText(v)
		if d == last {
			continue
		}
		last = d
		row := DoseHistoryRow{Dose: d, From: day(str(v, "authoredOn")), By: refDisplay(v["requester"])}
		if changed := DoseChangedOf(v); changed != "" && len(out) > 0 {
			row.From, row.By = day(changed), ""
			if notes := list(v, "note"); len(notes) > 0 {
				row.Note, row.By = str(notes[len(notes)-1], "text"), refDisplay(notes[len(notes)-1]["authorReference"])
			}
		}
		out = append(out, row)
	}
	return out
}

// versionNumber is a resource's meta.versionId as a number (0 unknown).
func versionNumber(r fhir.Resource) int {
	n, _ := strconv.Atoi(versionOf(r))
	return n
}

// DoseChangeWarnings are the safety warnings the new dose raises: the
// checks of the dose alone (the daily maximum, the quantity for the
// duration, a controlled drug's supply), run as when prescribing with
// in.Medicine the authorisation's medicine. The other checks (allergy,
// duplicates, interactions) do not depend on the dose and were answered
// when it was authorised.
func DoseChangeWarnings(in SafetyInput, auth fhir.Resource, newDose string) []Warning {
	in.Dose = newDose
	if dr := mapOf(auth["dispenseRequest"]); dr != nil {
		in.Quantity = intOf(mapOf(dr["quantity"])["value"])
		in.Days = intOf(mapOf(dr["expectedSupplyDuration"])["value"])
	}
	var out []Warning
	for _, w := range SafetyChecks(in, nil) {
		if w.Kind == "dose" {
			out = append(out, w)
		}
	}
	return out
}
