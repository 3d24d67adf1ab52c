package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Server is the authorization server.
type Server struct {
	Store  store.Store
	Tokens *tokens.Authority
	// TokenURL is the token endpoint's public URL: client assertions
	// must name it as their audience.
	TokenURL string
	// FHIRBaseURL is the resource server apps ask for (aud).
	FHIRBaseURL string
	// HTTP fetches clients' JWKS URLs; nil uses a client with a timeout.
	HTTP *http.Client
	// UserCheck, when set, is asked before tokens are issued to a user
	// (a code exchanged, a refresh token used): an error refuses them,
	// so that a suspended account, or an app its practice no longer
	// allows, gets no new token from a grant made before.
	UserCheck func(ctx context.Context, subject, clientID string) error

	now  func() time.Time
	jwks jwksCache
}

// Lifetimes of what the server issues.
const (
	SystemTokenTTL = 5 * time.Minute // SMART Backend Services recommends at most five
	UserTokenTTL   = time.Hour
	CodeTTL        = time.Minute
	RefreshTTL     = 30 * 24 * time.Hour
	// OnlineRefreshTTL bounds refresh tokens granted for online_access.
	OnlineRefreshTTL = 12 * time.Hour
)

// NewServer returns an authorization server.
func NewServer(st store.Store, tok *tokens.Authority, tokenURL, fhirBase string) *Server {
	return &Server{Store: st, Tokens: tok, TokenURL: tokenURL, FHIRBaseURL: fhirBase, now: time.Now}
}

func (s *Server) httpClient() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{Timeout: 5 * time.Second}
}

// TokenResponse is the token endpoint's answer, with SMART's launch
// context.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Patient      string `json:"patient,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// Token runs a token request (the form of POST /auth/token) and returns
// the response and the principal it was issued to.
func (s *Server) Token(ctx context.Context, form url.Values) (*TokenResponse, *auth.Principal, error) {
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
		return s.clientCredentials(ctx, form)
	case "authorization_code":
		return s.authorizationCode(ctx, form)
	case "refresh_token":
		return s.refresh(ctx, form)
	case "":
		return nil, nil, invalidRequest("grant_type is required")
	default:
		return nil, nil, oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type %q is not supported (client_credentials, authorization_code, refresh_token are)", gt)
	}
}

// clientCredentials is SMART Backend Services.
func (s *Server) clientCredentials(ctx context.Context, form url.Values) (*TokenResponse, *auth.Principal, error) {
	c, err := s.authenticateClient(ctx, form.Get("client_id"), form.Get("client_assertion_type"), form.Get("client_assertion"))
	if err != nil {
		return nil, nil, err
	}
	if c.Kind != KindSystem {
		return nil, nil, oauthError(http.StatusBadRequest, "unauthorized_client", "client %q is registered for user apps, not client_credentials", c.ID)
	}
	granted, err := grantable(form.Get("scope"), c.Scopes)
	if err != nil {
		return nil, nil, err
	}
	p := &auth.Principal{Subject: c.ID, ClientID: c.ID, Role: auth.RoleSystem, Scopes: granted}
	if c.MTLS {
		cert := ClientCertificate(ctx)
		if cert == nil || cert.Subject.CommonName != c.ID {
			return nil, nil, invalidClient("client %q must connect with mutual TLS, presenting a certificate issued to it", c.ID)
		}
		p.CertThumbprint = Thumbprint(cert)
	}
	return s.issue(ctx, p, SystemTokenTTL, "")
}

// grantable narrows requested scopes to what allowed permits.
func grantable(requested, allowed string) (auth.Scopes, error) {
	if strings.TrimSpace(requested) == "" {
		return auth.Scopes{}, invalidScope("scope is required")
	}
	req, err := auth.ParseScopes(requested)
	if err != nil {
		return auth.Scopes{}, invalidScope("%v", err)
	}
	max, err := auth.ParseScopes(allowed)
	if err != nil {
		return auth.Scopes{}, err
	}
	granted := req.Intersect(max)
	if len(granted.Rules) == 0 {
		return auth.Scopes{}, invalidScope("none of the requested scopes %q is allowed for this client (it may have %q)", requested, allowed)
	}
	return granted, nil
}

func (s *Server) issue(ctx context.Context, p *auth.Principal, ttl time.Duration, refresh string) (*TokenResponse, *auth.Principal, error) {
	tok, exp, err := s.Tokens.Issue(ctx, p, ttl)
	if err != nil {
		return nil, nil, err
	}
	resp := &TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(time.Until(exp).Round(time.Second).Seconds()),
		Scope: p.Scopes.String(), RefreshToken: refresh}
	if p.Scopes.Has("launch/patient") || p.Scopes.Has("launch") || p.Role == auth.RolePatient || p.Role == auth.RoleProxy {
		if len(p.Patients) == 1 {
			resp.Patient = p.Patients[0]
		}
	}
	return resp, p, nil
}

// grant is what an authorization code or a refresh token stands for.
type grant struct {
	ClientID    string    `json:"clientId"`
	RedirectURI string    `json:"redirectUri,omitempty"`
	Challenge   string    `json:"challenge,omitempty"`
	Nonce       string    `json:"nonce,omitempty"`
	Subject     string    `json:"sub"`
	Role        auth.Role `json:"role"`
	Practice    string    `json:"practice,omitempty"`
	Patients    []string  `json:"patients,omitempty"`
	FHIRUser    string    `json:"fhirUser,omitempty"`
	Scope       string    `json:"scope"`
	// Family links a chain of rotated refresh tokens; AuthTime is when
	// the user signed in.
	Family   string    `json:"family,omitempty"`
	AuthTime time.Time `json:"authTime"`
}

func (g *grant) principal() (*auth.Principal, error) {
	s, err := auth.ParseScopes(g.Scope)
	if err != nil {
		return nil, err
	}
	return &auth.Principal{Subject: g.Subject, ClientID: g.ClientID, Role: g.Role, Practice: g.Practice,
		Patients: g.Patients, FHIRUser: g.FHIRUser, Scopes: s}, nil
}

const (
	codeKind    = "auth-code"
	refreshKind = "refresh-token"
)

// take reads and deletes a one-time record (a code, a refresh token) in
// one transaction: two requests racing with the same one cannot both win.
func (s *Server) take(ctx context.Context, kind, token string) (*grant, error) {
	rec, ok, err := store.TakeRecord(ctx, s.Store, kind, auth.HashSecret(token))
	if err != nil || !ok {
		return nil, err
	}
	var g grant
	if err := json.Unmarshal(rec.Body, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

func (s *Server) put(ctx context.Context, kind string, g *grant, ttl time.Duration) (string, error) {
	tok := auth.NewSecret()
	body, err := json.Marshal(g)
	if err != nil {
		return "", err
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: kind, ID: auth.HashSecret(tok), Body: body, Expires: s.now().Add(ttl)})
	})
	return tok, err
}
