package ukcore

import (
	"sort"
	"strings"
	"sync"
)

// Profile is one UK Core StructureDefinition (a resource profile or an
// extension definition) as its differential states it: the constraints
// it adds to its base, which is R4 itself or another UK Core profile.
type Profile struct {
	URL     string
	Name    string // "UKCore-Patient"
	Version string
	// Type is the constrained type: "Patient", "Observation", "Extension".
	Type string
	// Base is the baseDefinition: an R4 type's canonical URL or another
	// UK Core profile's.
	Base string
	// Context lists where an extension may be used (type element): an
	// element path ("Patient", "Observation.component") or a type name.
	Context []string
	// Elements is the differential, in order.
	Elements []Element
}

// Element is one ElementDefinition of a differential. Unset values are
// zero: Min -1 and Max "" mean the base's cardinality stands.
type Element struct {
	// ID is the element id with slice names: "Observation.code.coding:loinc.system".
	ID        string
	Path      string
	SliceName string
	Min       int // -1: not constrained here
	Max       string
	Types     []TypeRef
	// Fixed and Pattern hold a fixed[x] or pattern[x] value as JSON, and
	// its type ("Uri", "CodeableConcept").
	FixedType, Fixed     string
	PatternType, Pattern string
	Binding              *Binding
	Slicing              *Slicing
	Constraints          []Constraint
	MustSupport          bool
}

// TypeRef is an allowed type with the profiles it must conform to.
type TypeRef struct {
	Code           string
	Profiles       []string
	TargetProfiles []string
}

// Binding links a coded element to a value set.
type Binding struct {
	Strength string // required, extensible, preferred, example
	ValueSet string // canonical URL without version
}

// Slicing says how the values of a repeating element are told apart.
type Slicing struct {
	Discriminators []Discriminator
	Rules          string // open, closed, openAtEnd
	Ordered        bool
}

// Discriminator is one (type, path) pair: value, pattern, type, exists.
type Discriminator struct{ Type, Path string }

// Constraint is a FHIRPath invariant.
type Constraint struct {
	Key, Severity, Human, Expression string
}

// Code is one member of a value set.
type Code struct{ System, Code string }

var (
	loadOnce sync.Once
	byURL    map[string]*Profile
)

func load() {
	byURL = make(map[string]*Profile, len(profileTable))
	for i := range profileTable {
		byURL[profileTable[i].URL] = &profileTable[i]
	}
}

// Lookup returns the UK Core profile or extension definition with the
// canonical URL (a |version suffix is ignored), or nil.
func Lookup(url string) *Profile {
	loadOnce.Do(load)
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	return byURL[url]
}

// Profiles returns the canonical URLs of the resource profiles (not the
// extensions) for a resource type, sorted; all of them when typ is "".
func Profiles(typ string) []string {
	loadOnce.Do(load)
	var out []string
	for _, p := range profileTable {
		if p.Type != "Extension" && (typ == "" || p.Type == typ) {
			out = append(out, p.URL)
		}
	}
	sort.Strings(out)
	return out
}

// ValueSetCodes returns the members of a UK Core value set and whether the
// set is known and could be enumerated from the release alone (those
// drawing on SNOMED CT or dm+d need the terminology service).
func ValueSetCodes(url string) ([]Code, bool) {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		url = url[:i]
	}
	codes, ok := valueSetTable[url]
	return codes, ok
}
