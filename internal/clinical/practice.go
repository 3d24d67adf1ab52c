package clinical

import (
	"regexp"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The practice's own directory as FHIR, for the practice admin's pages:
// its sites (Location), its staff (Practitioner and PractitionerRole)
// and its teams (Group). The forms' rules and the resources' shapes live
// here, so that the pages, the FHIR API and other clients agree.

// Identifier and code systems of the directory.
const (
	GMCSystem       = "https://fhir.hl7.org.uk/Id/gmc-number"
	NMCSystem       = "https://fhir.hl7.org.uk/Id/nmc-number"
	GPhCSystem      = "https://fhir.hl7.org.uk/Id/gphc-number"
	UserIDSystem    = "https://gpcloud.dev/fhir/sid/user-id"
	StaffRoleSystem = "https://gpcloud.dev/fhir/CodeSystem/staff-role"
	// CapabilitySystem codes what a member of staff may do beyond their
	// role: "prescriber" (UK Core has no code for it).
	CapabilitySystem = "https://gpcloud.dev/fhir/CodeSystem/staff-capability"
	SiteKindSystem   = "https://gpcloud.dev/fhir/CodeSystem/site-kind"
)

// Registers are the professional registers a member of staff may be on,
// with the shape of their numbers.
var Registers = []Register{
	{Key: "gmc", Label: "GMC (doctors)", System: GMCSystem, Pattern: regexp.MustCompile(`^[0-9]{7}$`), Example: "7 digits, for example 1234567"},
	{Key: "nmc", Label: "NMC (nurses)", System: NMCSystem, Pattern: regexp.MustCompile(`^[0-9]{2}[A-Z][0-9]{4}[A-Z]$`), Example: "2 digits, a letter, 4 digits and a letter, for example 12A3456E"},
	{Key: "gphc", Label: "GPhC (pharmacists)", System: GPhCSystem, Pattern: regexp.MustCompile(`^[0-9]{7}$`), Example: "7 digits, for example 2071234"},
	{Key: "hcpc", Label: "HCPC (paramedics, physiotherapists)", System: HCPCSystem, Pattern: regexp.MustCompile(`^(PA|PH)[0-9]{5,6}$`), Example: "PA or PH and 5 or 6 digits, for example PA12345"},
}

// Register is one professional register.
type Register struct {
	Key, Label, System, Example string
	Pattern                     *regexp.Regexp
}

// RegisterOf finds a register by key.
func RegisterOf(key string) (Register, bool) {
	for _, r := range Registers {
		if r.Key == key {
			return r, true
		}
	}
	return Register{}, false
}

// StaffMember is what the practice admin records of a member of staff
// besides their account.
type StaffMember struct {
	Name     string // full name, "Dr Amina Shah"
	Username string
	Role     string // a staff role: gp, nurse, receptionist, practice-admin
	RoleName string // as the page shows it
	// Register is a Registers key, "" for none; Number its number.
	Register, Number string
	Prescriber       bool
	// PrescriberType is a PrescriberTypes key (a prescriber's), "" for
	// the register's default.
	PrescriberType string
}

// Check returns the form's errors, keyed by field: register and number
// must come together, the number in the register's shape; a prescriber
// must be on a register (a doctor, nurse or pharmacist prescriber).
func (m *StaffMember) Check() map[string]string {
	errs := map[string]string{}
	m.Name = strings.Join(strings.Fields(m.Name), " ")
	m.Number = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(m.Number), " ", ""))
	if m.Name == "" {
		errs["name"] = "Enter their full name"
	}
	switch reg, ok := RegisterOf(m.Register); {
	case m.Register == "" && m.Number != "":
		errs["register"] = "Choose the register the number is on"
	case m.Register != "" && !ok:
		errs["register"] = "Choose a register from the list"
	case ok && m.Number == "":
		errs["number"] = "Enter their " + strings.ToUpper(reg.Key) + " number"
	case ok && !reg.Pattern.MatchString(m.Number):
		errs["number"] = "Enter a " + strings.ToUpper(reg.Key) + " number of " + reg.Example
	}
	switch {
	case m.Prescriber && m.Register == "":
		errs["prescriber"] = "A prescriber must be on a professional register: give their registration"
	case m.Prescriber:
		if m.PrescriberType == "" {
			m.PrescriberType = DefaultPrescriberType(m.Register)
		}
		if msg := checkPrescriberType(m.PrescriberType, m.Register); msg != "" {
			errs["prescriber-type"] = msg
		}
	default:
		m.PrescriberType = ""
	}
	return errs
}

// PractitionerOf is the member of staff as a Practitioner: their name,
// their registration and their gpcloud username as identifiers.
func PractitionerOf(m StaffMember) fhir.Resource {
	ids := []any{map[string]any{"system": UserIDSystem, "value": m.Username}}
	if reg, ok := RegisterOf(m.Register); ok && m.Number != "" {
		ids = append(ids, map[string]any{"system": reg.System, "value": m.Number})
	}
	return fhir.Resource{"resourceType": "Practitioner", "active": true, "identifier": ids,
		"name": []any{map[string]any{"text": m.Name}}}
}

// PractitionerRoleOf is the member of staff's role at the practice: the
// role, and "prescriber" when they prescribe.
func PractitionerRoleOf(m StaffMember, practitionerRef, practiceID string) fhir.Resource {
	code := []any{map[string]any{"coding": []any{map[string]any{"system": StaffRoleSystem, "code": m.Role, "display": m.RoleName}}, "text": m.RoleName}}
	res := fhir.Resource{"resourceType": "PractitionerRole", "active": true,
		"practitioner": map[string]any{"reference": practitionerRef, "display": m.Name},
		"organization": map[string]any{"reference": "Organization/" + practiceID},
		"code":         code}
	if m.Prescriber {
		t := m.PrescriberType
		if t == "" {
			t = DefaultPrescriberType(m.Register)
		}
		return WithPrescriberType(res, t)
	}
	return res
}

// WithRegistration returns a copy of a Practitioner with its professional
// registration replaced by m's (other identifiers kept).
func WithRegistration(p fhir.Resource, m StaffMember) fhir.Resource {
	out := fhir.Resource{}
	for k, v := range p {
		out[k] = v
	}
	var ids []any
	for _, id := range list(p, "identifier") {
		registered := false
		for _, reg := range Registers {
			registered = registered || id["system"] == reg.System
		}
		if !registered {
			ids = append(ids, id)
		}
	}
	if reg, ok := RegisterOf(m.Register); ok && m.Number != "" {
		ids = append(ids, map[string]any{"system": reg.System, "value": m.Number})
	}
	out["identifier"] = ids
	return out
}

// WithPrescriber returns a copy of a PractitionerRole with its prescriber
// code set or taken off (its role kept).
func WithPrescriber(role fhir.Resource, prescriber bool) fhir.Resource {
	out := fhir.Resource{}
	for k, v := range role {
		out[k] = v
	}
	var codes []any
	for _, c := range list(role, "code") {
		cap := false
		for _, cd := range anyList(c["coding"]) {
			if m, _ := cd.(map[string]any); m["system"] == CapabilitySystem {
				cap = true
			}
		}
		if !cap {
			codes = append(codes, c)
		}
	}
	if prescriber {
		codes = append(codes, map[string]any{"coding": []any{map[string]any{"system": CapabilitySystem, "code": "prescriber", "display": "Prescriber"}}, "text": "Prescriber"})
	}
	out["code"] = codes
	return out
}

// RegistrationOf reads a Practitioner's registration: register key and
// number ("", "" for none).
func RegistrationOf(p fhir.Resource) (string, string) {
	for _, id := range list(p, "identifier") {
		for _, reg := range Registers {
			if id["system"] == reg.System {
				v, _ := id["value"].(string)
				return reg.Key, v
			}
		}
	}
	return "", ""
}

// IsPrescriber reads a PractitionerRole's prescriber code.
func IsPrescriber(role fhir.Resource) bool {
	for _, c := range list(role, "code") {
		for _, cd := range anyList(c["coding"]) {
			if m, _ := cd.(map[string]any); m["system"] == CapabilitySystem && m["code"] == "prescriber" {
				return true
			}
		}
	}
	return false
}

// Site is one of the practice's surgeries.
type Site struct {
	ID       string
	Name     string
	Kind     string // main or branch
	Lines    string // the address's lines, one per line
	Town     string
	Postcode string
	Phone    string
	Active   bool
	// Version is the Location's, for an If-Match edit.
	Version string
}

// SiteKinds are the kinds of site, key and label.
var SiteKinds = []Choice{{Key: "main", Label: "Main surgery"}, {Key: "branch", Label: "Branch surgery"}}

// Check returns the form's errors, keyed by field.
func (s *Site) Check() map[string]string {
	errs := map[string]string{}
	s.Name = strings.Join(strings.Fields(s.Name), " ")
	s.Town = strings.TrimSpace(s.Town)
	s.Phone = strings.TrimSpace(s.Phone)
	if s.Name == "" {
		errs["name"] = "Enter the site's name"
	}
	if s.Kind != "main" && s.Kind != "branch" {
		errs["kind"] = "Choose whether it is the main surgery or a branch"
	}
	if strings.TrimSpace(s.Lines) == "" {
		errs["lines"] = "Enter the first line of the address"
	}
	pc := strings.ToUpper(strings.TrimSpace(s.Postcode))
	if m := postcodeRe.FindStringSubmatch(pc); m != nil {
		s.Postcode = m[1] + " " + m[2]
	} else {
		errs["postcode"] = "Enter a full UK postcode, like LS1 4AP"
	}
	if s.Phone != "" && !phoneRe.MatchString(s.Phone) {
		errs["phone"] = "Enter a phone number of digits and spaces, like 0113 496 0000"
	}
	return errs
}

// CheckAmong adds the rules that depend on the practice's other sites:
// one main surgery (a second is a branch), no two open sites of one name.
func (s *Site) CheckAmong(others []Site) map[string]string {
	errs := s.Check()
	for _, o := range others {
		if !o.Active || o.ID == s.ID {
			continue
		}
		if s.Kind == "main" && o.Kind == "main" && errs["kind"] == "" {
			errs["kind"] = "The practice already has a main surgery (" + o.Name + "): add this one as a branch"
		}
		if strings.EqualFold(o.Name, s.Name) && errs["name"] == "" {
			errs["name"] = "The practice already has a site called " + o.Name
		}
	}
	return errs
}

// WithStatus returns a copy of a site's Location opened ("active") or
// closed ("inactive").
func WithStatus(loc fhir.Resource, active bool) fhir.Resource {
	out := fhir.Resource{}
	for k, v := range loc {
		out[k] = v
	}
	out["status"] = "inactive"
	if active {
		out["status"] = "active"
	}
	return out
}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 ]{8,16}[0-9]$`)

// LocationOf is the site as a Location managed by the practice.
func LocationOf(s Site, practiceID string) fhir.Resource {
	var lines []any
	for _, l := range strings.Split(s.Lines, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	kind := "Main surgery"
	if s.Kind == "branch" {
		kind = "Branch surgery"
	}
	addr := map[string]any{"use": "work", "line": lines, "postalCode": s.Postcode}
	if s.Town != "" {
		addr["city"] = s.Town
	}
	res := fhir.Resource{"resourceType": "Location", "status": "active", "mode": "instance", "name": s.Name,
		"type":                 []any{map[string]any{"coding": []any{map[string]any{"system": SiteKindSystem, "code": s.Kind, "display": kind}}, "text": kind}},
		"physicalType":         map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bu", "display": "Building"}}},
		"address":              addr,
		"managingOrganization": map[string]any{"reference": "Organization/" + practiceID}}
	if s.Phone != "" {
		res["telecom"] = []any{map[string]any{"system": "phone", "value": s.Phone, "use": "work"}}
	}
	return res
}

// SiteOf reads a Location.
func SiteOf(res fhir.Resource) Site {
	s := Site{ID: res.ID(), Name: str(res, "name"), Active: str(res, "status") != "inactive", Version: versionOf(res)}
	for _, t := range list(res, "type") {
		for _, c := range anyList(t["coding"]) {
			if m, _ := c.(map[string]any); m["system"] == SiteKindSystem {
				s.Kind, _ = m["code"].(string)
			}
		}
	}
	if a, _ := res["address"].(map[string]any); a != nil {
		var lines []string
		for _, l := range anyList(a["line"]) {
			if v, ok := l.(string); ok {
				lines = append(lines, v)
			}
		}
		s.Lines = strings.Join(lines, ", ")
		s.Town, _ = a["city"].(string)
		s.Postcode, _ = a["postalCode"].(string)
	}
	for _, t := range list(res, "telecom") {
		if t["system"] == "phone" {
			s.Phone, _ = t["value"].(string)
		}
	}
	return s
}

// Team is a staff group: reception, the nurses, the duty doctors.
type Team struct {
	ID      string
	Name    string
	Members []Ref // Practitioner references
	// Version is the Group's, for an If-Match edit.
	Version string
}

// Check returns the form's errors.
func (t *Team) Check() map[string]string {
	errs := map[string]string{}
	t.Name = strings.Join(strings.Fields(t.Name), " ")
	if t.Name == "" {
		errs["name"] = "Enter the team's name"
	}
	return errs
}

// GroupOf is the team as a Group of practitioners managed by the
// practice.
func GroupOf(t Team, practiceID string) fhir.Resource {
	res := fhir.Resource{"resourceType": "Group", "type": "practitioner", "actual": true, "active": true, "name": t.Name,
		"managingEntity": map[string]any{"reference": "Organization/" + practiceID}}
	var members []any
	for _, m := range t.Members {
		members = append(members, map[string]any{"entity": refMap(m)})
	}
	if len(members) > 0 {
		res["member"] = members
	}
	return res
}

// WithMembers returns a copy of a team's Group with its members replaced.
func WithMembers(group fhir.Resource, members []Ref) fhir.Resource {
	out := fhir.Resource{}
	for k, v := range group {
		out[k] = v
	}
	delete(out, "member")
	var ms []any
	for _, m := range members {
		ms = append(ms, map[string]any{"entity": refMap(m)})
	}
	if len(ms) > 0 {
		out["member"] = ms
	}
	return out
}

// TeamOf reads a Group.
func TeamOf(res fhir.Resource) Team {
	t := Team{ID: res.ID(), Name: str(res, "name"), Version: versionOf(res)}
	for _, m := range list(res, "member") {
		if e, _ := m["entity"].(map[string]any); e != nil {
			ref, _ := e["reference"].(string)
			disp, _ := e["display"].(string)
			t.Members = append(t.Members, Ref{Reference: ref, Display: disp})
		}
	}
	return t
}
