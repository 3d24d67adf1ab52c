package ukcore

import "testing"

func TestValidNHSNumber(t *testing.T) {
	for _, c := range []struct {
		in    string
		valid bool
	}{
		{"9434765919", true},
		{"9000000009", true},
		{"4010232137", true},
		{"0000000000", true},  // 11 - 0 = 11 stands for a check digit of 0
		{"9434765918", false}, // wrong check digit
		{"1000000010", false}, // check digit would be 10
		{"943 476 5919", false},
		{"943476591", false},
		{"94347659190", false},
		{"94347659a9", false},
		{"", false},
	} {
		if got := ValidNHSNumber(c.in); got != c.valid {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", c.in, got, c.valid)
		}
	}
}
