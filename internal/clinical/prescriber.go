package clinical

import (
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Prescriber types (E00093, E00094, E00095): who may prescribe what. A
// member of staff's type is recorded on their PractitionerRole by the
// practice admin; every authorisation and issue records the type (EPS's
// prescription type) and the prescriber's professional code, and a
// prescription made on behalf of another prescriber names them (EPS's
// responsible practitioner). A clinician who is not a prescriber may
// prepare a prescription for a prescriber to authorise, never authorise.

// Systems of the prescriber's type.
const (
	PrescriberTypeSystem = "https://gpcloud.dev/fhir/CodeSystem/prescriber-type"
	PrescriptionTypeURL  = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-PrescriptionType"
	prescriptionTypeSys  = "https://fhir.nhs.uk/CodeSystem/prescription-type"
	ResponsibleURL       = "https://fhir.nhs.uk/StructureDefinition/Extension-DM-ResponsiblePractitioner"
	HCPCSystem           = "https://fhir.hl7.org.uk/Id/hcpc-number"
)

// PrescriberType is one kind of prescriber.
type PrescriberType struct {
	Key, Label string
	// EPS is the EPS prescription-type code (primary care) the type
	// prescribes under. Clinical content to check against the EPS
	// specification (H-814).
	EPS string
	// Registers are the registers a prescriber of the type is on.
	Registers []string
	// Supplementary: prescribes only within a clinical management plan
	// agreed with an independent prescriber, who is named on each
	// prescription (on behalf of).
	Supplementary bool
	// Formulary: only products on the Nurse Prescribers' Formulary
	// (dm+d's NPF flag), no controlled drugs.
	Formulary bool
	// CDs are the controlled drugs (by the start of the product's name)
	// the type may prescribe; nil: any of Schedules 2 to 5. Clinical
	// content (H-814): paramedics and physiotherapists have short lists
	// in the Misuse of Drugs Regulations.
	CDs []string
}

// PrescriberTypes are the types the practice admin chooses from.
var PrescriberTypes = []PrescriberType{
	{Key: "doctor", Label: "Doctor (independent prescriber)", EPS: "0101", Registers: []string{"gmc"}},
	{Key: "registrar", Label: "GP registrar (doctor in training)", EPS: "0101", Registers: []string{"gmc"}},
	{Key: "nurse-independent", Label: "Nurse independent prescriber", EPS: "0104", Registers: []string{"nmc"}},
	{Key: "nurse-community", Label: "Community practitioner nurse prescriber (Nurse Prescribers' Formulary only)", EPS: "0105", Registers: []string{"nmc"}, Formulary: true},
	{Key: "pharmacist", Label: "Pharmacist independent prescriber", EPS: "0108", Registers: []string{"gphc"}},
	{Key: "paramedic", Label: "Paramedic independent prescriber", EPS: "0125", Registers: []string{"hcpc"},
		CDs: []string{"morphine sulfate", "morphine", "diazepam", "midazolam", "lorazepam", "codeine phosphate"}},
	{Key: "physiotherapist", Label: "Physiotherapist independent prescriber", EPS: "0117", Registers: []string{"hcpc"},
		CDs: []string{"diazepam", "dihydrocodeine", "fentanyl", "lorazepam", "morphine", "oxycodone", "pregabalin", "gabapentin", "tramadol"}},
	{Key: "supplementary", Label: "Supplementary prescriber (within a clinical management plan)", EPS: "0104", Registers: []string{"nmc", "gphc", "hcpc"}, Supplementary: true},
}

// PrescriberTypeChoices are the types as a form's choices.
func PrescriberTypeChoices() []Choice {
	out := make([]Choice, len(PrescriberTypes))
	for i, t := range PrescriberTypes {
		out[i] = Choice{Key: t.Key, Label: t.Label}
	}
	return out
}

// PrescriberTypeOf finds a type by key.
func PrescriberTypeOf(key string) (PrescriberType, bool) {
	for _, t := range PrescriberTypes {
		if t.Key == key {
			return t, true
		}
	}
	return PrescriberType{}, false
}

// DefaultPrescriberType is the type of a prescriber recorded before types
// were (the prescriber flag alone): a doctor on the GMC register, a nurse
// independent prescriber on the NMC's, a pharmacist on the GPhC's.
func DefaultPrescriberType(register string) string {
	switch register {
	case "nmc":
		return "nurse-independent"
	case "gphc":
		return "pharmacist"
	case "hcpc":
		return "paramedic"
	}
	return "doctor"
}

// checkPrescriberType is the staff form's rule: a known type whose
// register is the member's.
func checkPrescriberType(key, register string) string {
	t, ok := PrescriberTypeOf(key)
	switch {
	case !ok:
		return "Choose what kind of prescriber they are"
	case !slices.Contains(t.Registers, register):
		regs := make([]string, len(t.Registers))
		for i, r := range t.Registers {
			regs[i] = strings.ToUpper(r)
		}
		return "A " + lower(t.Label) + " must be on the " + strings.Join(regs, " or ") + " register: check the register or the kind of prescriber"
	}
	return ""
}

// Prescriber is who prescribes: their PractitionerRole (Ref), type and
// professional code (register system and number).
type Prescriber struct {
	Ref
	Type PrescriberType
	// CodeSystem and Code are their registration (GMC, NMC, GPhC, HCPC).
	CodeSystem, Code string
}

// MayPrescribe is why the prescriber may not prescribe m, or "": a
// community practitioner nurse prescriber only the Nurse Prescribers'
// Formulary (dm+d's flag: unknown for a product outside the release, so
// refused) and no controlled drugs; paramedics and physiotherapists only
// their controlled drugs. A supplementary prescriber must prescribe on
// behalf of the independent prescriber of the clinical management plan
// (onBehalf), and confirm the prescription is within it (cmp).
func (p Prescriber) MayPrescribe(m Medicine, onBehalf string, cmp bool) map[string]string {
	errs := map[string]string{}
	t := p.Type
	switch {
	case t.Formulary && !m.NurseFormulary:
		errs["medicine"] = m.Name + " is not on the Nurse Prescribers' Formulary: a community practitioner nurse prescriber cannot prescribe it"
	case t.Formulary && m.Schedule >= 2:
		errs["medicine"] = "A community practitioner nurse prescriber cannot prescribe a controlled drug"
	case m.Schedule >= 2 && t.CDs != nil && !slices.ContainsFunc(t.CDs, func(c string) bool { return strings.HasPrefix(lower(m.Name), c) }):
		errs["medicine"] = "A " + lower(t.Label) + " cannot prescribe " + m.Name + ": it is not one of the controlled drugs their profession may prescribe"
	case m.Schedule == 1:
		errs["medicine"] = m.Name + " is a Schedule 1 controlled drug: it needs a Home Office licence and cannot be prescribed here"
	}
	if t.Supplementary {
		if onBehalf == "" {
			errs["on-behalf"] = "A supplementary prescriber prescribes on behalf of the independent prescriber of the clinical management plan: choose them"
		}
		if !cmp {
			errs["cmp"] = "Confirm the prescription is within the patient's clinical management plan"
		}
	}
	return errs
}

// prescriberExtensions are the EPS extensions an authorisation and its
// issues carry: the prescription type, and the responsible practitioner
// when prescribed on behalf of another.
func prescriberExtensions(p Prescriber, onBehalf Ref) []any {
	var out []any
	if p.Type.EPS != "" {
		out = append(out, map[string]any{"url": PrescriptionTypeURL, "valueCoding": map[string]any{"system": prescriptionTypeSys, "code": p.Type.EPS,
			"display": "Primary Care Prescriber - " + p.Type.Label}})
	}
	if onBehalf.Reference != "" {
		out = append(out, map[string]any{"url": ResponsibleURL, "valueReference": refMap(onBehalf)})
	}
	return out
}

// requesterOf is the prescriber as a MedicationRequest's requester: their
// PractitionerRole, with their professional code as its identifier.
func requesterOf(p Prescriber) map[string]any {
	out := refMap(p.Ref)
	if p.Code != "" {
		out["identifier"] = map[string]any{"system": p.CodeSystem, "value": p.Code}
	}
	return out
}

// WithPrescriberType returns a copy of a PractitionerRole whose
// prescribing is key ("" for none): the capability "prescriber" and the
// type, its role kept.
func WithPrescriberType(role fhir.Resource, key string) fhir.Resource {
	out := WithPrescriber(role, key != "")
	if key == "" {
		return out
	}
	t, _ := PrescriberTypeOf(key)
	codes := list(out, "code")
	var kept []any
	for _, c := range codes {
		kept = append(kept, c)
	}
	// The capability's concept carries the type as a second coding.
	last := kept[len(kept)-1].(map[string]any)
	last["coding"] = append(anyList(last["coding"]), map[string]any{"system": PrescriberTypeSystem, "code": t.Key, "display": t.Label})
	out["code"] = kept
	return out
}

// PrescriberTypeOfRole reads a PractitionerRole's prescriber type key, ""
// when they do not prescribe; a prescriber recorded without a type is of
// their register's default type.
func PrescriberTypeOfRole(role fhir.Resource, register string) string {
	if !IsPrescriber(role) {
		return ""
	}
	for _, c := range list(role, "code") {
		for _, cd := range anyList(c["coding"]) {
			if m, _ := cd.(map[string]any); m["system"] == PrescriberTypeSystem {
				if k, _ := m["code"].(string); k != "" {
					return k
				}
			}
		}
	}
	return DefaultPrescriberType(register)
}
