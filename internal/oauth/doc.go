// Package oauth is gpcloud's OAuth 2 authorization server, as SMART App
// Launch 2.0 and SMART Backend Services profile it: client registrations,
// client authentication by signed assertion (private_key_jwt, RS384 or
// ES384, keys registered or fetched from the client's JWKS URL, each
// assertion's jti accepted once), the client_credentials, authorization
// code (PKCE S256 required) and refresh token (rotated on every use)
// grants, introspection and revocation. It issues access tokens through
// auth/tokens and keeps its state (clients, codes, refresh tokens, used
// assertion ids) as store records; the HTTP endpoints and pages that
// drive it live in the web package.
package oauth
