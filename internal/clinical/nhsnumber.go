package clinical

import (
	"strings"
)

// NHSNumberSystem is the identifier system of NHS numbers.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// NormalizeNHSNumber drops the spaces and dashes people type ("943 476
// 5919", "943-476-5919"); ok is false when what is left is not ten digits.
func NormalizeNHSNumber(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", false
		}
	}
	n := b.String()
	return n, len(n) == 10
}

// ValidNHSNumber reports whether s (spaces allowed) is ten digits whose
// last is the Modulus 11 check digit of the first nine: weights 10 down to
// 2, 11 minus the remainder, 11 meaning 0 and 10 meaning invalid.
func ValidNHSNumber(s string) bool {
	n, ok := NormalizeNHSNumber(s)
	if !ok {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(n[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	switch check {
	case 11:
		check = 0
	case 10:
		return false
	}
	return int(n[9]-'0') == check
}

// FormatNHSNumber writes an NHS number as people read it: 3-3-4 with
// spaces ("943 476 5919"). Anything else is returned as it is.
func FormatNHSNumber(s string) string {
	n, ok := NormalizeNHSNumber(s)
	if !ok {
		return s
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}
