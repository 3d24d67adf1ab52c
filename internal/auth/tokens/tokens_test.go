package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func openStore(t testing.TB) store.Store { return storetest.OpenSQLite(t) }

func newTestAuthority(t testing.TB) *Authority {
	return NewAuthority(NewKeys(openStore(t), 0), "http://localhost/auth", "http://localhost/fhir")
}

func principal(t testing.TB) *auth.Principal {
	s, err := auth.ParseScopes("user/*.rs openid fhirUser")
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Principal{Subject: "u1", Role: auth.RoleGP, Practice: "org1", FHIRUser: "Practitioner/pr1", Scopes: s}
}

func TestIssueAndVerify(t *testing.T) {
	a := newTestAuthority(t)
	ctx := context.Background()
	tok, exp, err := a.Issue(ctx, principal(t), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(exp) < 9*time.Minute {
		t.Fatalf("expires %v", exp)
	}
	p, err := a.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "u1" || p.Role != auth.RoleGP || p.Practice != "org1" || p.FHIRUser != "Practitioner/pr1" || p.TokenID == "" {
		t.Fatalf("principal = %+v", p)
	}
	if g := p.Scopes.Grant("Observation", auth.Search); !g.Allowed || !g.Contexts[auth.UserContext] {
		t.Fatalf("scopes lost: %+v", p.Scopes)
	}
	// A second authority over the same store (another process) verifies it.
	b := NewAuthority(NewKeys(a.Keys.st, 0), a.Issuer, a.Audience)
	if _, err := b.Verify(ctx, tok); err != nil {
		t.Fatalf("second process: %v", err)
	}
}

// segments splits a compact JWS.
func segments(t *testing.T, tok string) (header, payload map[string]any, sig string) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1]), parts[2]
}

func enc(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyRefuses(t *testing.T) {
	a := newTestAuthority(t)
	ctx := context.Background()
	good, _, err := a.Issue(ctx, principal(t), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	header, payload, sig := segments(t, good)

	// alg none: the header says none and the signature is empty.
	none := map[string]any{"alg": "none", "typ": "JWT", "kid": header["kid"]}
	algNone := enc(none) + "." + enc(payload) + "."

	// Algorithm confusion: HS256 "signed" with the public key's bytes.
	set, err := a.Keys.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(set.Keys[0].Key)
	hs := map[string]any{"alg": "HS256", "typ": "JWT", "kid": header["kid"]}
	signingInput := enc(hs) + "." + enc(payload)
	mac := hmac.New(sha256.New, pubDER)
	mac.Write([]byte(signingInput))
	confused := signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	// Tampered payload: a different practice, the old signature.
	tampered := payload
	tampered["gpcloud_practice"] = "org2"
	tamperedTok := enc(header) + "." + enc(tampered) + "." + sig

	// Signed by a key the server never made, under its key id.
	foreignKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreign := signWith(t, foreignKey, header["kid"].(string), a.Issuer, a.Audience, time.Now().Add(time.Minute))
	unknownKid := signWith(t, foreignKey, "nope", a.Issuer, a.Audience, time.Now().Add(time.Minute))

	// Right key, wrong audience, issuer or time.
	sk, err := a.Keys.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wrongAud := signWith(t, sk.private, sk.KID, a.Issuer, "http://elsewhere/fhir", time.Now().Add(time.Minute))
	wrongIss := signWith(t, sk.private, sk.KID, "http://evil/auth", a.Audience, time.Now().Add(time.Minute))
	expired := signWith(t, sk.private, sk.KID, a.Issuer, a.Audience, time.Now().Add(-time.Hour))
	// The control: the same helper with right values verifies.
	if _, err := a.Verify(ctx, signWith(t, sk.private, sk.KID, a.Issuer, a.Audience, time.Now().Add(time.Minute))); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	for name, tok := range map[string]string{
		"alg none": algNone, "HS256 with the public key": confused, "tampered payload": tamperedTok,
		"foreign key, known kid": foreign, "unknown kid": unknownKid, "wrong audience": wrongAud,
		"wrong issuer": wrongIss, "expired": expired, "garbage": "abc.def.ghi", "empty": "",
	} {
		t.Run(name, func(t *testing.T) {
			if p, err := a.Verify(ctx, tok); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalid", p, err)
			}
		})
	}
}

func signWith(t *testing.T, key *ecdsa.PrivateKey, kid, iss, aud string, exp time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims{
		Claims: jwt.Claims{Issuer: iss, Subject: "u1", Audience: jwt.Audience{aud}, Expiry: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(exp.Add(-time.Minute))},
		Scope:  "system/*.rs",
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRotation(t *testing.T) {
	a := newTestAuthority(t)
	ctx := context.Background()
	clock := time.Now()
	a.Keys.now = func() time.Time { return clock }
	a.now = a.Keys.now
	old, _, err := a.Issue(ctx, principal(t), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(DefaultRotation + time.Minute)
	fresh, _, err := a.Issue(ctx, principal(t), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h1, _, _ := segments(t, old)
	h2, _, _ := segments(t, fresh)
	if h1["kid"] == h2["kid"] {
		t.Fatal("no new key after the rotation period")
	}
	set, err := a.Keys.JWKS(ctx)
	if err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys (%v), want old and new", len(set.Keys), err)
	}
	if _, err := a.Verify(ctx, fresh); err != nil {
		t.Fatal(err)
	}
}

func TestTTLBounds(t *testing.T) {
	a := newTestAuthority(t)
	for _, ttl := range []time.Duration{0, -time.Second, MaxTTL + time.Second} {
		if _, _, err := a.Issue(context.Background(), principal(t), ttl); err == nil {
			t.Errorf("ttl %s accepted", ttl)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	a := newTestAuthority(b)
	tok, _, err := a.Issue(context.Background(), principal(b), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
