package clinical

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// GP Connect slot availability management (GP Connect 1.6, "Slot
// availability management"): beyond offering a slot to GP Connect at all
// (slot-bookable-by gp-connect), a practice may release it only to some
// organisations (ODS codes) and/or organisation types
// (GPConnect-OrganisationType-1). A consumer says who it is in the slot
// search's searchFilter parameters and, when booking, with the booking
// organisation; the rule below decides both, so a consumer never books a
// slot it could not have found.
//
// The release is written on each Slot its session generates (as the
// other booking facts are, so a booking is judged by the Slot alone):
//
//	slot-gp-connect-release (complex; absent: every GP Connect consumer)
//	  organization      valueIdentifier  ods-organization-code|A81001 (repeated)
//	  organizationType  valueCoding      GPConnect-OrganisationType-1|urgent-care (repeated)
//
// and on the Schedule's session as the parts gpConnectOrganization and
// gpConnectOrganizationType (valueCode).
const (
	SlotGPConnectReleaseURL = "https://gpcloud.dev/fhir/StructureDefinition/slot-gp-connect-release"
	// ODSOrganizationSystem identifies an organisation by its ODS code.
	ODSOrganizationSystem = "https://fhir.nhs.uk/Id/ods-organization-code"
	// GPConnectOrganisationTypeSystem is GP Connect's organisation types.
	GPConnectOrganisationTypeSystem = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1"
)

// GPConnectOrganisationTypes are the codes of GPConnect-OrganisationType-1
// (nhsconnect/gpconnect-fhir, the pinned copy in internal/fhir/stu3): the
// list a practice restricts slots by, as the specification requires.
var GPConnectOrganisationTypes = []Concept{{"gp-practice", "GP Practice"}, {"urgent-care", "Urgent Care"}}

// IsGPConnectOrganisationType reports whether code is one of
// GPConnectOrganisationTypes.
func IsGPConnectOrganisationType(code string) bool {
	return slices.ContainsFunc(GPConnectOrganisationTypes, func(c Concept) bool { return c.Code == code })
}

// GPConnectRelease is who a slot is released to within GP Connect; empty
// lists mean no restriction of that kind.
type GPConnectRelease struct {
	Organisations []string // ODS codes, upper case
	Types         []string // GPConnectOrganisationTypes codes
}

// Restricted reports whether the release names anyone.
func (r GPConnectRelease) Restricted() bool { return len(r.Organisations) > 0 || len(r.Types) > 0 }

// GPConnectConsumer is what a consumer says about itself: its ODS code and
// organisation type, either possibly empty (not sent).
type GPConnectConsumer struct{ ODS, Type string }

// ReleasedTo is the specification's matching table. With nothing sent a
// consumer sees only unrestricted slots; with a type, slots with no
// organisation restriction whose type restriction is absent or matches;
// with an ODS code, slots with no type restriction whose organisation
// restriction is absent or lists it; with both, slots whose every
// restriction is absent or matches.
func (r GPConnectRelease) ReleasedTo(c GPConnectConsumer) bool {
	orgOK := len(r.Organisations) == 0 || c.ODS != "" && slices.Contains(r.Organisations, strings.ToUpper(c.ODS))
	typeOK := len(r.Types) == 0 || c.Type != "" && slices.Contains(r.Types, c.Type)
	return orgOK && typeOK
}

// CheckGPConnectRelease checks a release as a practice manager entered
// it, by field: organisation codes must look like ODS codes and types
// must be GP Connect's.
func CheckGPConnectRelease(r GPConnectRelease) map[string]string {
	errs := map[string]string{}
	for _, o := range r.Organisations {
		if !ValidODSCode(o) {
			errs["gpConnectOrganisations"] = fmt.Sprintf("%q is not an ODS code: enter codes of 3 to 10 letters and numbers, like A81001, separated by commas", o)
			break
		}
	}
	for _, t := range r.Types {
		if !IsGPConnectOrganisationType(t) {
			errs["gpConnectTypes"] = "Choose organisation types from the list"
		}
	}
	return errs
}

// ValidODSCode reports whether s has the shape of an ODS organisation
// code (3 to 10 letters and digits: practices A81001, trusts RYA, sites
// RYA01, others like 5L1). Whether the code exists is for ODS to say.
func ValidODSCode(s string) bool {
	if len(s) < 3 || len(s) > 10 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ParseODSCodes reads the codes a practice manager typed, separated by
// commas, spaces or new lines, in upper case and without repeats.
func ParseODSCodes(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if f = strings.ToUpper(f); !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// ParseSearchFilters reads a slot search's searchFilter values
// (system|code). The ODS code and organisation type systems are read and
// checked (a bad value is an error: the caller answers
// INVALID_PARAMETER); a value of another system is ignored, as the
// specification requires of filters a provider does not support. Each
// known system may be sent once.
func ParseSearchFilters(values []string) (GPConnectConsumer, error) {
	var c GPConnectConsumer
	for _, v := range values {
		sys, code, ok := strings.Cut(v, "|")
		if !ok || sys == "" || code == "" {
			return GPConnectConsumer{}, fmt.Errorf("searchFilter %q must be system|code", v)
		}
		switch sys {
		case ODSOrganizationSystem:
			if c.ODS != "" {
				return GPConnectConsumer{}, fmt.Errorf("searchFilter gives more than one ODS code")
			}
			if !ValidODSCode(code) {
				return GPConnectConsumer{}, fmt.Errorf("searchFilter %q: %q is not an ODS code", v, code)
			}
			c.ODS = strings.ToUpper(code)
		case GPConnectOrganisationTypeSystem:
			if c.Type != "" {
				return GPConnectConsumer{}, fmt.Errorf("searchFilter gives more than one organisation type")
			}
			if !IsGPConnectOrganisationType(code) {
				return GPConnectConsumer{}, fmt.Errorf("searchFilter %q: %q is not a code of %s", v, code, GPConnectOrganisationTypeSystem)
			}
			c.Type = code
		}
	}
	return c, nil
}

// GPConnectReleaseOf reads a Slot's release (none: every consumer).
func GPConnectReleaseOf(slot fhir.Resource) GPConnectRelease {
	var r GPConnectRelease
	exts, _ := slot["extension"].([]any)
	for _, e := range exts {
		m, _ := e.(map[string]any)
		if text(m["url"]) != SlotGPConnectReleaseURL {
			continue
		}
		parts, _ := m["extension"].([]any)
		for _, p := range parts {
			pm, _ := p.(map[string]any)
			switch text(pm["url"]) {
			case "organization":
				id, _ := pm["valueIdentifier"].(map[string]any)
				if v := text(id["value"]); v != "" {
					r.Organisations = append(r.Organisations, strings.ToUpper(v))
				}
			case "organizationType":
				c, _ := pm["valueCoding"].(map[string]any)
				if v := text(c["code"]); v != "" {
					r.Types = append(r.Types, v)
				}
			}
		}
	}
	return r
}

// gpConnectReleaseExtension is the Slot extension for r (nil when r
// restricts nothing).
func gpConnectReleaseExtension(r GPConnectRelease) map[string]any {
	if !r.Restricted() {
		return nil
	}
	var parts []any
	for _, o := range r.Organisations {
		parts = append(parts, map[string]any{"url": "organization", "valueIdentifier": map[string]any{"system": ODSOrganizationSystem, "value": o}})
	}
	for _, t := range r.Types {
		coding := map[string]any{"system": GPConnectOrganisationTypeSystem, "code": t}
		for _, c := range GPConnectOrganisationTypes {
			if c.Code == t {
				coding["display"] = c.Display
			}
		}
		parts = append(parts, map[string]any{"url": "organizationType", "valueCoding": coding})
	}
	return map[string]any{"url": SlotGPConnectReleaseURL, "extension": parts}
}

// SlotReleaseChanged reports whether a free Slot's GP Connect release
// differs from the one its session now gives (planned), so generating
// again brings it in line.
func SlotReleaseChanged(slot, planned fhir.Resource) bool {
	a, b := GPConnectReleaseOf(slot), GPConnectReleaseOf(planned)
	return !slices.Equal(a.Organisations, b.Organisations) || !slices.Equal(a.Types, b.Types)
}

// CheckReleasedTo is the booking half of the rule: a GP Connect consumer
// may book a slot only if it is released to it (422 otherwise, which GP
// Connect answers as INVALID_RESOURCE, the specification's error for a
// breached slot availability rule).
func CheckReleasedTo(slot fhir.Resource, c GPConnectConsumer) error {
	if GPConnectReleaseOf(slot).ReleasedTo(c) {
		return nil
	}
	var who []string
	if c.ODS != "" {
		who = append(who, "ODS code "+c.ODS)
	}
	if c.Type != "" {
		who = append(who, "organisation type "+c.Type)
	} else {
		who = append(who, "no organisation type")
	}
	return refuse("the slot is not released to this organisation (%s)", strings.Join(who, ", "))
}
