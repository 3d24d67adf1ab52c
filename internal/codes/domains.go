package codes

import "strings"

// Domains: a coded field that takes only one kind of concept (a vaccine,
// an allergen) must not offer a disorder with a similar name ("Influenza"
// for the vaccine). The terminology service will constrain each field by
// ECL (descendants of Vaccine product, of Substance...); until it lands,
// the stand-in offers each such field its own short checked list.
// Clinical content, reviewed like Builtin (hazards H-207, H-306).

// Allergens are substances and allergy findings the allergies page
// offers.
var Allergens = []Concept{
	{"373270004", "Penicillin class of antibiotic"},
	{"91936005", "Allergy to penicillin"},
	{"387207008", "Ibuprofen"},
	{"387458008", "Aspirin"},
	{"256349002", "Peanut"},
	{"111088007", "Latex"},
}

// Vaccines are the vaccine products the immunisations page offers.
var Vaccines = []Concept{
	{"1066171000000108", "Seasonal influenza vaccine"},
	{"836377006", "Influenza vaccine"},
	{"1119349007", "COVID-19 mRNA vaccine"},
	{"836398006", "Pneumococcal vaccine"},
}

// FindIn returns the concepts of a domain list whose terms match text
// (Matches), at most limit.
func FindIn(domain []Concept, text string, limit int) []Concept {
	var out []Concept
	if len([]rune(strings.TrimSpace(text))) < 2 {
		return nil
	}
	for _, c := range domain {
		if Matches(c.Display, text) {
			out = append(out, c)
			if len(out) == limit {
				break
			}
		}
	}
	return out
}
