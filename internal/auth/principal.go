package auth

import (
	"context"
	"net/url"
	"slices"
	"sync"
)

// Role is what a user does at a practice.
type Role string

// The roles of gpcloud users. Staff roles belong to one practice.
const (
	RoleGP            Role = "gp"
	RoleNurse         Role = "nurse"
	RoleReceptionist  Role = "receptionist"
	RolePracticeAdmin Role = "practice-admin"
	RolePatient       Role = "patient"
	RoleProxy         Role = "proxy"  // acts for patients: a carer, a parent
	RoleSystem        Role = "system" // a system client, no user
	// RoleConsumer is another organisation's system calling through GP
	// Connect for one of its users (Principal.Consumer says who and why).
	// It reaches the practice's patients like staff do, never a
	// sensitive record (no break-glass), and books only the slots
	// offered to GP Connect. Not in Roles: no account has it.
	RoleConsumer Role = "gp-connect-consumer"
)

// Roles lists every role, for validation and help texts.
var Roles = []Role{RoleGP, RoleNurse, RoleReceptionist, RolePracticeAdmin, RolePatient, RoleProxy, RoleSystem}

// IsStaff reports whether the role is a practice staff role.
func (r Role) IsStaff() bool {
	switch r {
	case RoleGP, RoleNurse, RoleReceptionist, RolePracticeAdmin:
		return true
	}
	return false
}

// IsClinician reports whether the role may break the glass.
func (r Role) IsClinician() bool { return r == RoleGP || r == RoleNurse }

// Principal is an authenticated caller, as an access token describes it.
type Principal struct {
	// Subject is the user id, or the client id for a system client.
	Subject  string
	ClientID string
	Role     Role
	// Practice is the Organization id of a staff user's practice.
	Practice string
	// Patients are the Patient ids whose records a patient or proxy user
	// reaches, or the patient in context of a launch.
	Patients []string
	// FHIRUser is the user's own resource (Practitioner/x, Patient/y,
	// RelatedPerson/z), if any.
	FHIRUser string
	Scopes   Scopes
	// TokenID is the access token's jti (for audit).
	TokenID string
	// CertThumbprint, for a client authenticated by mutual TLS, binds
	// its tokens to its certificate (RFC 8705 cnf "x5t#S256"): they are
	// accepted only over a connection presenting that certificate.
	CertThumbprint string
	// BreakGlass is the reason a clinician gave for opening a record
	// outside their practice; it widens their reach for this request and
	// the access is flagged in the audit trail.
	BreakGlass string
	// Consumer, for a GP Connect request, is the requesting organisation,
	// user and reason from the consumer's JWT, for the audit.
	Consumer *Consumer
}

// Consumer is who asked through GP Connect: the consumer system (its
// Spine ASID), the organisation and user it acts for, and why.
type Consumer struct {
	ASID                           string // Ssp-From
	TraceID                        string // Ssp-TraceID
	InteractionID                  string // Ssp-InteractionID
	Organization, OrganizationName string // ODS code and name
	// OrganizationType is the booking organisation's GP Connect
	// organisation type (GPConnect-OrganisationType-1), when a booking
	// gives one: the slots released to a type are judged by it.
	OrganizationType            string
	UserID, UserName            string // the consumer's own user id (sub)
	SDSUserID, SDSRoleProfileID string // UNK without a smartcard
	Reason                      string // reason_for_request: directcare
}

// Reach is which patients' records a principal reaches for one type and
// permission: everything, the compartments of some patients, or those of
// a practice's patients. Resources outside every patient compartment
// (Organization, Practitioner, Medication...) are reference data that any
// principal with a scope for the type reaches.
type Reach struct {
	All      bool
	Patients []string
	Practice string
	// Restrictions are the search restrictions of fine-grained scopes.
	Restrictions []url.Values
}

// ReachFor works out the reach of p for perm on typ; ok is false when no
// scope allows it at all. system/ scopes reach every record; patient/
// scopes the patients in context; user/ scopes what the user reaches:
// a practice's patients for staff (any patient's with break-glass), their
// own (and proxied) records for patients.
func (p *Principal) ReachFor(typ string, perm Permission) (Reach, bool) {
	g := p.Scopes.Grant(typ, perm)
	if !g.Allowed {
		return Reach{}, false
	}
	r := Reach{Restrictions: g.Restrictions}
	switch {
	case g.Contexts[SystemContext]:
		r.All = true
	case g.Contexts[UserContext]:
		switch {
		case p.Role == RoleConsumer:
			r.Practice = p.Practice
		case p.Role.IsStaff() && p.BreakGlass != "" && p.Role.IsClinician():
			r.All = true
		case p.Role.IsStaff():
			r.Practice = p.Practice
		default:
			r.Patients = slices.Clone(p.Patients)
		}
	case g.Contexts[PatientContext]:
		r.Patients = slices.Clone(p.Patients)
	}
	return r, true
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p, and a new Memo for what is
// decided about p while serving it.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, p)
	return context.WithValue(ctx, memoKey{}, &Memo{})
}

type memoKey struct{}

// Memo holds what is decided about a principal during one request (the
// service's judgement of a patient's online access to their record, which
// reads several resources), so that a request with many reads decides it
// once. It lives as long as the context WithPrincipal made: a request.
type Memo struct{ sync.Map }

// MemoFrom returns the Memo in ctx, or nil.
func MemoFrom(ctx context.Context) *Memo {
	m, _ := ctx.Value(memoKey{}).(*Memo)
	return m
}

// FromContext returns the principal in ctx. A context without one is an
// in-process caller (the command-line tools, which the operator runs with
// the database's own credentials): the service lets it reach everything.
// The HTTP layer puts a principal on every request it lets through.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
