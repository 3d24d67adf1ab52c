package fhir

import (
	"fmt"
	"net/http"
	"strings"
)

// Issue severities and codes used by this server (FHIR value sets
// issue-severity and issue-type).
const (
	SeverityFatal       = "fatal"
	SeverityError       = "error"
	SeverityWarning     = "warning"
	SeverityInformation = "information"

	CodeInvalid       = "invalid"
	CodeStructure     = "structure"
	CodeRequired      = "required"
	CodeValue         = "value"
	CodeInvariant     = "invariant"
	CodeCodeInvalid   = "code-invalid"
	CodeNotFound      = "not-found"
	CodeDeleted       = "deleted"
	CodeConflict      = "conflict"
	CodeDuplicate     = "duplicate"
	CodeMultipleMatch = "multiple-matches"
	CodeNotSupported  = "not-supported"
	CodeTooLong       = "too-long"
	CodeTooCostly     = "too-costly"
	CodeThrottled     = "throttled"
	CodeProcessing    = "processing"
	CodeException     = "exception"
	CodeInformational = "informational"
	CodeSecurity      = "security"
	CodeLogin         = "login"
	CodeForbidden     = "forbidden"
	CodeTimeout       = "timeout"
	CodeTransient     = "transient"
	CodeBusinessRule  = "business-rule"
)

// Issue is one OperationOutcome.issue.
type Issue struct {
	Severity    string
	Code        string
	Diagnostics string
	// Expression holds FHIRPath expressions locating the element at fault,
	// for example "Patient.name[0].given[1]".
	Expression []string
}

// Error is a failure that the HTTP layer turns into an OperationOutcome
// with Status as the HTTP status code.
type Error struct {
	Status int
	Issues []Issue
}

// Errorf returns an *Error with one issue of severity error.
func Errorf(status int, code string, format string, args ...any) *Error {
	return &Error{Status: status, Issues: []Issue{{Severity: SeverityError, Code: code, Diagnostics: fmt.Sprintf(format, args...)}}}
}

// At returns a copy of e whose issues without an expression point at expr.
func (e *Error) At(expr string) *Error {
	out := &Error{Status: e.Status, Issues: make([]Issue, len(e.Issues))}
	for i, is := range e.Issues {
		if len(is.Expression) == 0 && expr != "" {
			is.Expression = []string{expr}
		}
		out.Issues[i] = is
	}
	return out
}

func (e *Error) Error() string {
	parts := make([]string, 0, len(e.Issues))
	for _, is := range e.Issues {
		s := is.Diagnostics
		if len(is.Expression) > 0 {
			s = strings.Join(is.Expression, ",") + ": " + s
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), strings.Join(parts, "; "))
}

// OperationOutcome renders issues as an OperationOutcome resource.
func OperationOutcome(issues []Issue) Resource {
	list := make([]any, 0, len(issues))
	for _, is := range issues {
		m := map[string]any{"severity": is.Severity, "code": is.Code}
		if is.Diagnostics != "" {
			m["diagnostics"] = is.Diagnostics
		}
		if len(is.Expression) > 0 {
			ex := make([]any, len(is.Expression))
			for i, e := range is.Expression {
				ex[i] = e
			}
			m["expression"] = ex
		}
		list = append(list, m)
	}
	return Resource{"resourceType": "OperationOutcome", "issue": list}
}

// HasErrors reports whether any issue is of severity error or fatal.
func HasErrors(issues []Issue) bool {
	for _, is := range issues {
		if is.Severity == SeverityError || is.Severity == SeverityFatal {
			return true
		}
	}
	return false
}
