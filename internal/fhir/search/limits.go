package search

import (
	"unicode/utf8"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// CheckParam refuses a search parameter name or value that no resource
// can hold: invalid UTF-8, or a control character FHIR strings may not
// contain. PostgreSQL refuses both in a text parameter (SQLSTATE 22021),
// where SQLite would quietly match nothing: a 400 keeps the stores alike.
// Parse checks every parameter; conditional interactions answered without
// Parse call it themselves.
func CheckParam(name, value string) error {
	if err := checkText(name, "name", name); err != nil {
		return err
	}
	return checkText(name, "value", value)
}

func checkText(name, what, s string) error {
	if !utf8.ValidString(s) {
		return badRequest("search parameter %q: the %s is not valid UTF-8", name, what)
	}
	if i := fhir.ControlChar(s); i >= 0 {
		return badRequest("search parameter %q: the %s holds the control character U+%04X, which FHIR strings may not contain", name, what, s[i])
	}
	return nil
}
