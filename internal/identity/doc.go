// Package identity is gpcloud's built-in identity provider for the
// embedded default: user accounts with roles per practice, passwords
// hashed with argon2id, a TOTP second factor (RFC 6238) required for
// staff, lockout after repeated failures, and browser sessions. Accounts
// and sessions are store records; the web package renders the pages.
// External sign-in (an OpenID Connect provider such as NHS login or
// CIS2) produces the same User through claim mapping.
package identity
