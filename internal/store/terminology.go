package store

import (
	"context"
	"strings"
	"time"
	"unicode"
)

// Terminology is the storage of code systems (SNOMED CT, dm+d, the code
// systems FHIR ships) behind the store: concepts, their descriptions, their
// relationships (IS-A and attributes), historical associations and
// reference set membership. Both SQL adapters implement it; the
// terminology package asks for it with a type assertion, so that the
// resource Store interface stays narrow.
//
// Content comes in releases, one current per source ("snomed", "dmd",
// "fhir-r4"). A release is written under its own id while the previous one
// stays current, and becomes current in one transaction (Commit), so a
// search never sees half a release; the release it replaced is kept until
// the next load of that source (a search that began on it finishes on it).
type Terminology interface {
	// BeginRelease starts loading a release of source. Nothing written
	// through the ReleaseWriter is visible until Commit.
	BeginRelease(ctx context.Context, source, version string) (ReleaseWriter, error)
	// TermReleases returns the current release of each source, by source.
	TermReleases(ctx context.Context) ([]TermRelease, error)
	// TermConcept returns a concept of the current release of its system,
	// active or not, with its descriptions. ErrNotFound when unknown.
	TermConcept(ctx context.Context, system, code string) (TermConcept, []TermDescription, error)
	// TermRelationships returns the relationships whose source is code (its
	// IS-A parents and attributes), in type order.
	TermRelationships(ctx context.Context, system, code string) ([]TermRelationship, error)
	// TermAssociations returns the historical associations of an inactive
	// concept (SAME AS, REPLACED BY, POSSIBLY EQUIVALENT TO...).
	TermAssociations(ctx context.Context, system, code string) ([]TermAssociation, error)
	// TermSubsumes reports whether a subsumes b: a is b or one of b's IS-A
	// ancestors.
	TermSubsumes(ctx context.Context, system, a, b string) (bool, error)
	// TermDescendants returns the codes of code's IS-A descendants (and
	// code itself with self), at most limit (0: no limit).
	TermDescendants(ctx context.Context, system, code string, self bool, limit int) ([]string, error)
	// TermAncestors returns the codes of code's IS-A ancestors (and code
	// itself with self).
	TermAncestors(ctx context.Context, system, code string, self bool) ([]string, error)
	// TermRefsetMembers returns the referenced codes of a reference set, at
	// most limit (0: no limit).
	TermRefsetMembers(ctx context.Context, refset string, limit int) ([]string, error)
	// TermSearch finds descriptions whose words start with the words typed,
	// ranked as a clinician's typeahead expects (see TermQuery).
	TermSearch(ctx context.Context, q TermQuery) ([]TermMatch, error)
	// TermCodes lists the codes of a system in the current release, in code
	// order, at most limit (0: no limit), for the expansion of a whole
	// small code system.
	TermCodes(ctx context.Context, system string, limit int) ([]TermConcept, error)
}

// IsA is the relationship type of the hierarchy, in every system: SNOMED
// CT's 116680003 |Is a|. Loaders of other systems (dm+d: AMP is a VMP, VMP
// is a VTM) use it too, so that subsumption works the same way.
const IsA = "116680003"

// TermRelease is one loaded release of a source.
type TermRelease struct {
	ID      int64
	Source  string
	Version string
	Loaded  time.Time
	Systems []string
}

// Description types, in ranking order: the preferred term first.
const (
	DescPreferred = 0 // the preferred synonym in the release's language
	DescSynonym   = 1 // an acceptable synonym
	DescFSN       = 2 // the fully specified name
)

// TermConcept is one concept (a code of a system).
type TermConcept struct {
	System, Code string
	Active       bool
	Module       string
	Effective    string // YYYYMMDD
	// Kind names the concept's class where the system has several: dm+d's
	// VTM, VMP, AMP, VMPP, AMPP.
	Kind string
	// Display is the preferred term.
	Display string
	// Props holds the system's other fields as JSON (dm+d: form, route,
	// ingredients, controlled-drug category, prescribing status,
	// availability...).
	Props string
}

// TermDescription is one term of a concept.
type TermDescription struct {
	ID           string // SNOMED CT description id ("" where the system has none)
	System, Code string
	Term         string
	Type         int // DescPreferred, DescSynonym or DescFSN
	Lang         string
	Active       bool
}

// TermRelationship is a relationship from Source: Type = Destination.
type TermRelationship struct {
	System             string
	Source, Type, Dest string
	Group              int
}

// TermAssociation links an inactive concept to what replaces it, through
// a historical association reference set.
type TermAssociation struct {
	System         string
	Source, Refset string
	Target         string
}

// TermMember is a code in a reference set.
type TermMember struct {
	Refset, Code string
}

// TermQuery is a typeahead search.
type TermQuery struct {
	// System, when set, restricts to one code system.
	System string
	// Words are the words typed, lower case; each must start a word of
	// the term. Empty matches nothing.
	Words []string
	// Inactive includes inactive concepts and descriptions.
	Inactive bool
	// Within restricts to these codes (an expanded constraint), when not nil.
	Within []string
	// Below restricts to descendants-or-self of these codes, when set.
	Below []string
	// Refset restricts to members of a reference set, when set.
	Refset string
	// Kinds restricts to concepts of these kinds (dm+d's VMP and AMP for
	// a drug search), when set.
	Kinds []string
	// Limit caps the concepts returned; Offset skips the first ones.
	Limit, Offset int
}

// TermMatch is one concept found, with the description that matched best.
type TermMatch struct {
	Description TermDescription
	// Preferred is the concept's preferred term (Display of the concept).
	Preferred string
	Active    bool
	// Kind and Props are the concept's (dm+d: VMP or AMP, and its
	// prescribing status and availability), so that a drug typeahead can
	// mark each product without reading it again.
	Kind, Props string
}

// ReleaseWriter loads one release. Each Add writes its rows at once (in
// its own short transaction), invisible to searches until Commit.
type ReleaseWriter interface {
	AddConcepts(ctx context.Context, cs []TermConcept) error
	AddDescriptions(ctx context.Context, ds []TermDescription) error
	AddRelationships(ctx context.Context, rs []TermRelationship) error
	AddAssociations(ctx context.Context, as []TermAssociation) error
	AddMembers(ctx context.Context, ms []TermMember) error
	// Commit makes the release current in one transaction and removes the
	// releases of the source older than the one it replaces.
	Commit(ctx context.Context) (TermRelease, error)
	// Abort removes what was written; the current release stays.
	Abort(ctx context.Context) error
}

// TermWords splits a term into the lower-case words a typeahead matches
// the typed words against: runs of letters and digits. Loaders and
// searches must split alike, so both call this.
func TermWords(term string) []string {
	var out []string
	start := -1
	lower := strings.ToLower(term)
	for i, r := range lower {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, lower[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, lower[start:])
	}
	return out
}
