// Package auth is gpcloud's authorization model: who a caller is (a
// Principal, built from a verified access token), what SMART scopes they
// hold, and which patients' records they reach. It decides; it does not
// read HTTP or the store. The HTTP layer builds Principals from tokens and
// the service layer enforces what they allow on every interaction.
package auth
