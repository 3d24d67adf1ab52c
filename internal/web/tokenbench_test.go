package web_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/oauth"
)

// BenchmarkClientCredentialsHTTP measures SMART Backend Services grants
// over HTTP from parallel clients: POST /auth/token with a signed
// assertion (signed beforehand, as clients do), per algorithm. grants/s
// is b.N over the elapsed time.
// Run: go test -run '^$' -bench ClientCredentialsHTTP -benchtime 3000x -count 3 ./internal/web
func BenchmarkClientCredentialsHTTP(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS384, jose.ES384} {
		b.Run(string(alg), func(b *testing.B) {
			s := newStack(b)
			var key crypto.Signer
			if alg == jose.ES384 {
				key, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			} else {
				key, _ = rsa.GenerateKey(rand.Reader, 2048)
			}
			jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k", Algorithm: string(alg), Use: "sig"}}}
			if err := oauth.RegisterClient(context.Background(), s.st, oauth.Client{ID: "svc", Kind: oauth.KindSystem, Scopes: "system/*.rs", JWKS: jwks}); err != nil {
				b.Fatal(err)
			}
			signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
			forms := make(chan string, b.N)
			for range b.N {
				a, _ := jwt.Signed(signer).Claims(jwt.Claims{Issuer: "svc", Subject: "svc", Audience: jwt.Audience{s.srv.URL + "/auth/token"},
					Expiry: jwt.NewNumericDate(time.Now().Add(4 * time.Minute)), ID: auth.NewSecret()}).Serialize()
				forms <- url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"},
					"client_assertion_type": {oauth.AssertionType}, "client_assertion": {a}}.Encode()
			}
			close(forms)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			b.SetParallelism(4)
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(s.srv.URL+"/auth/token", "application/x-www-form-urlencoded", strings.NewReader(<-forms))
					if err != nil || resp.StatusCode != 200 {
						b.Error(err, resp.StatusCode)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "grants/s")
		})
	}
}
