package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
)

// providerStorage adapts the zitadel/oidc example OpenID Provider (an
// independent implementation) to play NHS login: gpcloud is registered
// as a private_key_jwt client, and users carry an nhs_number claim.
type providerStorage struct {
	*storage.Storage
	clientID, kid, redirect string
	pub                     *rsa.PublicKey
}

type privateKeyJWTClient struct{ op.Client }

func (privateKeyJWTClient) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodPrivateKeyJWT }

func (p *providerStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if id == p.clientID {
		return privateKeyJWTClient{storage.WebClient(id, "", p.redirect)}, nil
	}
	return p.Storage.GetClientByClientID(ctx, id)
}

func (p *providerStorage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	if clientID == p.clientID && keyID == p.kid {
		return &jose.JSONWebKey{KeyID: keyID, Use: "sig", Key: p.pub}, nil
	}
	return p.Storage.GetKeyByIDAndClientID(ctx, keyID, clientID)
}

func (p *providerStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := p.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	info.AppendClaims("nhs_number", "9000000009")
	return nil
}

// TestExternalSignInWithOIDCProvider signs a patient in through an
// OpenID Provider with PKCE and private_key_jwt, and links them to their
// Patient record by the nhs_number claim.
func TestExternalSignInWithOIDCProvider(t *testing.T) {
	s := newStack(t)
	s.seed(t)
	ctx := context.Background()
	if _, err := s.svc.Update(ctx, "Patient", "p9", fhir.Resource{"resourceType": "Patient", "id": "p9",
		"identifier": []any{map[string]any{"system": identity.NHSNumberSystem, "value": "9000000009"}}}, service.Precondition{}); err != nil {
		t.Fatal(err)
	}

	var provider http.Handler
	opSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { provider.ServeHTTP(w, r) }))
	defer opSrv.Close()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	ps := &providerStorage{Storage: storage.NewStorage(storage.NewUserStore(opSrv.URL)), clientID: "gpcloud", kid: "gpcloud-1",
		redirect: s.srv.URL + "/auth/external/callback", pub: &key.PublicKey}
	provider = exampleop.SetupServer(opSrv.URL, ps, nil, false, op.WithAllowInsecure())

	ext := &identity.External{Name: "Test NHS login", Issuer: opSrv.URL, ClientID: "gpcloud", Key: key, KeyID: "gpcloud-1",
		Scopes: []string{"profile", "email"}, PatientClaim: "nhs_number"}
	s.mountExternal(t, ext)

	b := newBrowser(t)
	_, page := b.get(s.srv.URL + "/auth/login")
	if !strings.Contains(page, "Sign in with Test NHS login") {
		t.Fatal("the sign-in page does not offer the provider")
	}
	resp, _ := b.get(s.srv.URL + "/auth/external?next=/")
	next := location(t, resp, http.StatusSeeOther)
	authz, _ := url.Parse(next)
	if authz.Query().Get("code_challenge_method") != "S256" || authz.Query().Get("nonce") == "" {
		t.Fatalf("authorization request: %s", next)
	}
	// Follow the provider's redirects to its login form.
	for i := 0; i < 5 && !strings.Contains(next, "/login/username"); i++ {
		resp, _ = b.get(absolute(opSrv.URL, next))
		next = resp.Header.Get("Location")
	}
	_, page = b.get(absolute(opSrv.URL, next))
	id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("provider login form:\n%s", page)
	}
	host := strings.Split(strings.TrimPrefix(opSrv.URL, "http://"), ":")[0]
	resp, _ = b.post(opSrv.URL+"/login/username", url.Values{"id": {id[1]}, "username": {"test-user@" + host}, "password": {"verysecure"}})
	next = resp.Header.Get("Location")
	for i := 0; i < 5 && !strings.HasPrefix(next, s.srv.URL); i++ {
		resp, _ = b.get(absolute(opSrv.URL, next))
		next = resp.Header.Get("Location")
	}
	if !strings.HasPrefix(next, s.srv.URL+"/auth/external/callback") {
		t.Fatalf("the provider did not call back: %q", next)
	}
	resp, page = b.get(next)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("callback: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	// Signed in: the home page sends a patient to the portal.
	if resp, page = b.get(s.srv.URL + "/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/patient/" {
		t.Fatalf("not signed in after the callback: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	users, _ := identity.ListUsers(ctx, s.st)
	var linked *identity.User
	for _, u := range users {
		if u.External != "" {
			linked = u
		}
	}
	if linked == nil || linked.Role != auth.RolePatient || len(linked.Patients) != 1 || linked.Patients[0] != "p9" {
		t.Fatalf("linked account: %+v", linked)
	}
	// A replayed callback is refused (state used up).
	if resp, _ = b.get(next); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a callback was accepted twice")
	}
}

func absolute(base, loc string) string {
	if strings.HasPrefix(loc, "/") {
		return base + loc
	}
	return loc
}
