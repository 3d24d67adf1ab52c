package ukcore

// NHSNumberSystem is the identifier system of NHS numbers in UK Core.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// ValidNHSNumber reports whether an NHS number as stored (exactly ten
// digits, no spaces) has the Modulus 11 check digit of its first nine:
// weights 10 down to 2, 11 minus the remainder, 11 meaning 0 and 10
// meaning the number cannot be valid.
//
// The rule lives here, with the identifier system UK Core defines, so
// that validation (which sits below the product layer) checks every
// Identifier in that system; package clinical delegates to it for the
// numbers people type.
func ValidNHSNumber(n string) bool {
	if len(n) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
		if i < 9 {
			sum += int(n[i]-'0') * (10 - i)
		}
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
