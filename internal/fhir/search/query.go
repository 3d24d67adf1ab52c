package search

import (
	"slices"
	"strings"
)

// Query is a parsed search request, ready for a store to compile.
type Query struct {
	// Types are the resource types searched: one for a type-level search,
	// those of _type (or none, meaning all) for a system-level search.
	Types []string
	// Filters must all hold.
	Filters []*Filter
	// Compartment, when set, restricts to one compartment (Patient/123).
	Compartment *Compartment
	Sort        []SortKey
	Count       int
	// Total is none, estimate or accurate ("" = the server's choice).
	Total      string
	Include    []Include
	RevInclude []Include
	// Access, when set, restricts matches to the records a caller
	// reaches. The service sets it from the caller's rights; no request
	// parameter can.
	Access *Access
	// AccessKey is a canonical description of every access condition of
	// the query (its own, its chains' and _has' guards, fine-grained
	// scopes): a stored result list computed under one key serves later
	// pages only to callers asking under the same key. The service sets
	// it; "" is an unrestricted caller.
	AccessKey string
}

// Guard is what a caller may see of the resources one step of a chain or
// a _has reaches: the access condition and the filters of fine-grained
// scopes of that type, the same as a direct search of the type would
// apply. A nil Guard (or nil fields) restricts nothing.
type Guard struct {
	Access  *Access
	Filters []*Filter
}

// Access restricts a search to patients' records. Resources of types
// outside the patient compartment (Organization, Medication...) are not
// restricted by it.
type Access struct {
	// Patients: Patient resources with these ids, and resources in the
	// compartment of one of them.
	Patients []string
	// Practice: Patients registered at this Organization (managing
	// organization or general practitioner), resources in their
	// compartments, and resources of compartment types that belong to no
	// patient at all where UnownedShared says so.
	Practice string
}

// UnownedShared reports whether records of a patient-compartment type
// that belong to no patient (an Observation of no one) are the
// practice's to see. Audit events about no patient (sign-ins, token
// grants) are not: they name other practices' users, and are for
// operators only. The SQL of a search and the service's per-resource
// check both ask here.
func UnownedShared(typ string) bool { return typ != "AuditEvent" }

// Key is a canonical form of the access condition ("" for none): a stored
// result list computed under one condition serves only pages asked for
// under the same one.
func (a *Access) Key() string {
	if a == nil {
		return ""
	}
	p := slices.Clone(a.Patients)
	slices.Sort(p)
	return "patients=" + strings.Join(p, ",") + ";practice=" + a.Practice
}

// PracticeParams are the Patient parameters that register a patient at a
// practice (an Organization).
var PracticeParams = []string{"organization", "general-practitioner"}

// Filter is one search parameter occurrence: its values are ORed.
type Filter struct {
	Param    *Param
	Modifier string // exact, contains, text, not, of-type, identifier, below, above, in, not-in, or a type
	Values   []Value
	// Missing is set for :missing=true/false.
	Missing *bool
	// Chain continues the search on the referenced resources.
	Chain *Chain
	// Has is a reverse chain (_has).
	Has *Has
}

// Chain is the part of a chained parameter after the reference:
// subject:Patient.name=x is Filter{subject, Chain{[Patient], name=x}}.
type Chain struct {
	Targets []string
	Next    *Filter
	// Guards, by target type, keep the step within the caller's reach.
	Guards map[string]*Guard
}

// Has selects resources referenced by resources of Type through RefParam
// that match Next: _has:Observation:patient:code=x.
type Has struct {
	Type     string
	RefParam *Param
	Next     *Filter
	// Guard keeps the referring resources within the caller's reach.
	Guard *Guard
}

// Compartment restricts to the resources in Type/ID's compartment: those
// referring to it through one of Params (or, per type, ParamsByType), and
// the compartment's own resource when its type is searched.
type Compartment struct {
	Type, ID     string
	Params       []string
	ParamsByType map[string][]string
}

// ParamsFor returns the parameters linking typ to the compartment.
func (c *Compartment) ParamsFor(typ string) []string {
	if c.ParamsByType != nil {
		return c.ParamsByType[typ]
	}
	return c.Params
}

// Value is one search value; the fields used depend on the parameter type.
type Value struct {
	Prefix string // eq ne gt lt ge le sa eb ap (date, number, quantity)
	// Token: System (HasSystem when a '|' was given) and Code.
	System    string
	HasSystem bool
	Code      string
	// Text: strings (normalised unless :exact), uris, token :text.
	Text string
	// Dates (microseconds) and numbers/quantities.
	Lo, Hi            int64
	Num, NumLo, NumHi float64
	// Reference: a type and id, or an absolute URL.
	RefType, RefID, URL string
	// Parts are a composite value's components (code$value).
	Parts []Value
}

// SortKey orders results by a parameter (or _id, _lastUpdated).
type SortKey struct {
	Param *Param
	Desc  bool
}

// Include is an _include or _revinclude: SourceType:Param[:TargetType];
// a nil Param is the wildcard (*).
type Include struct {
	SourceType string
	Param      *Param
	TargetType string
	Iterate    bool
}
