// Package web serves gpcloud's browser pages and the OAuth 2 endpoints
// apps call: sign-in, second factor, consent and first-run set-up, built
// with the NHS.UK design system (nhsuk-frontend, embedded), and
// /auth/authorize, /auth/token, /auth/introspect, /auth/revoke and
// /.well-known/smart-configuration. It drives the identity and oauth
// services; it knows nothing of FHIR storage beyond what the service
// layer offers.
package web

//go:generate go run ./internal/assetgen
