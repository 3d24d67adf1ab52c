package codes

import "testing"

func TestValidSCTID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"38341003", true}, {"44054006", true}, {"37331000000100", true}, {"325851000000107", true},
		{"38341004", false}, // check digit
		{"0383410", false}, {"12345", false}, {"3834100a", false},
		{"38341013", false}, // a description's partition (01)
	} {
		if got := ValidSCTID(tc.id); got != tc.want {
			t.Errorf("ValidSCTID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

// TestBuiltinCodes: every built-in concept is a well-formed concept id,
// listed once, with a term.
func TestBuiltinCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Builtin {
		if !ValidSCTID(c.Code) {
			t.Errorf("%s %q is not a valid SNOMED CT concept id", c.Code, c.Display)
		}
		if c.Display == "" || seen[c.Code] {
			t.Errorf("%s: no term, or listed twice", c.Code)
		}
		seen[c.Code] = true
	}
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		term, text string
		want       bool
	}{
		{"Type 2 diabetes mellitus", "type 2 diab", true},
		{"Type 2 diabetes mellitus", "diab", true},
		{"Type 2 diabetes mellitus", "mellitus type", true},
		{"Type 2 diabetes mellitus", "iabetes", false},
		{"Asthma", "", false},
		{"Chronic obstructive lung disease", "COPD", false},
	} {
		if got := Matches(tc.term, tc.text); got != tc.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tc.term, tc.text, got, tc.want)
		}
	}
	if got := SearchBuiltin("hypert", 5); len(got) == 0 || got[0].Code != "38341003" {
		t.Errorf("SearchBuiltin(hypert) = %v", got)
	}
}
