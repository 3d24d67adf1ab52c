package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
)

type certKey struct{}

// WithClientCertificate returns ctx carrying the verified certificate a
// client presented over mutual TLS.
func WithClientCertificate(ctx context.Context, cert *x509.Certificate) context.Context {
	return context.WithValue(ctx, certKey{}, cert)
}

// ClientCertificate returns the certificate in ctx, nil if none.
func ClientCertificate(ctx context.Context) *x509.Certificate {
	c, _ := ctx.Value(certKey{}).(*x509.Certificate)
	return c
}

// Thumbprint is a certificate's x5t#S256 (RFC 8705): base64url SHA-256
// of its DER.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
