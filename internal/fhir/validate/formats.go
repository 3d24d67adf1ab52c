package validate

// Hand-written checks equal to R4's published regexes for the primitive
// types every resource carries many of (dates, codes, numbers). A regex
// match per value took ~4% of an import's CPU (Synthea set, 2026-12-04);
// these take a tenth of it. TestFormatsMatchPublishedRegex and
// FuzzFormats hold each to its regex.

// formats are the hand-written checks, by primitive type.
var formats = map[string]func(string) bool{
	"code":        isCode,
	"date":        isDate,
	"dateTime":    isDateTime,
	"decimal":     isDecimal,
	"id":          isID,
	"instant":     isInstant,
	"integer":     isInteger,
	"positiveInt": isPositiveInt,
	"time":        isTime,
	"unsignedInt": isUnsignedInt,
}

// isSpace is RE2's \s: tab, newline, form feed, carriage return, space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// isCode: [^\s]+(\s[^\s]+)* — words separated by single whitespace.
func isCode(s string) bool {
	if s == "" || isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if isSpace(s[i]) && isSpace(s[i-1]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// twoDigits reports whether s starts with two digits whose value is in
// [lo, hi].
func twoDigits(s string, lo, hi int) bool {
	if len(s) < 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return false
	}
	n := int(s[0]-'0')*10 + int(s[1]-'0')
	return n >= lo && n <= hi
}

// calendar reads YYYY, YYYY-MM or YYYY-MM-DD from the front of s (a year
// of 0000 refused, as the regexes refuse it) and returns how many of the
// three parts it read and what follows them.
func calendar(s string) (parts int, rest string) {
	if len(s) < 4 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) || s[:4] == "0000" {
		return 0, s
	}
	s, parts = s[4:], 1
	for _, hi := range []int{12, 31} {
		if len(s) < 3 || s[0] != '-' || !twoDigits(s[1:], 1, hi) {
			return parts, s
		}
		s, parts = s[3:], parts+1
	}
	return parts, s
}

// clock reads hh:mm:ss with an optional fraction from the front of s.
func clock(s string) (rest string, ok bool) {
	if len(s) < 8 || !twoDigits(s, 0, 23) || s[2] != ':' || !twoDigits(s[3:], 0, 59) || s[5] != ':' || !twoDigits(s[6:], 0, 60) {
		return s, false
	}
	s = s[8:]
	if len(s) > 0 && s[0] == '.' {
		n := digitRun(s[1:])
		if n == 0 {
			return s, false
		}
		s = s[1+n:]
	}
	return s, true
}

// isZone: Z, or ±hh:mm up to ±14:00.
func isZone(s string) bool {
	if s == "Z" {
		return true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') {
		return false
	}
	s = s[1:]
	return s == "14:00" || twoDigits(s, 0, 13) && s[2] == ':' && twoDigits(s[3:], 0, 59)
}

func isDate(s string) bool {
	parts, rest := calendar(s)
	return parts > 0 && rest == ""
}

func isDateTime(s string) bool {
	parts, rest := calendar(s)
	if parts == 0 || rest == "" {
		return parts > 0
	}
	return parts == 3 && timeAndZone(rest)
}

func isInstant(s string) bool {
	parts, rest := calendar(s)
	return parts == 3 && timeAndZone(rest)
}

// timeAndZone: Thh:mm:ss[.f] followed by a zone.
func timeAndZone(s string) bool {
	if s == "" || s[0] != 'T' {
		return false
	}
	rest, ok := clock(s[1:])
	return ok && isZone(rest)
}

func isTime(s string) bool {
	rest, ok := clock(s)
	return ok && rest == ""
}

// digitRun is the number of digits at the front of s.
func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// wholeNumber reads 0|[1-9][0-9]* from the front of s.
func wholeNumber(s string) (rest string, ok bool) {
	n := digitRun(s)
	if n == 0 || (n > 1 && s[0] == '0') {
		return s, false
	}
	return s[n:], true
}

// isDecimal: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isDecimal(s string) bool {
	s = trimMinus(s)
	s, ok := wholeNumber(s)
	if !ok {
		return false
	}
	if len(s) > 0 && s[0] == '.' {
		n := digitRun(s[1:])
		if n == 0 {
			return false
		}
		s = s[1+n:]
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		n := digitRun(s)
		if n == 0 {
			return false
		}
		s = s[n:]
	}
	return s == ""
}

func trimMinus(s string) string {
	if len(s) > 0 && s[0] == '-' {
		return s[1:]
	}
	return s
}

// isInteger: -?(0|[1-9][0-9]*)
func isInteger(s string) bool { return isUnsignedInt(trimMinus(s)) }

// isUnsignedInt: 0|[1-9][0-9]*
func isUnsignedInt(s string) bool {
	rest, ok := wholeNumber(s)
	return ok && rest == ""
}

// isPositiveInt: [1-9][0-9]*
func isPositiveInt(s string) bool { return isUnsignedInt(s) && s != "0" }
