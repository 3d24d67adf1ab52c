package search

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Limits of one search, refused with a 400 (too-costly) by Parse so that
// both stores answer alike. The stores compile a search into one SQL
// statement, and SQLite refuses an expression nested deeper than 1,000
// levels or a statement with more than 32,766 parameters; PostgreSQL takes
// more, but plans a statement of many thousand conditions slowly. Measured
// on SQLite (modernc.org/sqlite 1.62) with the access condition of a
// practice's staff: a chain broke at 22 levels (Organization?partof.partof...),
// nested _has at 27; the values of one parameter at about 16,000 (the
// parameter limit; 494 before the stores wrote OR lists as balanced
// trees); 111 values of a chain whose reference may reach 145 types
// (16,000 conditions); 6,500 composite values; 999 _sort keys. Each limit
// leaves a margin of four or more.
const (
	// MaxValues is how many comma-separated values one parameter (or
	// _sort) may hold.
	MaxValues = 100
	// MaxDepth is how many chains (subject.name) and _has one parameter
	// may nest: "subject:Patient.organization.name" is 2.
	MaxDepth = 5
	// MaxTerms is how many conditions one search may hold: every value of
	// every parameter, counted once for each type a chain may lead to
	// (subject.name=a reaches Patient, Group and others) and each type a
	// system search names, and every _sort key and _include.
	MaxTerms = 1000
)

func tooCostly(format string, args ...any) error {
	return fhir.Errorf(http.StatusBadRequest, fhir.CodeTooCostly, format, args...)
}

// CheckValues refuses n values for one parameter past MaxValues.
// Conditional interactions answered without Parse call it themselves.
func CheckValues(name string, n int) error {
	if n > MaxValues {
		return tooCostly("search parameter %q has more than %d values; split the search", name, MaxValues)
	}
	return nil
}

// depth is how many chains and _has a parameter name nests (parameter
// codes hold neither '.' nor ':').
func depth(name string) int {
	return strings.Count(name, ".") + strings.Count(name, "_has:")
}

func checkDepth(name string) error {
	if d := depth(name); d > MaxDepth {
		return tooCostly("search parameter %q nests %d chains and _has; at most %d are allowed", name, d, MaxDepth)
	}
	return nil
}

// terms counts q's conditions as MaxTerms defines them, up to MaxTerms+1.
func (q *Query) terms() int {
	perType := 0
	for _, f := range q.Filters {
		perType = min(perType+f.terms(), MaxTerms+1)
	}
	// A search of several named types compiles its filters once per type.
	n := perType * max(1, len(q.Types))
	return min(n+len(q.Sort)+len(q.Include)+len(q.RevInclude), MaxTerms+1)
}

func (f *Filter) terms() int {
	switch {
	case f.Chain != nil:
		return min(len(f.Chain.Targets)*f.Chain.Next.terms(), MaxTerms+1)
	case f.Has != nil:
		return f.Has.Next.terms()
	}
	return max(1, len(f.Values)) // :missing has none
}

func (q *Query) checkTerms() error {
	if q.terms() > MaxTerms {
		return tooCostly("the search has more than %d conditions (each value of each parameter, counted once for each resource type "+
			"it is searched in, each _sort key and each _include); split it into several searches", MaxTerms)
	}
	return nil
}

// CheckParam refuses a search parameter name or value that no resource
// can hold: invalid UTF-8, or a control character FHIR strings may not
// contain. PostgreSQL refuses both in a text parameter (SQLSTATE 22021),
// where SQLite would quietly match nothing: a 400 keeps the stores alike.
// Parse checks every parameter; conditional interactions answered without
// Parse call it themselves.
func CheckParam(name, value string) error {
	if err := checkText(name, "name", name); err != nil {
		return err
	}
	return checkText(name, "value", value)
}

func checkText(name, what, s string) error {
	if !utf8.ValidString(s) {
		return badRequest("search parameter %q: the %s is not valid UTF-8", name, what)
	}
	if i := fhir.ControlChar(s); i >= 0 {
		return badRequest("search parameter %q: the %s holds the control character U+%04X, which FHIR strings may not contain", name, what, s[i])
	}
	return nil
}
