package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/httpapi"
	"github.com/gpcloud/gpcloud/internal/oauth"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/web"
)

// issue makes a certificate for cn signed by ca (self-signed when ca is nil).
func issue(t *testing.T, cn string, ca *tls.Certificate, isCA bool) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.Leaf, ca.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestMutualTLSBoundTokens: a system client registered for mutual TLS
// gets a token only over a connection presenting its certificate, and
// the token works only over such a connection.
func TestMutualTLSBoundTokens(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ca := issue(t, "gpcloud test CA", nil, true)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Leaf)

	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.StartTLS()
	defer srv.Close()
	authority, _ := tokens.ForStore(ctx, st)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	trail := audit.NewTrail(st, quiet)
	defer trail.Close()
	svc := service.New(st, service.Options{BaseURL: srv.URL + "/fhir"})
	o := oauth.NewServer(st, authority, srv.URL+"/auth/token", srv.URL+"/fhir")
	pages := web.New(web.Options{Store: st, Service: svc, OAuth: o, Audit: trail, Origin: srv.URL, TLS: true, Logger: quiet})
	root := http.NewServeMux()
	root.Handle("/", httpapi.New(svc, httpapi.Options{Tokens: authority, Audit: trail, Logger: quiet}))
	for _, p := range pages.Routes() {
		root.Handle(p, pages)
	}
	mux.Handle("/", web.SecurityHeaders(true, root))

	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES384", Use: "sig"}}}
	if err := oauth.RegisterClient(ctx, st, oauth.Client{ID: "lab-feed", Kind: oauth.KindSystem, Scopes: "system/*.rs", JWKS: jwks, MTLS: true}); err != nil {
		t.Fatal(err)
	}
	assertion := func() string {
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		tok, _ := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "lab-feed", Subject: "lab-feed", Audience: jwt.Audience{srv.URL + "/auth/token"},
			Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute)), ID: auth.NewSecret()}).Serialize()
		return tok
	}
	client := func(cert *tls.Certificate) *http.Client {
		cfg := &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	grant := func(c *http.Client) (int, map[string]any) {
		resp, err := c.PostForm(srv.URL+"/auth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"},
			"client_assertion_type": {oauth.AssertionType}, "client_assertion": {assertion()}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	own := issue(t, "lab-feed", &ca, false)
	other := issue(t, "someone-else", &ca, false)
	if status, _ := grant(client(nil)); status != http.StatusUnauthorized {
		t.Fatalf("grant without a certificate: %d", status)
	}
	if status, _ := grant(client(&other)); status != http.StatusUnauthorized {
		t.Fatalf("grant with another client's certificate: %d", status)
	}
	status, tok := grant(client(&own))
	if status != 200 {
		t.Fatalf("grant with the client's certificate: %d %v", status, tok)
	}
	read := func(c *http.Client) int {
		req, _ := http.NewRequest("GET", srv.URL+"/fhir/Patient", nil)
		req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS over TLS")
		}
		return resp.StatusCode
	}
	if got := read(client(&own)); got != 200 {
		t.Errorf("bound token with its certificate: %d", got)
	}
	if got := read(client(nil)); got != 401 {
		t.Errorf("bound token without the certificate: %d", got)
	}
	if got := read(client(&other)); got != 401 {
		t.Errorf("bound token with another certificate: %d", got)
	}
}
