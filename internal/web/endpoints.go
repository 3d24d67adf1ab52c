package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/oauth"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOAuthError(w http.ResponseWriter, err error) {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		oe = &oauth.Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "internal error"}
	}
	if oe.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gpcloud"`)
	}
	writeJSON(w, oe.Status, oe)
}

// token is the token endpoint (form-encoded, RFC 6749 section 3.2).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, &oauth.Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: "the body must be form-encoded"})
		return
	}
	ctx := r.Context()
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		ctx = oauth.WithClientCertificate(ctx, r.TLS.VerifiedChains[0][0])
	}
	resp, p, err := s.opts.OAuth.Token(ctx, r.PostForm)
	if s.opts.Audit != nil {
		e := audit.Event{Interaction: "token", Action: "E", Status: http.StatusOK, Principal: p, Address: clientAddr(r),
			Path: r.Method + " " + r.URL.Path, Detail: "grant " + r.PostForm.Get("grant_type")}
		if err != nil {
			e.Status, e.Detail = http.StatusBadRequest, e.Detail+" refused: "+err.Error()
		}
		s.opts.Audit.Record(e)
	}
	if err != nil {
		if !isOAuthError(err) {
			s.opts.Logger.Error("token request failed", "error", err)
		}
		writeOAuthError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func isOAuthError(err error) bool {
	var oe *oauth.Error
	return errors.As(err, &oe)
}

// introspect answers RFC 7662 for resource servers: callers present a
// system client's access token.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	caller, err := s.opts.OAuth.Tokens.Verify(r.Context(), strings.TrimSpace(tok))
	if !strings.EqualFold(scheme, "Bearer") || err != nil || caller.Role != auth.RoleSystem {
		writeOAuthError(w, &oauth.Error{Status: http.StatusUnauthorized, Code: "invalid_client", Description: "introspection needs a system client's bearer token"})
		return
	}
	in, err := s.opts.OAuth.Introspect(r.Context(), r.PostFormValue("token"))
	if err != nil {
		writeOAuthError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// revoke is RFC 7009: it answers 200 whether or not the token was known.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.OAuth.Revoke(r.Context(), r.PostFormValue("token")); err != nil {
		writeOAuthError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// smartConfiguration is SMART App Launch 2.0's discovery document. It
// lists only what the server does.
func (s *Server) smartConfiguration(w http.ResponseWriter, r *http.Request) {
	o := s.opts.Origin
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.opts.OAuth.Tokens.Issuer,
		"jwks_uri":                              o + "/.well-known/jwks.json",
		"authorization_endpoint":                o + "/auth/authorize",
		"token_endpoint":                        o + "/auth/token",
		"introspection_endpoint":                o + "/auth/introspect",
		"revocation_endpoint":                   o + "/auth/revoke",
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt", "none"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS384", "ES384"},
		"grant_types_supported":                            []string{"authorization_code", "client_credentials", "refresh_token"},
		"response_types_supported":                         []string{"code"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"scopes_supported": []string{"openid", "fhirUser", "launch", "launch/patient", "offline_access", "online_access",
			"patient/*.rs", "user/*.rs", "system/*.rs", "patient/*.read", "user/*.read", "system/*.read"},
		"capabilities": []string{"launch-standalone", "launch-ehr", "context-ehr-patient", "client-public", "client-confidential-asymmetric",
			"context-standalone-patient", "permission-offline", "permission-online", "permission-patient",
			"permission-user", "permission-v1", "permission-v2", "sso-openid-connect"},
	})
}
