package clinical

import (
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir/ukcore"
)

// NHSNumberSystem is the identifier system of NHS numbers.
const NHSNumberSystem = ukcore.NHSNumberSystem

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
// last is the Modulus 11 check digit of the first nine. The check itself
// is ukcore.ValidNHSNumber, which validation also applies to every
// identifier in the NHS number system: one rule, below both.
func ValidNHSNumber(s string) bool {
	n, ok := NormalizeNHSNumber(s)
	return ok && ukcore.ValidNHSNumber(n)
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
