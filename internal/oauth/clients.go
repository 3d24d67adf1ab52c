package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Client kinds.
const (
	// KindSystem is a backend service: client_credentials with a signed
	// assertion, no user.
	KindSystem = "system"
	// KindConfidential is an app with a server side: authorization code
	// with a signed assertion.
	KindConfidential = "confidential"
	// KindPublic is an app in a browser or on a device: authorization
	// code with PKCE and no client authentication.
	KindPublic = "public"
)

// Client is a registered app.
type Client struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// RedirectURIs are where authorization responses may go (exact match).
	RedirectURIs []string `json:"redirectUris,omitempty"`
	// Scopes are the most the client may be granted.
	Scopes string `json:"scopes"`
	// JWKS holds the client's public keys; JWKSURL, when set, is where
	// they are fetched instead (so the client can rotate them).
	JWKS    *jose.JSONWebKeySet `json:"jwks,omitempty"`
	JWKSURL string              `json:"jwksUrl,omitempty"`
	// LaunchURL is where gpcloud sends the browser to launch the app
	// from a patient's record (SMART EHR launch).
	LaunchURL string `json:"launchUrl,omitempty"`
	// MTLS requires a system client to also present, over mutual TLS, a
	// certificate issued to its id (subject CN); its tokens are then
	// bound to that certificate.
	MTLS    bool      `json:"mtls,omitempty"`
	Created time.Time `json:"created"`
}

const clientKind = "client"

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._\-]{1,64}$`)

// Validate checks a registration.
func (c *Client) Validate() error {
	if !clientIDPattern.MatchString(c.ID) {
		return fmt.Errorf("client id %q: use 1-64 letters, digits, '.', '_' or '-'", c.ID)
	}
	switch c.Kind {
	case KindSystem, KindConfidential:
		if (c.JWKS == nil || len(c.JWKS.Keys) == 0) && c.JWKSURL == "" {
			return fmt.Errorf("a %s client needs public keys (a JWKS or a JWKS URL) to authenticate with", c.Kind)
		}
	case KindPublic:
	default:
		return fmt.Errorf("client kind %q: want system, confidential or public", c.Kind)
	}
	if c.Kind != KindSystem && len(c.RedirectURIs) == 0 {
		return fmt.Errorf("a %s client needs at least one redirect URI", c.Kind)
	}
	for _, u := range c.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || p.Host == "" || p.Fragment != "" {
			return fmt.Errorf("redirect URI %q: want an absolute URL without a fragment", u)
		}
	}
	if c.JWKS != nil {
		for _, k := range c.JWKS.Keys {
			if !k.IsPublic() || !k.Valid() {
				return fmt.Errorf("key %q: the JWKS must hold valid public keys only", k.KeyID)
			}
		}
	}
	s, err := auth.ParseScopes(c.Scopes)
	if err != nil {
		return err
	}
	for _, r := range s.Rules {
		if c.Kind == KindSystem && r.Context != auth.SystemContext {
			return fmt.Errorf("scope %s: a system client is granted system/ scopes only", r.Context)
		}
		if c.Kind != KindSystem && r.Context == auth.SystemContext {
			return fmt.Errorf("an app acting for users cannot hold system/ scopes")
		}
	}
	return nil
}

// ErrUnknownClient: no client with that id.
var ErrUnknownClient = errors.New("unknown client")

// RegisterClient adds or replaces a client registration.
func RegisterClient(ctx context.Context, st store.Store, c Client) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC()
	}
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return st.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: clientKind, ID: c.ID, Body: body})
	})
}

// LookupClient returns a registration.
func LookupClient(ctx context.Context, r store.Reader, id string) (*Client, error) {
	rec, err := r.GetRecord(ctx, clientKind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownClient
	}
	if err != nil {
		return nil, err
	}
	var c Client
	if err := json.Unmarshal(rec.Body, &c); err != nil {
		return nil, fmt.Errorf("client %s: %w", id, err)
	}
	return &c, nil
}

// ListClients returns every registration.
func ListClients(ctx context.Context, st store.Store) ([]*Client, error) {
	recs, err := st.ListRecords(ctx, clientKind)
	if err != nil {
		return nil, err
	}
	out := make([]*Client, 0, len(recs))
	for _, r := range recs {
		var c Client
		if err := json.Unmarshal(r.Body, &c); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, nil
}
