package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// External is sign-in with an external OpenID Connect provider, the way
// NHS login serves patients and CIS2 serves staff: authorization code
// with PKCE (S256), the client authenticated by a signed assertion
// (private_key_jwt), the ID token verified against the provider's keys,
// and its claims mapped to a gpcloud account.
type External struct {
	// Name is shown on the sign-in page ("NHS login").
	Name     string
	Issuer   string
	ClientID string
	// Key signs client assertions; KeyID names it in their header (the
	// provider knows the public key under that id).
	Key   crypto.Signer
	KeyID string
	// Scopes asked for; "openid" is always included.
	Scopes []string
	// Mapping: PatientClaim names a claim holding an identifier of the
	// user's own Patient record in PatientSystem (NHS login's
	// nhs_number); UserClaim a claim equal to an existing gpcloud
	// username (CIS2 staff linked by email, say). Either or both.
	PatientClaim  string
	PatientSystem string
	UserClaim     string
	HTTP          *http.Client

	mu        sync.Mutex
	discovery *discovery
	keys      *jose.JSONWebKeySet
	keysAt    time.Time
}

type discovery struct {
	Issuer   string `json:"issuer"`
	Authz    string `json:"authorization_endpoint"`
	Token    string `json:"token_endpoint"`
	UserInfo string `json:"userinfo_endpoint"`
	JWKS     string `json:"jwks_uri"`
}

// NHSNumberSystem is the identifier system of NHS numbers.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

func (e *External) client() *http.Client {
	if e.HTTP != nil {
		return e.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (e *External) getJSON(ctx context.Context, u, bearer string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

func (e *External) discover(ctx context.Context) (*discovery, error) {
	e.mu.Lock()
	d := e.discovery
	e.mu.Unlock()
	if d != nil {
		return d, nil
	}
	d = &discovery{}
	if err := e.getJSON(ctx, strings.TrimRight(e.Issuer, "/")+"/.well-known/openid-configuration", "", d); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if d.Issuer != e.Issuer {
		return nil, fmt.Errorf("discovery: the provider calls itself %q, not %q", d.Issuer, e.Issuer)
	}
	e.mu.Lock()
	e.discovery = d
	e.mu.Unlock()
	return d, nil
}

// Start is what to remember between the redirect to the provider and
// its callback (kept server-side, keyed by State).
type Start struct {
	State, Nonce, Verifier string
}

// AuthURL begins a sign-in: it returns the provider URL to send the
// browser to and what the callback will need.
func (e *External) AuthURL(ctx context.Context, redirectURI string) (string, Start, error) {
	d, err := e.discover(ctx)
	if err != nil {
		return "", Start{}, err
	}
	st := Start{State: auth.NewSecret(), Nonce: auth.NewSecret(), Verifier: auth.NewSecret()}
	scopes := append([]string{"openid"}, e.Scopes...)
	q := url.Values{"response_type": {"code"}, "client_id": {e.ClientID}, "redirect_uri": {redirectURI},
		"scope": {strings.Join(slices.Compact(scopes), " ")}, "state": {st.State}, "nonce": {st.Nonce},
		"code_challenge": {auth.PKCEChallenge(st.Verifier)}, "code_challenge_method": {"S256"}}
	return d.Authz + "?" + q.Encode(), st, nil
}

// Exchange redeems the code and returns the verified claims of the ID
// token, completed from the userinfo endpoint for mapped claims it lacks.
func (e *External) Exchange(ctx context.Context, code, redirectURI string, st Start) (map[string]any, error) {
	d, err := e.discover(ctx)
	if err != nil {
		return nil, err
	}
	assertion, err := e.assertion(d)
	if err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {st.Verifier}, "client_id": {e.ClientID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Token, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var tr struct {
		IDToken     string `json:"id_token"`
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil {
		return nil, fmt.Errorf("token response: %v", err)
	}
	if resp.StatusCode != http.StatusOK || tr.IDToken == "" {
		return nil, fmt.Errorf("token request refused: %s %s %s", resp.Status, tr.Error, tr.Description)
	}
	claims, err := e.verifyIDToken(ctx, d, tr.IDToken, st.Nonce)
	if err != nil {
		return nil, err
	}
	if d.UserInfo != "" && tr.AccessToken != "" && ((e.PatientClaim != "" && claims[e.PatientClaim] == nil) || (e.UserClaim != "" && claims[e.UserClaim] == nil)) {
		var info map[string]any
		if err := e.getJSON(ctx, d.UserInfo, tr.AccessToken, &info); err == nil && info["sub"] == claims["sub"] {
			for k, v := range info {
				if _, ok := claims[k]; !ok {
					claims[k] = v
				}
			}
		}
	}
	return claims, nil
}

// assertion signs a private_key_jwt client assertion for the provider.
func (e *External) assertion(d *discovery) (string, error) {
	alg := jose.RS256
	if _, ok := e.Key.(*ecdsa.PrivateKey); ok {
		alg = jose.ES256
	} else if _, ok := e.Key.(*rsa.PrivateKey); !ok {
		return "", fmt.Errorf("the client key must be RSA or ECDSA")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: e.Key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", e.KeyID))
	if err != nil {
		return "", err
	}
	now := time.Now()
	return jwt.Signed(signer).Claims(jwt.Claims{Issuer: e.ClientID, Subject: e.ClientID, Audience: jwt.Audience{d.Token, d.Issuer},
		Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: auth.NewSecret()}).Serialize()
}

var idTokenAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.PS256, jose.PS512}

func (e *External) verifyIDToken(ctx context.Context, d *discovery, raw, nonce string) (map[string]any, error) {
	tok, err := jwt.ParseSigned(raw, idTokenAlgs)
	if err != nil {
		return nil, fmt.Errorf("ID token: %v", err)
	}
	keys, err := e.providerKeys(ctx, d, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	var std jwt.Claims
	var all map[string]any
	verified := false
	for _, k := range keys {
		if tok.Headers[0].KeyID != "" && k.KeyID != tok.Headers[0].KeyID {
			continue
		}
		if err := tok.Claims(k.Key, &std, &all); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, fmt.Errorf("ID token: signature does not verify with the provider's keys")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: d.Issuer, AnyAudience: jwt.Audience{e.ClientID}, Time: time.Now()}, time.Minute); err != nil {
		return nil, fmt.Errorf("ID token: %v", err)
	}
	if all["nonce"] != nonce {
		return nil, fmt.Errorf("ID token: nonce does not match this sign-in")
	}
	return all, nil
}

func (e *External) providerKeys(ctx context.Context, d *discovery, kid string) ([]jose.JSONWebKey, error) {
	e.mu.Lock()
	keys, at := e.keys, e.keysAt
	e.mu.Unlock()
	if keys != nil && time.Since(at) < 10*time.Minute && (kid == "" || len(keys.Key(kid)) > 0) {
		return keys.Keys, nil
	}
	var set jose.JSONWebKeySet
	if err := e.getJSON(ctx, d.JWKS, "", &set); err != nil {
		return nil, fmt.Errorf("provider keys: %w", err)
	}
	e.mu.Lock()
	e.keys, e.keysAt = &set, time.Now()
	e.mu.Unlock()
	return set.Keys, nil
}

// ClaimString reads a claim as a string.
func ClaimString(claims map[string]any, name string) string {
	switch v := claims[name].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprintf("%.0f", v)
	}
	return ""
}

const startKind = "oidc-start"

type savedStart struct {
	Start
	Next string `json:"next"`
}

// SaveStart keeps a sign-in's state until the provider calls back (ten
// minutes at most).
func SaveStart(ctx context.Context, st store.Store, s Start, next string) error {
	body, _ := json.Marshal(savedStart{Start: s, Next: next})
	return st.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: startKind, ID: auth.HashSecret(s.State), Body: body, Expires: time.Now().Add(10 * time.Minute)})
	})
}

// TakeStart returns and forgets a sign-in's state; ok is false when the
// state is unknown, used or expired.
func TakeStart(ctx context.Context, st store.Store, state string) (s Start, next string, ok bool, err error) {
	rec, ok, err := store.TakeRecord(ctx, st, startKind, auth.HashSecret(state))
	if err != nil || !ok {
		return Start{}, "", false, err
	}
	var saved savedStart
	if err := json.Unmarshal(rec.Body, &saved); err != nil {
		return Start{}, "", false, err
	}
	return saved.Start, saved.Next, true, nil
}

// LinkExternal returns the account of an external identity with a
// Patient record (creating it on first sign-in): role patient, linked
// to issuer and subject, with the identity proof of this sign-in (an NHS
// login level, "" when the provider gives none) unless the practice has
// recorded its own check (SetIdentityProof) and the sign-in is below P9.
func LinkExternal(ctx context.Context, st store.Store, issuer, subject, patientID, name, proof string) (*User, error) {
	id := "ext-" + auth.HashSecret(issuer + "|" + subject)[:24]
	var u *User
	err := st.InTx(ctx, func(tx store.Tx) error {
		existing, err := GetUser(ctx, tx, id)
		switch {
		case err == nil:
			u = existing
		case errors.Is(err, ErrNoUser):
			u = &User{ID: id, Role: auth.RolePatient, Created: time.Now().UTC()}
		default:
			return err
		}
		u.Name, u.Patients, u.FHIRUser, u.External = name, []string{patientID}, "Patient/"+patientID, issuer+"|"+subject
		// The level of this sign-in, except that a check the practice
		// recorded (photo ID seen, vouched) stands unless NHS login says P9.
		if proof == "P9" || (u.IdentityProof != "vouched" && u.IdentityProof != "photo-id") {
			u.IdentityProof = proof
		}
		return PutUser(ctx, tx, u)
	})
	return u, err
}
