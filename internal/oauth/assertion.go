package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gpcloud/gpcloud/internal/store"
)

// AssertionType is the client_assertion_type of private_key_jwt.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionAlgs are the signature algorithms SMART asks servers to
// accept for client assertions. Anything else (none, HMAC, RS256...) is
// refused before a key is chosen.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS384, jose.ES384}

// maxAssertionLife bounds exp - now: SMART asks for at most five minutes.
const maxAssertionLife = 5 * time.Minute

const assertionLeeway = 30 * time.Second

// usedAssertionKind records accepted assertion ids until they expire.
const usedAssertionKind = "jti"

// authenticateClient checks a client assertion and returns its client.
// clientID, when the request names one, must match the assertion.
func (s *Server) authenticateClient(ctx context.Context, clientID, assertionType, assertion string) (*Client, error) {
	if assertionType != AssertionType || assertion == "" {
		return nil, invalidClient("authenticate with client_assertion_type=%s and a signed client_assertion", AssertionType)
	}
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err != nil {
		return nil, invalidClient("client_assertion: %v (RS384 and ES384 are accepted)", err)
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, invalidClient("client_assertion: %v", err)
	}
	if clientID != "" && clientID != unverified.Issuer {
		return nil, invalidClient("client_assertion was issued by %q, not client_id %q", unverified.Issuer, clientID)
	}
	c, err := LookupClient(ctx, s.Store, unverified.Issuer)
	if errors.Is(err, ErrUnknownClient) {
		return nil, invalidClient("unknown client %q", unverified.Issuer)
	}
	if err != nil {
		return nil, err
	}
	if c.Kind == KindPublic {
		return nil, invalidClient("client %q is public: it has no keys to sign an assertion with", c.ID)
	}
	keys, err := s.clientKeys(ctx, c, tok.Headers[0].KeyID)
	if err != nil {
		return nil, invalidClient("client %q keys: %v", c.ID, err)
	}
	var claims jwt.Claims
	verified := false
	for _, k := range keys {
		if tok.Headers[0].KeyID != "" && k.KeyID != tok.Headers[0].KeyID {
			continue
		}
		if err := tok.Claims(k.Key, &claims); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, invalidClient("client_assertion signature does not verify with client %q's keys", c.ID)
	}
	now := s.now()
	if claims.Subject != c.ID {
		return nil, invalidClient("client_assertion: sub must be the client id")
	}
	if claims.Expiry == nil || claims.ID == "" {
		return nil, invalidClient("client_assertion needs exp and jti")
	}
	if claims.Expiry.Time().After(now.Add(maxAssertionLife + assertionLeeway)) {
		return nil, invalidClient("client_assertion expires more than five minutes from now")
	}
	err = claims.ValidateWithLeeway(jwt.Expected{Issuer: c.ID, AnyAudience: jwt.Audience{s.TokenURL}, Time: now}, assertionLeeway)
	if err != nil {
		return nil, invalidClient("client_assertion: %v (the audience must be %s)", err, s.TokenURL)
	}
	// Each assertion once: its jti is kept until it expires.
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: usedAssertionKind, ID: c.ID + "|" + claims.ID, Body: []byte{'1'},
			Expires: claims.Expiry.Time().Add(assertionLeeway)})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, invalidClient("client_assertion jti %q was used before: each assertion is accepted once", claims.ID)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// clientKeys returns the client's registered keys, or those at its JWKS
// URL (cached; fetched again when a key id is not found, at most every
// jwksRefetch).
func (s *Server) clientKeys(ctx context.Context, c *Client, kid string) ([]jose.JSONWebKey, error) {
	if c.JWKSURL == "" {
		if c.JWKS == nil {
			return nil, errors.New("none registered")
		}
		return c.JWKS.Keys, nil
	}
	return s.jwks.get(ctx, s.httpClient(), c.JWKSURL, kid)
}

const (
	jwksTTL     = 5 * time.Minute
	jwksRefetch = 10 * time.Second
	maxJWKSSize = 1 << 20
)

type jwksEntry struct {
	keys    []jose.JSONWebKey
	fetched time.Time
}

// jwksCache caches clients' key sets by URL.
type jwksCache struct {
	mu      sync.Mutex
	entries map[string]jwksEntry
}

func (jc *jwksCache) get(ctx context.Context, hc *http.Client, url, kid string) ([]jose.JSONWebKey, error) {
	jc.mu.Lock()
	e, ok := jc.entries[url]
	jc.mu.Unlock()
	has := func(keys []jose.JSONWebKey) bool {
		return kid == "" || slices.ContainsFunc(keys, func(k jose.JSONWebKey) bool { return k.KeyID == kid })
	}
	age := time.Since(e.fetched)
	if ok && age < jwksTTL && (has(e.keys) || age < jwksRefetch) {
		return e.keys, nil
	}
	keys, err := fetchJWKS(ctx, hc, url)
	if err != nil {
		if ok {
			return e.keys, nil // keep using what worked while the URL is down
		}
		return nil, err
	}
	jc.mu.Lock()
	if jc.entries == nil {
		jc.entries = map[string]jwksEntry{}
	}
	jc.entries[url] = jwksEntry{keys: keys, fetched: time.Now()}
	jc.mu.Unlock()
	return keys, nil
}

func fetchJWKS(ctx context.Context, hc *http.Client, url string) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: status %d", url, resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSSize)).Decode(&set); err != nil {
		return nil, fmt.Errorf("fetch %s: %v", url, err)
	}
	var public []jose.JSONWebKey
	for _, k := range set.Keys {
		if k.IsPublic() && k.Valid() {
			public = append(public, k)
		}
	}
	return public, nil
}
