package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gpcloud/gpcloud/internal/auth"
)

// claims are an access token's claims: the registered ones, SMART's
// (scope, client_id, fhirUser, patient) and gpcloud's own.
type claims struct {
	jwt.Claims
	Scope    string   `json:"scope"`
	ClientID string   `json:"client_id,omitempty"`
	FHIRUser string   `json:"fhirUser,omitempty"`
	Patient  string   `json:"patient,omitempty"` // launch context
	Role     string   `json:"gpcloud_role,omitempty"`
	Practice string   `json:"gpcloud_practice,omitempty"`
	Patients []string `json:"gpcloud_patients,omitempty"`
	Cnf      *cnf     `json:"cnf,omitempty"`
}

// cnf is RFC 8705's confirmation claim of a certificate-bound token.
type cnf struct {
	X5tS256 string `json:"x5t#S256"`
}

// Authority issues and verifies access tokens for one issuer and audience.
type Authority struct {
	Keys *Keys
	// Issuer is the authorization server's URL (the iss claim).
	Issuer string
	// Audience is the FHIR base URL the tokens are for (the aud claim).
	Audience string
	// Revoked, when set, reports revoked token ids (checked after the
	// signature; it should answer from memory).
	Revoked func(ctx context.Context, tokenID string) bool
	now     func() time.Time
	cache   verifiedCache
}

// NewAuthority returns an authority signing with keys.
func NewAuthority(keys *Keys, issuer, audience string) *Authority {
	return &Authority{Keys: keys, Issuer: issuer, Audience: audience, now: time.Now}
}

// MaxTTL bounds the lifetime of an access token. Keys verify for one
// rotation period after they stop signing, which must outlast it.
const MaxTTL = 24 * time.Hour

// leeway is the clock skew allowed on exp, nbf and iat.
const leeway = 30 * time.Second

// Issue signs an access token for p, valid for ttl.
func (a *Authority) Issue(ctx context.Context, p *auth.Principal, ttl time.Duration) (token string, expires time.Time, err error) {
	if ttl <= 0 || ttl > MaxTTL {
		return "", time.Time{}, fmt.Errorf("token lifetime %s: want more than 0 and at most %s", ttl, MaxTTL)
	}
	sk, err := a.Keys.current(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: sk.private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", sk.KID))
	if err != nil {
		return "", time.Time{}, err
	}
	now := a.now()
	expires = now.Add(ttl)
	c := claims{
		Claims: jwt.Claims{
			Issuer:   a.Issuer,
			Subject:  p.Subject,
			Audience: jwt.Audience{a.Audience},
			Expiry:   jwt.NewNumericDate(expires),
			IssuedAt: jwt.NewNumericDate(now),
			ID:       auth.NewSecret(),
		},
		Scope:    p.Scopes.String(),
		ClientID: p.ClientID,
		FHIRUser: p.FHIRUser,
		Role:     string(p.Role),
		Practice: p.Practice,
		Patients: p.Patients,
	}
	if len(p.Patients) == 1 {
		c.Patient = p.Patients[0]
	}
	if p.CertThumbprint != "" {
		c.Cnf = &cnf{X5tS256: p.CertThumbprint}
	}
	token, err = jwt.Signed(signer).Claims(c).Serialize()
	return token, expires, err
}

// ErrInvalid wraps every reason a token is refused.
var ErrInvalid = errors.New("invalid access token")

// Verify checks a token and returns the principal it describes.
func (a *Authority) Verify(ctx context.Context, token string) (*auth.Principal, error) {
	p, _, err := a.VerifyWithExpiry(ctx, token)
	return p, err
}

// VerifyWithExpiry is Verify that also returns when the token expires.
// A token verified before is answered from a cache (keyed by the whole
// token, until it expires): a client sends one token with many requests,
// and checking its signature each time would cost more than the read it
// guards. Revocation is still checked on every call.
func (a *Authority) VerifyWithExpiry(ctx context.Context, token string) (*auth.Principal, time.Time, error) {
	now := a.now()
	if e, ok := a.cache.get(token, now); ok {
		if a.Revoked != nil && a.Revoked(ctx, e.p.TokenID) {
			return nil, time.Time{}, fmt.Errorf("%w: revoked", ErrInvalid)
		}
		p := *e.p // callers may set per-request fields (break-glass)
		return &p, e.exp, nil
	}
	p, c, err := a.verify(ctx, token)
	if err != nil {
		return nil, time.Time{}, err
	}
	exp := c.Expiry.Time()
	cached := *p
	a.cache.put(token, verified{p: &cached, exp: exp}, now)
	return p, exp, nil
}

func (a *Authority) verify(ctx context.Context, token string) (*auth.Principal, *claims, error) {
	// Only ES256: a token claiming "none", an HMAC or any other algorithm
	// fails here, before a key is chosen.
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, nil, fmt.Errorf("%w: no key id", ErrInvalid)
	}
	sk, err := a.Keys.find(ctx, tok.Headers[0].KeyID)
	if err != nil {
		if errors.Is(err, errUnknownKey) {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return nil, nil, err
	}
	var c claims
	if err := tok.Claims(&sk.private.PublicKey, &c); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Expiry == nil {
		return nil, nil, fmt.Errorf("%w: no expiry", ErrInvalid)
	}
	err = c.ValidateWithLeeway(jwt.Expected{Issuer: a.Issuer, AnyAudience: jwt.Audience{a.Audience}, Time: a.now()}, leeway)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	scopes, err := auth.ParseScopes(c.Scope)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p := &auth.Principal{
		Subject:  c.Subject,
		ClientID: c.ClientID,
		Role:     auth.Role(c.Role),
		Practice: c.Practice,
		Patients: c.Patients,
		FHIRUser: c.FHIRUser,
		Scopes:   scopes,
		TokenID:  c.ID,
	}
	if c.Cnf != nil {
		p.CertThumbprint = c.Cnf.X5tS256
	}
	if len(p.Patients) == 0 && c.Patient != "" {
		p.Patients = []string{c.Patient}
	}
	if a.Revoked != nil && a.Revoked(ctx, c.ID) {
		return nil, nil, fmt.Errorf("%w: revoked", ErrInvalid)
	}
	return p, &c, nil
}

// idClaims are an OpenID Connect ID token's claims.
type idClaims struct {
	jwt.Claims
	Nonce    string `json:"nonce,omitempty"`
	AuthTime int64  `json:"auth_time,omitempty"`
	FHIRUser string `json:"fhirUser,omitempty"`
}

// IDToken signs an OpenID Connect ID token for p, addressed to the client.
func (a *Authority) IDToken(ctx context.Context, p *auth.Principal, clientID, nonce string, authTime time.Time, ttl time.Duration) (string, error) {
	sk, err := a.Keys.current(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: sk.private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", sk.KID))
	if err != nil {
		return "", err
	}
	now := a.now()
	c := idClaims{
		Claims: jwt.Claims{Issuer: a.Issuer, Subject: p.Subject, Audience: jwt.Audience{clientID},
			Expiry: jwt.NewNumericDate(now.Add(ttl)), IssuedAt: jwt.NewNumericDate(now), ID: auth.NewSecret()},
		Nonce: nonce, FHIRUser: p.FHIRUser,
	}
	if !authTime.IsZero() {
		c.AuthTime = authTime.Unix()
	}
	return jwt.Signed(signer).Claims(c).Serialize()
}
