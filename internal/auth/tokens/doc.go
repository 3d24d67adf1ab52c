// Package tokens issues and verifies gpcloud's access tokens: JWTs signed
// with ES256 keys that live in the store (so the server and the
// command-line tools share them), rotated on a schedule and published as a
// JWKS. Verification accepts only ES256 from a known key id, with the
// right issuer and audience, within its lifetime: "alg": "none",
// algorithm confusion (an HMAC "signed" with the public key), foreign
// keys, wrong audiences and expired tokens are all refused.
package tokens
