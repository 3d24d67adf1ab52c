package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/auth/tokens"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// BreakGlassHeader carries a clinician's reason for opening a record
// outside their practice. It widens their reach for that one request;
// the access is flagged in the audit trail (purpose ETREAT, the reason in
// an extension) for the practice admin to review.
const BreakGlassHeader = "X-Break-Glass-Reason"

// guarded wraps a FHIR route: it authenticates the caller (when the API
// has an authority), puts their principal and an audit note in the
// request's context, and records the request's AuditEvent afterwards.
func (a *API) guarded(interaction string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, note := audit.WithNote(r.Context())
		rec := &statusRecorder{ResponseWriter: w}
		var p *auth.Principal
		var refusal string
		defer func() {
			a.record(r, interaction, rec.status, p, note, refusal)
		}()
		if a.opts.Tokens != nil {
			var err error
			p, err = a.authenticate(r)
			if err != nil {
				refusal = err.Error()
				writeUnauthorized(rec, r, err)
				return
			}
			if reason := strings.TrimSpace(r.Header.Get(BreakGlassHeader)); reason != "" {
				if !p.Role.IsClinician() {
					refusal = "break-glass refused: not a clinician"
					writeError(rec, r, fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "only clinicians (gp, nurse) may break the glass"))
					return
				}
				p.BreakGlass = reason
			}
			ctx = auth.WithPrincipal(ctx, p)
		}
		// Write transactions stage their events with the request's
		// description, in the transaction (see audit.Stage).
		if a.opts.Audit != nil {
			ctx = audit.WithRequest(ctx, audit.Describe(r, interaction, p))
		}
		h(rec, r.WithContext(ctx))
	}
}

var errNoToken = errors.New("no access token: send Authorization: Bearer <token>")

func (a *API) authenticate(r *http.Request) (*auth.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, errNoToken
	}
	p, err := a.opts.Tokens.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	if p.CertThumbprint != "" && !presents(r, p.CertThumbprint) {
		return nil, fmt.Errorf("%w: the token is bound to a client certificate this connection does not present", tokens.ErrInvalid)
	}
	return p, nil
}

// presents reports whether the TLS connection presented the verified
// certificate with the thumbprint (RFC 8705 section 3).
func presents(r *http.Request, thumbprint string) bool {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return false
	}
	sum := sha256.Sum256(r.TLS.VerifiedChains[0][0].Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:]) == thumbprint
}

// writeUnauthorized answers 401 with the challenge RFC 6750 asks for.
// The reason a token was refused goes to the client (it is about their
// own token) but never the token itself.
func writeUnauthorized(w http.ResponseWriter, r *http.Request, err error) {
	challenge := `Bearer realm="gpcloud"`
	msg := err.Error()
	if errors.Is(err, tokens.ErrInvalid) {
		challenge += `, error="invalid_token", error_description="` + strings.ReplaceAll(msg, `"`, `'`) + `"`
	} else if !errors.Is(err, errNoToken) {
		writeError(w, r, err) // the store failed while looking up keys
		return
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, r, fhir.Errorf(http.StatusUnauthorized, fhir.CodeLogin, "%s", msg))
}

// record writes the request's AuditEvent after the response (see
// audit.RecordRequest).
func (a *API) record(r *http.Request, interaction string, status int, p *auth.Principal, note *audit.Note, refusal string) {
	if a.opts.Audit != nil {
		a.opts.Audit.RecordRequest(audit.Describe(r, interaction, p), note, status, refusal)
	}
}

// ownerOf names who asked for something kept across requests (an export
// job): the client and the user.
func ownerOf(r *http.Request) string {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return ""
	}
	return p.ClientID + "|" + p.Subject
}
