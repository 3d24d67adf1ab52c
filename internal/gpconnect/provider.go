package gpconnect

import (
	"context"
	"encoding/json"
	"fmt"

	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirxml"
	"github.com/gpcloud/gpcloud/internal/gpconnect/stu3validate"
	"github.com/gpcloud/gpcloud/internal/pds"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Directory says which practices provide GP Connect and which consumer
// systems may call them: the Spine Directory Service's part for this
// server (a practice's ASID is the Ssp-To it answers to; a consumer's
// ASID is its Ssp-From, acting for one ODS organisation). Nothing here
// reaches SDS: StaticDirectory is the local stand-in.
type Directory interface {
	// ProviderASID is the ASID of the practice with ODS code ods.
	ProviderASID(ods string) (string, bool)
	// ConsumerODS is the ODS code of the organisation the consumer
	// system with this ASID acts for; false for a system not allowed.
	ConsumerODS(asid string) (string, bool)
}

// StaticDirectory is a Directory from configuration.
type StaticDirectory struct {
	Practices map[string]string // ODS code → provider ASID
	Consumers map[string]string // consumer ASID → ODS code
}

// ProviderASID implements Directory.
func (d StaticDirectory) ProviderASID(ods string) (string, bool) {
	a, ok := d.Practices[ods]
	return a, ok
}

// ConsumerODS implements Directory.
func (d StaticDirectory) ConsumerODS(asid string) (string, bool) {
	o, ok := d.Consumers[asid]
	return o, ok
}

// Options configure a Provider.
type Options struct {
	Service   *service.Service
	Audit     *audit.Trail
	Directory Directory
	// Origin is the server's external origin (https://host), for the
	// service root a JWT's aud names and the CapabilityStatement's URLs.
	Origin string
	Logger *slog.Logger
	Now    func() time.Time
	// SoftwareVersion goes into the CapabilityStatement.
	SoftwareVersion string
	// FromProxy reports whether a request came through the Spine Secure
	// Proxy. The consumer's JWT is unsigned, as the specification
	// requires: only the proxy's mutual TLS makes a request's headers
	// trustworthy, so a request that did not come through it is refused
	// before anything else. Nil: a verified TLS client certificate is
	// required (see ProxyCheck).
	FromProxy func(*http.Request) bool
	// PDS traces an NHS number for $gpc.registerpatient; nil (or a
	// stand-in that verifies nothing) refuses every registration.
	PDS pds.Service
}

// Provider serves the GP Connect bases of every practice in the directory.
type Provider struct {
	opts Options
	mux  *http.ServeMux
}

// Base paths below /{ODS}/STU3/1/gpconnect.
const (
	foundationsBase = "/{ods}/STU3/1/gpconnect/fhir"
	structuredBase  = "/{ods}/STU3/1/gpconnect/structured/fhir"
)

// New returns a Provider.
func New(opts Options) *Provider {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.FromProxy == nil {
		opts.FromProxy = ProxyCheck(nil)
	}
	p := &Provider{opts: opts, mux: http.NewServeMux()}
	p.routes()
	return p
}

// Matches reports whether path is below a GP Connect base
// (/{ODS}/STU3/1/gpconnect/...), for mounting beside the other handlers.
func Matches(path string) bool {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 5)
	return len(parts) >= 4 && parts[0] != "" && parts[1] == "STU3" && parts[2] == "1" && parts[3] == "gpconnect"
}

// Wrap returns a handler sending GP Connect paths to p and the rest to next.
func (p *Provider) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Matches(r.URL.Path) {
			p.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP implements http.Handler.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, pattern := p.mux.Handler(r); pattern == "" {
		// The mux answers 405 for a known path with another method: ask
		// it which, then answer as GP Connect does.
		probe := &statusOnly{header: http.Header{}}
		h.ServeHTTP(probe, r)
		e := errorf(NotImplemented, "%s %s is not an interaction this provider offers", r.Method, r.URL.Path)
		if probe.status == http.StatusMethodNotAllowed {
			e = &Error{Code: BadRequest, Status: http.StatusMethodNotAllowed, Diagnostics: r.Method + " is not allowed on " + r.URL.Path}
			w.Header().Set("Allow", probe.header.Get("Allow"))
		}
		writeJSON(w, e.HTTPStatus(), e.Outcome())
		return
	}
	p.mux.ServeHTTP(w, r)
}

// interaction is one GP Connect interaction: its Spine interaction id,
// the JWT scope it needs, and the R4 scopes its principal gets (only the
// types it reads or writes).
type interaction struct {
	id       string
	scope    string
	r4Scopes string
}

const urn = "urn:nhs:names:services:gpconnect:"

// call is one checked request.
type call struct {
	ctx       context.Context
	ods       string
	practice  string // Organization id
	principal *auth.Principal
	consumer  *auth.Consumer
	base      string // the STU3 base URL this request came to
	id        string // the interaction id
	refused   bool   // the request was refused: the call is for the audit only
	// withheldSeen counts, by R4 type, the confidential entries the
	// record's searches met (Access Record HTML's exclusion banner); nil
	// when nobody asks.
	withheldSeen map[string]int
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) *Error

// handle registers pattern for the interactions (a PUT is an amend or a
// cancel, told apart by the interaction id).
func (p *Provider) handle(pattern string, h handlerFunc, its ...interaction) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		rec.xml, _ = wantsXML(r)
		c, e := p.check(r, its)
		ctx, note := audit.WithNote(r.Context())
		var princ *auth.Principal
		interactionName := "operation"
		if c != nil {
			princ, interactionName = c.principal, fhirInteraction(r.Method, c.id)
		}
		describe := audit.Describe(r, interactionName, princ)
		if e == nil {
			ctx = auth.WithPrincipal(ctx, c.principal)
			if p.opts.Audit != nil {
				ctx = audit.WithRequest(ctx, describe)
			}
			c.ctx = ctx
			if e = negotiate(r); e == nil {
				e = h(rec, r.WithContext(ctx), c)
			}
		}
		refusal := ""
		if e != nil {
			if e.Code == InternalServerError {
				p.opts.Logger.Error("gpconnect request failed", "path", r.URL.Path, "error", e.Diagnostics)
			}
			refusal = e.Code + ": " + e.Diagnostics
			writeJSON(rec, e.HTTPStatus(), e.Outcome())
		}
		if p.opts.Audit != nil {
			p.opts.Audit.RecordRequest(describe, note, rec.status, refusal)
		}
	})
}

// fhirInteraction is the FHIR interaction a Spine interaction id is, for
// the AuditEvent's subtype and action (the Spine id itself goes into the
// consumer's agent).
func fhirInteraction(method, id string) string {
	switch {
	case strings.Contains(id, ":operation:"):
		return "operation"
	case strings.Contains(id, ":rest:search:"):
		return "search-type"
	case strings.Contains(id, ":rest:create:"):
		return "create"
	case strings.Contains(id, ":rest:update:"), strings.Contains(id, ":rest:cancel:"):
		return "update"
	case strings.Contains(id, ":read:metadata"):
		return "capabilities"
	}
	return "read"
}

// check applies GP Connect's request requirements: the practice is a
// provider, the Spine Secure Proxy headers name this provider, a known
// consumer and one of the route's interactions, and the JWT's claims are
// complete, current and for that consumer's organisation. It returns
// the call with its principal, or the error to answer.
func (p *Provider) check(r *http.Request, its []interaction) (*call, *Error) {
	if !p.opts.FromProxy(r) {
		return nil, errorf(AccessDenied, "GP Connect is answered only through the Spine Secure Proxy")
	}
	ods := r.PathValue("ods")
	asid, ok := p.opts.Directory.ProviderASID(ods)
	if !ok {
		return nil, &Error{Code: BadRequest, Status: http.StatusNotFound, Diagnostics: "no GP Connect provider for ODS code " + ods}
	}
	h := r.Header
	trace, from, to, iid := h.Get("Ssp-TraceID"), h.Get("Ssp-From"), h.Get("Ssp-To"), h.Get("Ssp-InteractionID")
	switch {
	case trace == "":
		return nil, errorf(BadRequest, "the Ssp-TraceID header is missing")
	case from == "":
		return nil, errorf(BadRequest, "the Ssp-From header is missing")
	case to == "":
		return nil, errorf(BadRequest, "the Ssp-To header is missing")
	case iid == "":
		return nil, errorf(BadRequest, "the Ssp-InteractionID header is missing")
	case to != asid:
		return nil, errorf(BadRequest, "Ssp-To %q is not this practice's ASID", to)
	}
	var it *interaction
	for i := range its {
		if its[i].id == iid {
			it = &its[i]
		}
	}
	if it == nil {
		return nil, errorf(BadRequest, "Ssp-InteractionID %q does not match %s %s", iid, r.Method, r.URL.Path)
	}
	consumerODS, ok := p.opts.Directory.ConsumerODS(from)
	if !ok {
		return nil, errorf(AccessDenied, "the consumer system %q (Ssp-From) is not allowed to call this practice", from)
	}
	authz := h.Get("Authorization")
	token, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || token == "" {
		return nil, errorf(BadRequest, "the Authorization header must carry the consumer's JWT as a Bearer token")
	}
	claims, e := ParseJWT(token)
	if e != nil {
		return nil, e
	}
	root := strings.TrimRight(p.opts.Origin, "/") + "/" + ods + "/STU3/1"
	info, e := claims.Check(it.scope, []string{root, root + "/gpconnect", root + "/gpconnect/fhir", root + "/gpconnect/structured/fhir", root + "/gpconnect/documents/fhir"}, p.opts.Now())
	if e == nil && info.Organization != consumerODS {
		e = errorf(AccessDenied, "requesting_organization %q is not the organisation consumer system %q acts for", info.Organization, from)
	}
	if e != nil {
		// Refused, but audited with whatever the token claims (marked as
		// unchecked), as the specification asks of failed requests.
		return refusedCall(claims, from, trace, iid), e
	}
	consumer := &auth.Consumer{ASID: from, TraceID: trace, InteractionID: iid, Organization: info.Organization, OrganizationName: info.OrganizationName,
		UserID: info.UserID, UserName: info.UserName, SDSUserID: info.SDSUserID, SDSRoleProfileID: info.SDSRoleProfileID, Reason: info.Reason}
	scopes, err := auth.ParseScopes(it.r4Scopes + " user/Organization.rs")
	if err != nil {
		return nil, errorf(InternalServerError, "scopes of %s: %v", it.id, err)
	}
	princ := &auth.Principal{Subject: "gpconnect:" + from + ":" + info.UserID, ClientID: "gpconnect:" + from,
		Role: auth.RoleConsumer, Scopes: scopes, Consumer: consumer}
	practice, e := p.practiceID(r.Context(), princ, ods)
	if e != nil {
		return nil, e
	}
	princ.Practice = practice
	base := strings.TrimRight(p.opts.Origin, "/") + "/" + ods + "/STU3/1/gpconnect/fhir"
	if strings.Contains(r.URL.Path, "/gpconnect/structured/") {
		base = strings.TrimRight(p.opts.Origin, "/") + "/" + ods + "/STU3/1/gpconnect/structured/fhir"
	}
	if strings.Contains(r.URL.Path, "/gpconnect/documents/") {
		base = strings.TrimRight(p.opts.Origin, "/") + "/" + ods + "/STU3/1/gpconnect/documents/fhir"
	}
	return &call{ods: ods, practice: practice, principal: princ, consumer: consumer, base: base, id: it.id}, nil
}

// practiceID finds the practice's Organization by its ODS code.
func (p *Provider) practiceID(ctx context.Context, princ *auth.Principal, ods string) (string, *Error) {
	out, err := p.opts.Service.Search(auth.WithPrincipal(ctx, princ), service.SearchRequest{Type: "Organization",
		Params: url.Values{"identifier": {ODSSystem + "|" + ods}, "_count": {"2"}}})
	if err != nil {
		return "", fromService(err, NoRecordFound)
	}
	orgs := matches(out.Resource)
	if len(orgs) != 1 {
		return "", errorf(InternalServerError, "the practice %s has %d Organizations with its ODS code", ods, len(orgs))
	}
	return orgs[0].ID(), nil
}

// wantsXML chooses the response format: _format (json, xml or a media
// type) over Accept; JSON when neither names XML. ok is false when
// neither JSON nor XML is acceptable.
func wantsXML(r *http.Request) (xml, ok bool) {
	acc := r.Header.Get("Accept")
	if f := r.URL.Query().Get("_format"); f != "" {
		acc = f
	}
	switch {
	case acc == "" || strings.Contains(acc, "json") || strings.Contains(acc, "*/*"):
		return false, true
	case strings.Contains(acc, "xml"):
		return true, true
	}
	return false, false
}

// negotiate refuses a request asking for neither JSON nor XML.
func negotiate(r *http.Request) *Error {
	if _, ok := wantsXML(r); !ok {
		return &Error{Code: BadRequest, Status: http.StatusUnsupportedMediaType, Diagnostics: "ask for application/fhir+json or application/fhir+xml"}
	}
	return nil
}

// matches returns a searchset's match entries' resources (the service
// leaves them as stored JSON).
func matches(b fhir.Resource) []fhir.Resource { return appointments.Matches(b) }

// read reads typ/id as the caller; notFound is the code a missing one gets.
func (c *call) read(svc *service.Service, typ, id, notFound string) (fhir.Resource, int64, *Error) {
	out, err := svc.Read(c.ctx, typ, id)
	if err != nil {
		return nil, 0, fromService(err, notFound)
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		return nil, 0, errorf(InternalServerError, "%v", err)
	}
	return res, out.Version.VersionID, nil
}

// search runs an R4 search as the caller.
func (c *call) search(svc *service.Service, typ string, params url.Values) (fhir.Resource, *Error) {
	out, err := svc.Search(c.ctx, service.SearchRequest{Type: typ, Params: params})
	if err != nil {
		return nil, fromService(err, NoRecordFound)
	}
	return out.Resource, nil
}

// writeJSON writes a STU3 resource as application/fhir+json, or as
// application/fhir+xml when the request asked for XML.
func writeJSON(w http.ResponseWriter, status int, res any) {
	b, err := json.Marshal(res)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}`)
	}
	if sr, ok := w.(*statusRecorder); ok && sr.xml {
		if x, err := encodeXML(b); err == nil {
			w.Header().Set("Content-Type", "application/fhir+xml;charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write(x)
			return
		}
	}
	w.Header().Set("Content-Type", "application/fhir+json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeBody reads a JSON resource body of at most 1 MiB.
func decodeBody(r *http.Request, wantType string) (fhir.Resource, *Error) {
	ct := r.Header.Get("Content-Type")
	isXML := strings.Contains(ct, "xml")
	if ct != "" && !isXML && !strings.Contains(ct, "json") {
		return nil, &Error{Code: BadRequest, Status: http.StatusUnsupportedMediaType, Diagnostics: "the body must be application/fhir+json or application/fhir+xml"}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return nil, errorf(BadRequest, "the body cannot be read")
	}
	if len(b) > 1<<20 {
		return nil, errorf(BadRequest, "the body is larger than 1 MiB")
	}
	var res fhir.Resource
	if isXML {
		// Read with the STU3 definitions: the consumer writes STU3
		// (Appointment.reason, incomingReferral, ... are not R4's).
		x, err := fhirxml.DecodeWith(b, fhirxml.Options{Schema: stu3Schema{}})
		if err != nil {
			return nil, errorf(InvalidResource, "the body is not a FHIR XML resource: %v", err)
		}
		raw, _ := json.Marshal(x)
		b = raw
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, errorf(InvalidResource, "the body is not a JSON resource: %v", err)
	}
	if res.Type() != wantType {
		return nil, errorf(InvalidResource, "the body must be a %s, not %q", wantType, res.Type())
	}
	// A body that is not valid STU3 (or breaks the GP Connect profile it
	// claims) is refused before anything is read from it: a field the
	// provider does not know would otherwise be dropped unseen.
	if issues := stu3validate.Resource(res); len(issues) > 0 {
		var msgs []string
		for i, is := range issues {
			if i == 5 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(issues)-5))
				break
			}
			msgs = append(msgs, is.String())
		}
		code := InvalidResource
		if wantType == "Parameters" {
			code = InvalidParameter // an operation's parameters: what the specification answers for them
		}
		return nil, errorf(code, "the %s is not valid GP Connect STU3: %s", wantType, strings.Join(msgs, "; "))
	}
	return res, nil
}

// statusRecorder remembers the status written, for the audit.
type statusRecorder struct {
	http.ResponseWriter
	status int
	xml    bool // answer in XML
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// ParseDirectory reads the directory from configuration: practices as
// "ODS=ASID,ODS=ASID" and consumers as "ASID=ODS,ASID=ODS".
func ParseDirectory(practices, consumers string) (StaticDirectory, error) {
	d := StaticDirectory{Practices: map[string]string{}, Consumers: map[string]string{}}
	parse := func(s, what string, into map[string]string) error {
		for _, pair := range strings.Split(s, ",") {
			pair = strings.TrimSpace(pair)
			if pair == "" {
				continue
			}
			k, v, ok := strings.Cut(pair, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				return fmt.Errorf("GP Connect %s: %q is not KEY=VALUE", what, pair)
			}
			if _, dup := into[k]; dup {
				return fmt.Errorf("GP Connect %s: %q is given twice", what, k)
			}
			into[k] = v
		}
		return nil
	}
	if err := parse(practices, "practices (ODS=ASID)", d.Practices); err != nil {
		return d, err
	}
	if err := parse(consumers, "consumers (ASID=ODS)", d.Consumers); err != nil {
		return d, err
	}
	return d, nil
}

// refusedCall is what the audit records of a request whose JWT was read
// but refused: the claims as given, the reason marked unchecked.
func refusedCall(c *Claims, asid, trace, iid string) *call {
	ods, _ := identifierValue(c.RequestingOrganization.Identifier, ODSSystem)
	sds, _ := identifierValue(c.RequestingPractitioner.Identifier, SDSUserSystem)
	consumer := &auth.Consumer{ASID: asid, TraceID: trace, InteractionID: iid, Organization: ods, OrganizationName: c.RequestingOrganization.Name,
		UserID: c.Sub, SDSUserID: sds, Reason: "unchecked:" + c.ReasonForRequest}
	return &call{id: iid, consumer: consumer, refused: true, principal: &auth.Principal{Subject: "gpconnect:" + asid + ":" + c.Sub,
		ClientID: "gpconnect:" + asid, Role: auth.RoleConsumer, Consumer: consumer}}
}

// statusOnly records the status and headers a handler would answer.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header { return s.header }

func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }

func (s *statusOnly) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}

// ProxyCheck returns the FromProxy check: a request presenting a TLS
// client certificate the server verified (the proxy's, with serve's
// --tls-client-ca), or one from an address in allowed (the proxy's
// network, for a deployment that ends TLS in front of gpcloud).
func ProxyCheck(allowed []netip.Prefix) func(*http.Request) bool {
	return func(r *http.Request) bool {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			return true
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		addr, err := netip.ParseAddr(host)
		if err != nil {
			return false
		}
		for _, p := range allowed {
			if p.Contains(addr.Unmap()) {
				return true
			}
		}
		return false
	}
}

// ParsePrefixes reads "CIDR,CIDR" (a bare address is one host).
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("GP Connect proxy address %q: %v", f, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("GP Connect proxy network %q: %v", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
