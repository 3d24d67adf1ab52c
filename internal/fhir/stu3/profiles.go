package stu3

// Profile is what a GP Connect / Care Connect profile changes of its STU3
// base type. Slices other than extensions are not kept: their own
// constraints (an identifier slice's system, a coding slice's binding) are
// not checked.
type Profile struct {
	URL  string
	Type string
	// Constraints by element path ("AllergyIntolerance.clinicalStatus",
	// "Patient.identifier.system": paths go through data types).
	Constraints map[string]*Constraint
	// Extensions by the path of the element that carries them
	// ("Patient", "Patient.identifier").
	Extensions map[string][]Slot
	// Slices by the path of the repeating element they slice.
	Slices map[string][]Slice
}

// Slice is a slice of a repeating element whose items are told apart by
// a fixed value of one child (Patient.identifier:nhsNumber: system
// https://fhir.nhs.uk/Id/nhs-number), with what it requires of the
// items' direct children (Constraint.Path: the child's name) and
// extensions.
type Slice struct {
	Name          string
	Discriminator string
	Value         string
	Min, Max      int
	Children      []Constraint
	Extensions    []Slot
}

// Constraint is a profile's version of one element.
type Constraint struct {
	Path     string
	Min, Max int // Max -1 for *
	// Types, when the profile narrows them (a choice's types, a
	// reference's targets), else nil.
	Types []TypeRef
	// Fixed is a fixed primitive value ("" when none).
	Fixed string
	// ValueSet is a required binding the profile adds, when enumerable.
	ValueSet string
}

// Slot is an extension a profile names at a path, with its cardinality.
type Slot struct {
	URL      string
	Min, Max int
}

// Extension is an extension's definition: its value's types (none for a
// complex extension) and the extensions it holds.
type Extension struct {
	URL                string
	Value              []TypeRef
	ValueMin, ValueMax int
	// ValueSet is the value's required binding, when the tables hold its
	// codes.
	ValueSet string
	Children []Child
}

// Child is an extension within an extension: URL is its relative name
// ("registrationPeriod") or, for an extension defined on its own, its URL.
type Child struct {
	URL      string
	Min, Max int
	Value    []TypeRef
	ValueSet string
}

type profileRow struct {
	url, typ    string
	constraints []constraintRow
	slots       []slotRow
	slices      []sliceRow
}

type sliceRow struct {
	path, name, disc, value string
	min, max                int
	children                []constraintRow
	slots                   []slotRow
}

type constraintRow struct {
	path         string
	min, max     int
	types, fixed string
	valueSet     string
}

type slotRow struct {
	path, url string
	min, max  int
}

type extensionRow struct {
	url                string
	valueTypes         string
	valueMin, valueMax int
	valueSet           string
	children           []childRow
}

type childRow struct {
	url        string
	min, max   int
	valueTypes string
	valueSet   string
}

var (
	profiles   map[string]*Profile
	extensions map[string]*Extension
)

func buildProfiles() {
	profiles = make(map[string]*Profile, len(profileTable))
	for _, r := range profileTable {
		p := &Profile{URL: r.url, Type: r.typ, Constraints: map[string]*Constraint{}, Extensions: map[string][]Slot{}, Slices: map[string][]Slice{}}
		for _, sr := range r.slices {
			sl := Slice{Name: sr.name, Discriminator: sr.disc, Value: sr.value, Min: sr.min, Max: sr.max}
			for _, c := range sr.children {
				sl.Children = append(sl.Children, Constraint{Path: c.path, Min: c.min, Max: c.max, Fixed: c.fixed})
			}
			for _, s := range sr.slots {
				sl.Extensions = append(sl.Extensions, Slot{URL: s.url, Min: s.min, Max: s.max})
			}
			p.Slices[sr.path] = append(p.Slices[sr.path], sl)
		}
		for _, c := range r.constraints {
			p.Constraints[c.path] = &Constraint{Path: c.path, Min: c.min, Max: c.max, Types: ParseTypes(c.types), Fixed: c.fixed, ValueSet: c.valueSet}
		}
		for _, s := range r.slots {
			p.Extensions[s.path] = append(p.Extensions[s.path], Slot{URL: s.url, Min: s.min, Max: s.max})
		}
		profiles[r.url] = p
	}
	extensions = make(map[string]*Extension, len(extensionTable))
	for _, r := range extensionTable {
		e := &Extension{URL: r.url, Value: ParseTypes(r.valueTypes), ValueMin: r.valueMin, ValueMax: r.valueMax, ValueSet: r.valueSet}
		for _, c := range r.children {
			e.Children = append(e.Children, Child{URL: c.url, Min: c.min, Max: c.max, Value: ParseTypes(c.valueTypes), ValueSet: c.valueSet})
		}
		extensions[r.url] = e
	}
}

// ProfileByURL returns a profile, nil when the tables hold none by that URL.
func ProfileByURL(url string) *Profile {
	once.Do(build)
	return profiles[url]
}

// ExtensionByURL returns an extension's definition, nil when unknown.
func ExtensionByURL(url string) *Extension {
	once.Do(build)
	return extensions[url]
}

// Profiles returns the URLs of the profiles the tables hold.
func Profiles() []string {
	once.Do(build)
	out := make([]string, 0, len(profiles))
	for u := range profiles {
		out = append(out, u)
	}
	return out
}
