package oauth

import (
	"fmt"
	"net/http"
)

// Error is an OAuth 2 error response (RFC 6749 section 5.2).
type Error struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func oauthError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Description: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *Error {
	return oauthError(http.StatusBadRequest, "invalid_request", format, args...)
}

func invalidClient(format string, args ...any) *Error {
	return oauthError(http.StatusUnauthorized, "invalid_client", format, args...)
}

func invalidGrant(format string, args ...any) *Error {
	return oauthError(http.StatusBadRequest, "invalid_grant", format, args...)
}

func invalidScope(format string, args ...any) *Error {
	return oauthError(http.StatusBadRequest, "invalid_scope", format, args...)
}
