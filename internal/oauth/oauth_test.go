package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

const tokenURL = "https://gp.example/auth/token"

func newServer(t testing.TB) *Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := tokens.ForStore(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return NewServer(st, a, tokenURL, "https://gp.example/fhir")
}

// appKey is a client's key pair.
type appKey struct {
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
	kid  string
}

func newKey(t testing.TB, alg jose.SignatureAlgorithm) appKey {
	var priv crypto.Signer
	var err error
	if alg == jose.ES384 {
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	} else {
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return appKey{alg: alg, priv: priv, kid: "k-" + string(alg)}
}

func (k appKey) jwks() *jose.JSONWebKeySet {
	return &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}}}
}

func (k appKey) assertion(t testing.TB, clientID, aud string, exp time.Time, jti string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud},
		Expiry: jwt.NewNumericDate(exp), ID: jti}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func ccForm(assertion, scope string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {AssertionType},
		"client_assertion": {assertion}, "scope": {scope}}
}

func TestClientCredentials(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	es := newKey(t, jose.ES384)
	rs := newKey(t, jose.RS384)
	// One client registers its keys; another publishes them at a URL.
	if err := RegisterClient(ctx, s.Store, Client{ID: "lab", Kind: KindSystem, Scopes: "system/Observation.cruds system/Patient.rs", JWKS: es.jwks()}); err != nil {
		t.Fatal(err)
	}
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = json.NewEncoder(w).Encode(rs.jwks()) }))
	defer jwksSrv.Close()
	if err := RegisterClient(ctx, s.Store, Client{ID: "registry", Kind: KindSystem, Scopes: "system/*.rs", JWKSURL: jwksSrv.URL}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(4 * time.Minute)

	resp, p, err := s.Token(ctx, ccForm(es.assertion(t, "lab", tokenURL, exp, "j1"), "system/Observation.rs system/Condition.rs"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Scope != "system/Observation.rs" || p.Role != auth.RoleSystem || resp.ExpiresIn > 300 || resp.RefreshToken != "" {
		t.Fatalf("response %+v principal %+v", resp, p)
	}
	if got, err := s.Tokens.Verify(ctx, resp.AccessToken); err != nil || got.ClientID != "lab" {
		t.Fatalf("issued token: %+v %v", got, err)
	}
	if _, _, err := s.Token(ctx, ccForm(rs.assertion(t, "registry", tokenURL, exp, "j1"), "system/*.read")); err != nil {
		t.Fatalf("RS384 via JWKS URL: %v", err)
	}

	hsSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	hs, _ := jwt.Signed(hsSigner).Claims(jwt.Claims{Issuer: "lab", Subject: "lab", Audience: jwt.Audience{tokenURL}, Expiry: jwt.NewNumericDate(exp), ID: "h"}).Serialize()
	other := newKey(t, jose.ES384)
	other.kid = es.kid
	for name, form := range map[string]url.Values{
		"replayed jti":                      ccForm(es.assertion(t, "lab", tokenURL, exp, "j1"), "system/Observation.rs"),
		"wrong audience":                    ccForm(es.assertion(t, "lab", "https://elsewhere/token", exp, "j2"), "system/Observation.rs"),
		"expired":                           ccForm(es.assertion(t, "lab", tokenURL, time.Now().Add(-time.Minute), "j3"), "system/Observation.rs"),
		"lives too long":                    ccForm(es.assertion(t, "lab", tokenURL, time.Now().Add(time.Hour), "j4"), "system/Observation.rs"),
		"signed by another key":             ccForm(other.assertion(t, "lab", tokenURL, exp, "j5"), "system/Observation.rs"),
		"HS256":                             ccForm(hs, "system/Observation.rs"),
		"unknown client":                    ccForm(es.assertion(t, "nobody", tokenURL, exp, "j6"), "system/Observation.rs"),
		"no assertion":                      {"grant_type": {"client_credentials"}, "scope": {"system/*.rs"}},
		"scope not allowed":                 ccForm(es.assertion(t, "lab", tokenURL, exp, "j7"), "system/Condition.rs"),
		"patient scope for a system client": ccForm(es.assertion(t, "lab", tokenURL, exp, "j8"), "patient/Observation.rs"),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.Token(ctx, form)
			var oe *Error
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want an OAuth error", err)
			}
		})
	}
}

func pkce() (verifier, challenge string) {
	verifier = auth.NewSecret()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestAuthorizationCodeAndRefresh(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	if err := RegisterClient(ctx, s.Store, Client{ID: "app", Kind: KindPublic, Scopes: "patient/*.rs user/*.rs", RedirectURIs: []string{"https://app.example/cb"}}); err != nil {
		t.Fatal(err)
	}
	verifier, challenge := pkce()
	q := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {"https://app.example/cb"}, "state": {"xyz"},
		"aud": {"https://gp.example/fhir"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"scope": {"launch/patient openid fhirUser patient/Observation.rs patient/Observation.cud offline_access"}}
	req, err := s.ParseAuthorize(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	u := User{Subject: "jane", Role: auth.RolePatient, Patients: []string{"p1"}, FHIRUser: "Patient/p1", AuthTime: time.Now()}
	granted := s.Grantable(req, u)
	if strings.Contains(granted.String(), "cud") {
		t.Fatalf("a patient was granted write scopes: %s", granted)
	}
	redirect, err := s.Approve(ctx, req, u, granted, "")
	if err != nil {
		t.Fatal(err)
	}
	ru, _ := url.Parse(redirect)
	if ru.Query().Get("state") != "xyz" || ru.Query().Get("code") == "" {
		t.Fatalf("redirect %s", redirect)
	}
	code := ru.Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://app.example/cb"}, "client_id": {"app"}, "code_verifier": {"wrong"}}
	if _, _, err := s.Token(ctx, form); err == nil {
		t.Fatal("a wrong code_verifier was accepted")
	}
	// The failed attempt used the code up.
	form.Set("code_verifier", verifier)
	if _, _, err := s.Token(ctx, form); err == nil {
		t.Fatal("a code was redeemed twice")
	}

	redirect, _ = s.Approve(ctx, req, u, granted, "")
	ru, _ = url.Parse(redirect)
	form.Set("code", ru.Query().Get("code"))
	resp, _, err := s.Token(ctx, form)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Patient != "p1" || resp.RefreshToken == "" || resp.IDToken == "" {
		t.Fatalf("token response %+v", resp)
	}
	// Refresh rotates: the new refresh token works, the old one no more.
	rf := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {resp.RefreshToken}, "client_id": {"app"}}
	second, _, err := s.Token(ctx, rf)
	if err != nil || second.RefreshToken == "" || second.RefreshToken == resp.RefreshToken {
		t.Fatalf("refresh: %+v %v", second, err)
	}
	if _, _, err := s.Token(ctx, rf); err == nil {
		t.Fatal("a rotated refresh token was accepted again")
	}
	// A user the server no longer accepts (suspended, say) gets no new
	// token from their refresh token.
	s.UserCheck = func(_ context.Context, subject, clientID string) error {
		if subject == "jane" && clientID == "app" {
			return errors.New("suspended")
		}
		return nil
	}
	if _, _, err := s.Token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}, "client_id": {"app"}}); err == nil || !strings.Contains(err.Error(), "suspended") {
		t.Fatalf("refresh for a refused user: %v", err)
	}
	s.UserCheck = nil
	redirect, _ = s.Approve(ctx, req, u, granted, "")
	ru, _ = url.Parse(redirect)
	form.Set("code", ru.Query().Get("code"))
	if second, _, err = s.Token(ctx, form); err != nil {
		t.Fatal(err)
	}
	// Introspection and revocation.
	in, _ := s.Introspect(ctx, second.AccessToken)
	if !in.Active || in.Patient != "p1" || in.ClientID != "app" {
		t.Fatalf("introspect: %+v", in)
	}
	if err := s.Revoke(ctx, second.AccessToken); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.Introspect(ctx, second.AccessToken); in.Active {
		t.Fatal("a revoked token is active")
	}
	if err := s.Revoke(ctx, second.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}, "client_id": {"app"}}); err == nil {
		t.Fatal("a revoked refresh token was accepted")
	}
}

func TestParseAuthorizeRefuses(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	_ = RegisterClient(ctx, s.Store, Client{ID: "app", Kind: KindPublic, Scopes: "patient/*.rs", RedirectURIs: []string{"https://app.example/cb"}})
	_, challenge := pkce()
	good := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {"https://app.example/cb"},
		"aud": {"https://gp.example/fhir"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {"patient/*.rs"}}
	if _, err := s.ParseAuthorize(ctx, good); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		change     func(url.Values)
		redirected bool // the error may go back to the app
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "x") }, false},
		{"unregistered redirect", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, false},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge") }, true},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, true},
		{"wrong aud", func(v url.Values) { v.Set("aud", "https://other/fhir") }, true},
		{"token flow", func(v url.Values) { v.Set("response_type", "token") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range good {
				q[k] = append([]string(nil), v...)
			}
			tt.change(q)
			req, err := s.ParseAuthorize(ctx, q)
			if err == nil || (req != nil) != tt.redirected {
				t.Fatalf("req %v err %v", req != nil, err)
			}
		})
	}
}

// BenchmarkClientCredentials measures whole grants (assertion check,
// replay record, token signing) from parallel clients, per assertion
// algorithm; assertions are signed beforehand, as clients do.
func BenchmarkClientCredentials(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS384, jose.ES384} {
		b.Run(string(alg), func(b *testing.B) {
			s := newServer(b)
			ctx := context.Background()
			k := newKey(b, alg)
			if err := RegisterClient(ctx, s.Store, Client{ID: "lab", Kind: KindSystem, Scopes: "system/*.rs", JWKS: k.jwks()}); err != nil {
				b.Fatal(err)
			}
			exp := time.Now().Add(4 * time.Minute)
			forms := make(chan url.Values, b.N)
			for range b.N {
				forms <- ccForm(k.assertion(b, "lab", tokenURL, exp, auth.NewSecret()), "system/*.rs")
			}
			close(forms)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := s.Token(ctx, <-forms); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
