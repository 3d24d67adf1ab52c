package search

import (
	"regexp"
	"slices"
)

// Reference parameters stored as other parameters' rows, narrowed to one
// target type (issue 12: no duplicated rows). R4 defines many a patient
// parameter as another's references to a Patient: Observation's patient
// is Observation.subject.where(resolve() is Patient), AuditEvent's is
// agent.who or entity.what where they are Patients, Encounter's
// practitioner is participant.individual where it is a Practitioner.
// Their rows repeated the other parameter's (in a 10x Synthea store,
// 580,000 of the 7.8 million index rows that are not AuditEvents', and
// one of the 16 rows of every AuditEvent). Such a parameter's reference
// rows are not stored; a search on it reads the rows of the parameters it
// narrows (Param.StoredAs) whose target is its type (Param.StoredTarget).
// resolve() on a literal reference gives a resource of the type the
// reference names, which is the target type its row holds, so the rows
// read are the rows that were stored. It is still extracted: its
// :identifier rows (tokens, which hold no target type) are stored as
// before, and what reads extracted values in memory (whose record a write
// is) finds them as before.

// narrowing is how a narrowed parameter is stored.
type narrowing struct {
	parts  []string // the parameters whose rows hold its references
	target string   // the type those references must name
}

// StoredTarget is the target type a narrowed reference parameter's rows
// must name among those of the parameters it is stored as (StoredAs); ""
// for every other parameter.
func (p *Param) StoredTarget() string {
	if p.narrowed == nil {
		return ""
	}
	return p.narrowed.target
}

// Narrowed reports whether the parameter code of resourceType is a
// narrowed reference parameter, whose references its parts' rows hold.
func Narrowed(resourceType, code string) bool {
	p := Lookup(resourceType, code)
	return p != nil && p.narrowed != nil
}

// StoredParams maps reference parameters of resourceType, read for rows
// whose target is targetType, to the parameters whose rows hold them: a
// narrowed parameter to its parts when it narrows to targetType, and to
// nothing when it narrows to another type (it can name no targetType);
// any other to itself. The result has no repeats.
func StoredParams(resourceType string, codes []string, targetType string) []string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		stored := []string{code}
		if p := Lookup(resourceType, code); p != nil && p.narrowed != nil {
			stored = nil
			if p.narrowed.target == targetType {
				stored = p.narrowed.parts
			}
		}
		for _, s := range stored {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// narrowedBranch matches a branch that keeps another's references to one
// type.
var narrowedBranch = regexp.MustCompile(`^(.+)\.where\(resolve\(\) is ([A-Za-z]+)\)$`)

// narrowingOf returns how p is stored when each of its branches rooted at
// rt is B.where(resolve() is T), with one T for all, and each B the only
// branch of another reference parameter of rt that is stored itself;
// nil otherwise.
func narrowingOf(p *Param, byCode map[string]*Param, rt string) *narrowing {
	if p.Type != "reference" || !p.Supported() {
		return nil
	}
	own := rootedBranches(p.Expression, rt)
	if len(own) == 0 {
		return nil
	}
	n := &narrowing{}
	for _, b := range own {
		m := narrowedBranch.FindStringSubmatch(b)
		if m == nil || n.target != "" && n.target != m[2] {
			return nil
		}
		n.target = m[2]
		part := ""
		for _, q := range byCode {
			if q == p || q.Type != "reference" || !q.Supported() || q.unionOf != nil {
				continue
			}
			if theirs := rootedBranches(q.Expression, rt); len(theirs) == 1 && theirs[0] == m[1] && narrowedBranch.FindString(theirs[0]) == "" {
				if part == "" || q.Code < part {
					part = q.Code // several with the same expression: one, always the same
				}
			}
		}
		if part == "" {
			return nil
		}
		if !slices.Contains(n.parts, part) {
			n.parts = append(n.parts, part)
		}
	}
	slices.Sort(n.parts)
	return n
}
