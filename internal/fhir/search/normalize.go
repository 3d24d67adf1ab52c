package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize prepares a string for the default and :contains string
// matches: lower case, accents removed, whitespace collapsed.
func Normalize(s string) string {
	if normalized(s) {
		return s // most codes and many displays: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		fold := ""
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r < utf8.RuneSelf:
			// ASCII needs neither the accent table nor the Unicode
			// tables: index extraction normalises every token's display.
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		default:
			r = unicode.ToLower(r)
			if f, ok := accentFold[r]; ok {
				fold = f
			} else if unicode.Is(unicode.Mn, r) {
				continue // a combining accent; no space is written for it ("a \u0308" is "a")
			}
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if fold != "" {
			b.WriteString(fold)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalized reports whether Normalize would return s unchanged: ASCII
// without capitals, with single spaces between words as its only spacing.
func normalized(s string) bool {
	space := true // a leading space is not normalised
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf, 'A' <= c && c <= 'Z', c == ' ' && space, c != ' ' && unicode.IsSpace(rune(c)):
			return false
		}
		space = c == ' '
	}
	return !space || s == ""
}

// accentFold maps the accented Latin letters of European names to their
// base letters (the standard library has no Unicode decomposition).
var accentFold = func() map[rune]string {
	m := map[rune]string{}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ďđ", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ", "o": "òóôõöøōŏő",
		"r": "ŕŗř", "s": "śŝşš", "t": "ţťŧ", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
		"ae": "æ", "oe": "œ", "th": "þ",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()
