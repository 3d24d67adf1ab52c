package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// AuthRequest is a validated authorization request.
type AuthRequest struct {
	Client      *Client
	RedirectURI string
	State       string
	Challenge   string
	Nonce       string
	// Scopes are what the app asked for (before narrowing to the user).
	Scopes auth.Scopes
	// Launch is the EHR launch id, if the app was launched from gpcloud.
	Launch string
}

// ParseAuthorize validates the query of GET /auth/authorize. When the
// client and redirect URI are valid but something else is not, it
// returns the request too, so the error can go back to the app; when
// they are not, the error must be shown to the user instead (never
// redirect to an unregistered URI).
func (s *Server) ParseAuthorize(ctx context.Context, q url.Values) (*AuthRequest, error) {
	c, err := LookupClient(ctx, s.Store, q.Get("client_id"))
	if errors.Is(err, ErrUnknownClient) {
		return nil, invalidRequest("unknown client_id %q", q.Get("client_id"))
	}
	if err != nil {
		return nil, err
	}
	if c.Kind == KindSystem {
		return nil, oauthError(http.StatusBadRequest, "unauthorized_client", "client %q is a backend service: it uses client_credentials", c.ID)
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(c.RedirectURIs) == 1 {
		redirect = c.RedirectURIs[0]
	}
	if !slices.Contains(c.RedirectURIs, redirect) {
		return nil, invalidRequest("redirect_uri %q is not registered for client %q", redirect, c.ID)
	}
	req := &AuthRequest{Client: c, RedirectURI: redirect, State: q.Get("state"), Challenge: q.Get("code_challenge"),
		Nonce: q.Get("nonce"), Launch: q.Get("launch")}
	if q.Get("response_type") != "code" {
		return req, oauthError(http.StatusBadRequest, "unsupported_response_type", "response_type must be code")
	}
	if req.Challenge == "" || q.Get("code_challenge_method") != "S256" {
		return req, invalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256")
	}
	if aud := strings.TrimRight(q.Get("aud"), "/"); aud != strings.TrimRight(s.FHIRBaseURL, "/") {
		return req, invalidRequest("aud %q is not this server's FHIR base URL %s", q.Get("aud"), s.FHIRBaseURL)
	}
	if req.Scopes, err = auth.ParseScopes(q.Get("scope")); err != nil {
		return req, invalidScope("%v", err)
	}
	if len(req.Scopes.Rules) == 0 && !req.Scopes.Has("openid") {
		return req, invalidScope("ask for at least one resource scope")
	}
	return req, nil
}

// User is who approved a request, as the sign-in established them.
type User struct {
	Subject  string
	Role     auth.Role
	Practice string
	Patients []string
	FHIRUser string
	AuthTime time.Time
}

// Grantable returns the scopes a request may be granted for a user: what
// the app asked for, within what the client may have and what the
// user's role allows.
func (s *Server) Grantable(req *AuthRequest, u User) auth.Scopes {
	client, _ := auth.ParseScopes(req.Client.Scopes + " openid fhirUser launch launch/patient offline_access online_access")
	return req.Scopes.Intersect(client).Intersect(auth.ScopesOf(u.Role))
}

// Approve records the user's consent to granted (at most Grantable) with
// the patient in context, if any, and returns where to send the browser:
// the redirect URI with the code and state.
func (s *Server) Approve(ctx context.Context, req *AuthRequest, u User, granted auth.Scopes, patient string) (string, error) {
	patients := u.Patients
	if patient != "" {
		if (u.Role == auth.RolePatient || u.Role == auth.RoleProxy) && !slices.Contains(u.Patients, patient) {
			return "", errors.New("that patient is not one whose records you reach")
		}
		patients = []string{patient}
	}
	g := &grant{ClientID: req.Client.ID, RedirectURI: req.RedirectURI, Challenge: req.Challenge, Nonce: req.Nonce,
		Subject: u.Subject, Role: u.Role, Practice: u.Practice, Patients: patients, FHIRUser: u.FHIRUser,
		Scope: granted.String(), AuthTime: u.AuthTime}
	code, err := s.put(ctx, codeKind, g, CodeTTL)
	if err != nil {
		return "", err
	}
	return withQuery(req.RedirectURI, url.Values{"code": {code}, "state": {req.State}}), nil
}

// Deny returns where to send the browser when the user refuses.
func Deny(req *AuthRequest) string {
	return ErrorRedirect(req, oauthError(http.StatusForbidden, "access_denied", "the user did not allow access"))
}

// ErrorRedirect returns the redirect URI carrying an error.
func ErrorRedirect(req *AuthRequest, err error) string {
	e := &Error{Code: "server_error", Description: "internal error"}
	errors.As(err, &e)
	return withQuery(req.RedirectURI, url.Values{"error": {e.Code}, "error_description": {e.Description}, "state": {req.State}})
}

func withQuery(u string, v url.Values) string {
	if v.Get("state") == "" {
		v.Del("state")
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + v.Encode()
}

// authorizationCode redeems a code.
func (s *Server) authorizationCode(ctx context.Context, form url.Values) (*TokenResponse, *auth.Principal, error) {
	g, err := s.take(ctx, codeKind, form.Get("code"))
	if err != nil {
		return nil, nil, err
	}
	if g == nil {
		return nil, nil, invalidGrant("the code is unknown, used or expired")
	}
	if err := s.checkClient(ctx, form, g.ClientID); err != nil {
		return nil, nil, err
	}
	if form.Get("redirect_uri") != g.RedirectURI {
		return nil, nil, invalidGrant("redirect_uri differs from the authorization request's")
	}
	if form.Get("code_verifier") == "" || auth.PKCEChallenge(form.Get("code_verifier")) != g.Challenge {
		return nil, nil, invalidGrant("code_verifier does not match the code_challenge")
	}
	return s.issueForUser(ctx, g)
}

// checkClient authenticates the client of a code or refresh token: a
// confidential client by assertion, a public one by its id.
func (s *Server) checkClient(ctx context.Context, form url.Values, clientID string) error {
	c, err := LookupClient(ctx, s.Store, clientID)
	if err != nil {
		return invalidClient("client %q is no longer registered", clientID)
	}
	if c.Kind == KindConfidential {
		got, err := s.authenticateClient(ctx, form.Get("client_id"), form.Get("client_assertion_type"), form.Get("client_assertion"))
		if err != nil {
			return err
		}
		if got.ID != clientID {
			return invalidGrant("the grant was issued to another client")
		}
		return nil
	}
	if form.Get("client_id") != clientID {
		return invalidGrant("the grant was issued to another client")
	}
	return nil
}

// issueForUser issues an access token (and a refresh token when
// offline_access or online_access was granted) for a user's grant.
func (s *Server) issueForUser(ctx context.Context, g *grant) (*TokenResponse, *auth.Principal, error) {
	if s.UserCheck != nil {
		if err := s.UserCheck(ctx, g.Subject, g.ClientID); err != nil {
			return nil, nil, invalidGrant("%s", err.Error())
		}
	}
	p, err := g.principal()
	if err != nil {
		return nil, nil, err
	}
	refresh := ""
	if ttl := refreshTTL(p.Scopes); ttl > 0 {
		next := *g
		next.RedirectURI, next.Challenge, next.Nonce = "", "", ""
		if next.Family == "" {
			next.Family = auth.NewSecret()
		}
		if refresh, err = s.put(ctx, refreshKind, &next, ttl); err != nil {
			return nil, nil, err
		}
	}
	resp, p, err := s.issue(ctx, p, UserTokenTTL, refresh)
	if err != nil {
		return nil, nil, err
	}
	if p.Scopes.Has("openid") {
		if resp.IDToken, err = s.Tokens.IDToken(ctx, p, g.ClientID, g.Nonce, g.AuthTime, UserTokenTTL); err != nil {
			return nil, nil, err
		}
	}
	return resp, p, nil
}

func refreshTTL(s auth.Scopes) time.Duration {
	switch {
	case s.Has("offline_access"):
		return RefreshTTL
	case s.Has("online_access"):
		return OnlineRefreshTTL
	}
	return 0
}

// refresh rotates a refresh token: the one presented is used up and a new
// one issued with the same grant (or narrower scopes, if asked).
func (s *Server) refresh(ctx context.Context, form url.Values) (*TokenResponse, *auth.Principal, error) {
	g, err := s.take(ctx, refreshKind, form.Get("refresh_token"))
	if err != nil {
		return nil, nil, err
	}
	if g == nil {
		return nil, nil, invalidGrant("the refresh token is unknown, used or expired (they are rotated: use the newest)")
	}
	if err := s.checkClient(ctx, form, g.ClientID); err != nil {
		return nil, nil, err
	}
	if scope := form.Get("scope"); scope != "" {
		narrowed, err := grantable(scope, g.Scope)
		if err != nil {
			return nil, nil, err
		}
		g.Scope = narrowed.String()
	}
	return s.issueForUser(ctx, g)
}

// Introspection is RFC 7662's answer.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Patient   string `json:"patient,omitempty"`
	FHIRUser  string `json:"fhirUser,omitempty"`
	TokenType string `json:"token_type,omitempty"`
}

const revokedKind = "revoked-token"

// Introspect tells whether an access token is active.
func (s *Server) Introspect(ctx context.Context, token string) (*Introspection, error) {
	p, exp, err := s.Tokens.VerifyWithExpiry(ctx, token)
	if err != nil {
		return &Introspection{Active: false}, nil
	}
	if _, err := s.Store.GetRecord(ctx, revokedKind, p.TokenID); err == nil {
		return &Introspection{Active: false}, nil
	}
	in := &Introspection{Active: true, Scope: p.Scopes.String(), ClientID: p.ClientID, Sub: p.Subject, Exp: exp.Unix(),
		FHIRUser: p.FHIRUser, TokenType: "Bearer"}
	if len(p.Patients) == 1 {
		in.Patient = p.Patients[0]
	}
	return in, nil
}

// Revoke ends a refresh token (and its rotation family's current
// token), or marks an access token revoked for introspection. Unknown
// tokens are not an error (RFC 7009).
func (s *Server) Revoke(ctx context.Context, token string) error {
	if g, err := s.take(ctx, refreshKind, token); err != nil || g != nil {
		return err
	}
	p, exp, err := s.Tokens.VerifyWithExpiry(ctx, token)
	if err != nil {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"sub": p.Subject})
	return s.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: revokedKind, ID: p.TokenID, Body: body, Expires: exp})
	})
}

// RevocationCache returns a revoked-token check for the resource server
// that answers from memory, reloading the list from the store at most
// every interval (so a revocation takes effect within it, on every
// server sharing the store).
func (s *Server) RevocationCache(interval time.Duration) func(ctx context.Context, tokenID string) bool {
	var mu sync.Mutex
	var revoked map[string]bool
	var loaded time.Time
	return func(ctx context.Context, tokenID string) bool {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(loaded) >= interval {
			recs, err := s.Store.ListRecords(ctx, revokedKind)
			if err == nil {
				revoked = make(map[string]bool, len(recs))
				for _, r := range recs {
					revoked[r.ID] = true
				}
				loaded = time.Now()
			}
		}
		return revoked[tokenID]
	}
}
