package validate

import (
	"regexp"
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
)

// published compiles R4's regex for a primitive type, anchored as the
// validator anchored it before the hand-written checks.
func published(t testing.TB, name string) *regexp.Regexp {
	t.Helper()
	d := definitions.Lookup(name)
	if d == nil || d.Regex == "" {
		t.Fatalf("%s has no published regex", name)
	}
	return regexp.MustCompile(`^(?:` + d.Regex + `)$`)
}

// formatSamples are values near each format's edges.
var formatSamples = []string{
	"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\fb", "a\vb", "a\u00a0b", "é", "x\r\ny",
	"0", "00", "01", "1", "-0", "-1", "+1", "-", "10", "2147483648", "1.", "1.0", ".5", "0.5", "-0.50",
	"1e5", "1E+5", "1e-05", "1e", "1.5e", "1.e5", "0x10", "1_000", "١",
	"2020", "0000", "0001", "999", "20200", "2020-", "2020-1", "2020-01", "2020-00", "2020-12", "2020-13",
	"2020-01-01", "2020-01-00", "2020-01-31", "2020-01-32", "2020-02-30", "2020-01-1",
	"2020-01-01T", "2020-01-01T10:00:00", "2020-01-01T10:00:00Z", "2020-01-01T10:00:00+01:00",
	"2020-01-01T10:00:00.123Z", "2020-01-01T10:00:00.Z", "2020-01-01T24:00:00Z", "2020-01-01T23:59:60Z",
	"2020-01-01T23:60:00Z", "2020-01-01T10:00Z", "2020-01-01T10:00:00+14:00", "2020-01-01T10:00:00+14:01",
	"2020-01-01T10:00:00-13:59", "2020-01-01T10:00:00+1:00", "2020-01-01T10:00:00+0100", "2020-01-01t10:00:00Z",
	"2020-01T10:00:00Z", "2020T10:00:00Z", "2020-01-01 10:00:00Z", "2020-01-01T10:00:00z",
	"10:00:00", "10:00:00.5", "10:00", "24:00:00", "23:59:60", "9:00:00", "10:00:00Z",
	"abc-DEF.123", "a/b", "0123456789012345678901234567890123456789012345678901234567890123",
	"01234567890123456789012345678901234567890123456789012345678901234",
}

func TestFormatsMatchPublishedRegex(t *testing.T) {
	for name, check := range formats {
		re := published(t, name)
		for _, s := range formatSamples {
			if got, want := check(s), re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, the published regex says %v", name, s, got, want)
			}
		}
	}
}

func FuzzFormats(f *testing.F) {
	for _, s := range formatSamples {
		f.Add(s)
	}
	res := map[string]*regexp.Regexp{}
	for name := range formats {
		res[name] = published(f, name)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, check := range formats {
			if got, want := check(s), res[name].MatchString(s); got != want {
				t.Fatalf("%s(%q) = %v, the published regex says %v", name, s, got, want)
			}
		}
	})
}

func BenchmarkFormats(b *testing.B) {
	values := []string{"2012-01-23T17:45:49+00:00", "final", "85354-9", "127.50", "2019-03-04"}
	for _, kind := range []string{"published", "hand-written"} {
		b.Run(kind, func(b *testing.B) {
			checks := []func(string) bool{formats["dateTime"], formats["code"], formats["code"], formats["decimal"], formats["date"]}
			if kind == "published" {
				checks = []func(string) bool{published(b, "dateTime").MatchString, published(b, "code").MatchString,
					published(b, "code").MatchString, published(b, "decimal").MatchString, published(b, "date").MatchString}
			}
			for b.Loop() {
				for i, v := range values {
					if !checks[i](v) {
						b.Fatal(v)
					}
				}
			}
		})
	}
}
