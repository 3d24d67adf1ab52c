package oracle

import (
	"fmt"
	"strings"
	"unicode"
)

// stringParam is a string parameter over some string elements.
type stringParam struct {
	values func(res map[string]any) []string
}

func (p stringParam) present(res map[string]any) bool { return len(p.values(res)) > 0 }

// matcher: by default a case- and accent-insensitive "starts with";
// :contains the same as a substring; :exact exact, case-sensitive equality.
func (p stringParam) matcher(modifier string, values []string) (test, error) {
	var preds []func(string) bool
	for _, v := range values {
		want := unescape(v)
		folded := fold(want)
		switch modifier {
		case "":
			preds = append(preds, func(have string) bool { return strings.HasPrefix(fold(have), folded) })
		case "contains":
			preds = append(preds, func(have string) bool { return strings.Contains(fold(have), folded) })
		case "exact":
			preds = append(preds, func(have string) bool { return have == want })
		default:
			return nil, fmt.Errorf("modifier :%s is not supported on a string parameter", modifier)
		}
	}
	return func(res map[string]any) bool { return anyMatch(p.values(res), preds) }, nil
}

// stringPaths covers the strings at each of several paths.
func stringPaths(paths ...[]string) func(map[string]any) []string {
	return func(res map[string]any) []string {
		var out []string
		for _, path := range paths {
			out = append(out, stringsAt(res, path...)...)
		}
		return out
	}
}

// humanName covers the given parts of every HumanName in name.
func humanName(parts ...string) func(map[string]any) []string {
	paths := make([][]string, len(parts))
	for i, part := range parts {
		paths[i] = []string{"name", part}
	}
	return stringPaths(paths...)
}

// fold lowercases s and strips the diacritics of Latin letters, so that
// comparisons are case- and accent-insensitive. Letters that are not a
// base letter plus a mark (ß, æ, œ, ð, þ) are kept.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = unicode.ToLower(r)
		if r >= 0x300 && r <= 0x36f { // combining diacritical marks
			continue
		}
		if base, ok := baseLetter[r]; ok {
			r = base
		}
		b.WriteRune(r)
	}
	return b.String()
}

// baseLetter maps lowercase accented Latin-1 and Latin Extended-A letters
// to their base letter.
var baseLetter = func() map[rune]rune {
	table := map[rune]string{
		'a': "àáâãäåāăą",
		'c': "çćĉċč",
		'd': "ďđ",
		'e': "èéêëēĕėęě",
		'g': "ĝğġģ",
		'h': "ĥħ",
		'i': "ìíîïĩīĭįı",
		'j': "ĵ",
		'k': "ķ",
		'l': "ĺļľŀł",
		'n': "ñńņňŉ",
		'o': "òóôõöøōŏő",
		'r': "ŕŗř",
		's': "śŝşš",
		't': "ţťŧ",
		'u': "ùúûüũūŭůűų",
		'w': "ŵ",
		'y': "ýÿŷ",
		'z': "źżž",
	}
	m := map[rune]rune{}
	for base, letters := range table {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()
