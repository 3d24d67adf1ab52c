// Package codes finds SNOMED CT concepts for a clinician's typeahead.
// The terminology service (a separate issue) will answer this properly,
// with descriptions, hierarchies and inactive concepts; until it lands,
// Finder is the seam the workspace codes against, and Local is the
// stand-in: the concepts already present in the record the user may read,
// then a small built-in list of common primary-care concepts. The screen
// says the terminology service is not connected.
package codes

import (
	"context"
	"slices"
	"strings"
)

// SNOMED is the SNOMED CT code system URI.
const SNOMED = "http://snomed.info/sct"

// Concept is one answer: a SNOMED CT concept id and the term shown.
type Concept struct {
	Code, Display string
}

// Finder answers a typeahead: the concepts whose terms match the text
// typed, best first, at most limit. Implementations search as the user
// (ctx carries their principal).
type Finder interface {
	Find(ctx context.Context, text string, limit int) ([]Concept, error)
	// Connected reports whether a real terminology service answers; the
	// screen says so when it does not.
	Connected() bool
}

// Matches reports whether every word typed starts a word of the term
// (case and accents aside), as clinicians type: "type 2 diab" finds
// "Type 2 diabetes mellitus".
func Matches(term, text string) bool {
	words := strings.Fields(strings.ToLower(text))
	if len(words) == 0 {
		return false
	}
	termWords := strings.FieldsFunc(strings.ToLower(term), func(r rune) bool {
		return r == ' ' || r == ',' || r == '(' || r == ')' || r == '-' || r == '/'
	})
	for _, w := range words {
		if !slices.ContainsFunc(termWords, func(t string) bool { return strings.HasPrefix(t, w) }) {
			return false
		}
	}
	return true
}

// SearchBuiltin returns the built-in concepts matching text.
func SearchBuiltin(text string, limit int) []Concept {
	var out []Concept
	for _, c := range Builtin {
		if Matches(c.Display, text) {
			out = append(out, c)
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// ValidSCTID reports whether id is a well-formed SNOMED CT identifier:
// 6 to 18 digits, no leading zero, a concept's partition (the second and
// third digits from the right are 00 or 10) and a correct Verhoeff check
// digit. It catches a code mistyped into the built-in list or a form.
func ValidSCTID(id string) bool {
	if len(id) < 6 || len(id) > 18 || id[0] == '0' {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	if p := id[len(id)-3 : len(id)-1]; p != "00" && p != "10" {
		return false
	}
	return verhoeff(id)
}

var (
	verhoeffD = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	verhoeffP = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
)

func verhoeff(num string) bool {
	c := 0
	for i := 0; i < len(num); i++ {
		c = verhoeffD[c][verhoeffP[i%8][int(num[len(num)-1-i]-'0')]]
	}
	return c == 0
}
