package clinical

import "testing"

func TestNHSNumber(t *testing.T) {
	for _, c := range []struct {
		in     string
		valid  bool
		format string
	}{
		{"9434765919", true, "943 476 5919"},
		{"943 476 5919", true, "943 476 5919"},
		{"943-476-5919", true, "943 476 5919"},
		{"9434765918", false, "943 476 5918"}, // wrong check digit
		{"9000000009", true, "900 000 0009"},
		{"4010232137", true, "401 023 2137"},
		{"1234567881", true, "123 456 7881"},
		{"1234567890", false, "123 456 7890"}, // check digit would be 10
		{"943476591", false, "943476591"},     // nine digits
		{"94347659190", false, "94347659190"}, // eleven
		{"943476591x", false, "943476591x"},
		{"", false, ""},
	} {
		if got := ValidNHSNumber(c.in); got != c.valid {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", c.in, got, c.valid)
		}
		if got := FormatNHSNumber(c.in); got != c.format {
			t.Errorf("FormatNHSNumber(%q) = %q, want %q", c.in, got, c.format)
		}
	}
}

func FuzzNHSNumber(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidNHSNumber(s) {
			n, ok := NormalizeNHSNumber(s)
			if !ok || len(n) != 10 || !ValidNHSNumber(FormatNHSNumber(s)) {
				t.Fatalf("%q valid but %q %v", s, n, ok)
			}
		}
	})
}
