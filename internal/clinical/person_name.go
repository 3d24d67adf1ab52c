package clinical

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Names as a person is addressed (the portal, a registration letter),
// beside the staff's "FAMILY, Given (Title)" of the banner.

// PlainName is how a person's name is written to them: "Jane Smith",
// not the staff's "SMITH, Jane (Mrs)"; the usual (else official, else
// first) name, else fallback.
func PlainName(p fhir.Resource, fallback string) string {
	n := pickName(p, "usual", "official")
	if n == nil {
		return fallback
	}
	var parts []string
	for _, g := range anyList(n["given"]) {
		if s, ok := g.(string); ok {
			parts = append(parts, s)
		}
	}
	if f := str(n, "family"); f != "" {
		parts = append(parts, f)
	}
	if len(parts) == 0 {
		return fallback
	}
	return strings.Join(parts, " ")
}

// FamilyName is the official (else first) name's family name: what a
// registration letter's holder types to show it is theirs.
func FamilyName(p fhir.Resource) string { return str(pickName(p, "official"), "family") }

// pickName is the first name of the first use given, else the first
// name; nil when none is recorded.
func pickName(p fhir.Resource, uses ...string) map[string]any {
	names := list(p, "name")
	for _, use := range uses {
		for _, n := range names {
			if str(n, "use") == use {
				return n
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	return names[0]
}
