package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// User is an account.
type User struct {
	// ID is the lower-cased username (an email address or a login name).
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     auth.Role `json:"role"`
	Practice string    `json:"practice,omitempty"` // Organization id, for staff
	// Patients are the Patient ids a patient (their own) or a proxy
	// (those they act for) reaches.
	Patients []string `json:"patients,omitempty"`
	// FHIRUser is the user's own resource: Practitioner/x, Patient/y,
	// RelatedPerson/z.
	FHIRUser     string `json:"fhirUser,omitempty"`
	PasswordHash string `json:"passwordHash,omitempty"`
	TOTPSecret   string `json:"totpSecret,omitempty"`
	// TOTPConfirmed is set once the user has entered a first code.
	TOTPConfirmed bool  `json:"totpConfirmed,omitempty"`
	LastTOTPStep  int64 `json:"lastTotpStep,omitempty"`
	// IdentityProof is how a patient or proxy proved who they are, as
	// their identity provider or the practice recorded it: an NHS login
	// level ("P9", "P5", "P0"), "vouched" or "photo-id" (checked at the
	// practice); empty when not recorded. Record access in the portal
	// needs a high level (clinical.HighIdentityProof).
	IdentityProof string `json:"identityProof,omitempty"`
	// External is the issuer and subject of an external identity linked
	// to this account (OpenID Connect), "issuer|sub".
	External string `json:"external,omitempty"`
	// Suspended accounts cannot sign in (a member of staff on leave or
	// gone); the practice admin reinstates them. See staff.go.
	Suspended    bool      `json:"suspended,omitempty"`
	FailedLogins int       `json:"failedLogins,omitempty"`
	LockedUntil  time.Time `json:"lockedUntil,omitzero"`
	Created      time.Time `json:"created"`
}

const userKind = "user"

var usernamePattern = regexp.MustCompile(`^[a-z0-9._@+\-]{3,128}$`)

// NormalizeUsername lower-cases and trims a username.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NeedsSecondFactor reports whether the user must enter a TOTP code:
// every staff member. Patients may add one.
func (u *User) NeedsSecondFactor() bool { return u.Role.IsStaff() || u.TOTPConfirmed }

// Validate checks an account's shape.
func (u *User) Validate() error {
	if !usernamePattern.MatchString(u.ID) {
		return fmt.Errorf("username %q: use 3-128 lower-case letters, digits and . _ @ + -", u.ID)
	}
	switch {
	case u.Role.IsStaff():
		if u.Practice == "" {
			return fmt.Errorf("a %s belongs to a practice: give its Organization id", u.Role)
		}
	case u.Role == auth.RolePatient:
		if len(u.Patients) != 1 || u.Patients[0] == "" {
			return fmt.Errorf("a patient account links exactly one Patient record")
		}
	case u.Role == auth.RoleProxy:
		if len(u.Patients) == 0 {
			return fmt.Errorf("a proxy acts for at least one Patient")
		}
	default:
		return fmt.Errorf("role %q: want gp, nurse, receptionist, practice-admin, patient or proxy", u.Role)
	}
	switch u.IdentityProof {
	case "", "P0", "P5", "P9", "vouched", "photo-id":
	default:
		return fmt.Errorf("identity proof %q: want vouched, photo-id, P9, P5 or P0", u.IdentityProof)
	}
	return nil
}

// ErrNoUser: no account with that username.
var ErrNoUser = errors.New("no such user")

// ErrUserExists: the username is taken.
var ErrUserExists = errors.New("username taken")

// GetUser reads an account.
func GetUser(ctx context.Context, r store.Reader, username string) (*User, error) {
	rec, err := r.GetRecord(ctx, userKind, NormalizeUsername(username))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoUser
	}
	if err != nil {
		return nil, err
	}
	var u User
	if err := json.Unmarshal(rec.Body, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// PutUser writes an account in tx.
func PutUser(ctx context.Context, tx store.Tx, u *User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return tx.PutRecord(ctx, store.Record{Kind: userKind, ID: u.ID, Body: body})
}

// CreateUser adds an account; ErrConflict-wrapped if the username is taken.
func CreateUser(ctx context.Context, st store.Store, u *User, password string) error {
	u.ID = NormalizeUsername(u.ID)
	if err := u.Validate(); err != nil {
		return err
	}
	if password != "" {
		h, err := HashPassword(password)
		if err != nil {
			return err
		}
		u.PasswordHash = h
	}
	if u.Role.IsStaff() && u.TOTPSecret == "" {
		u.TOTPSecret = NewTOTPSecret()
	}
	u.Created = time.Now().UTC()
	body, err := json.Marshal(u)
	if err != nil {
		return err
	}
	err = st.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: userKind, ID: u.ID, Body: body})
	})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %q", ErrUserExists, u.ID)
	}
	return err
}

// ListUsers returns every account.
func ListUsers(ctx context.Context, st store.Store) ([]*User, error) {
	recs, err := st.ListRecords(ctx, userKind)
	if err != nil {
		return nil, err
	}
	out := make([]*User, 0, len(recs))
	for _, r := range recs {
		var u User
		if err := json.Unmarshal(r.Body, &u); err != nil {
			return nil, err
		}
		out = append(out, &u)
	}
	return out, nil
}

// AuthUser is the oauth view of an account.
func (u *User) Principal() auth.Principal {
	return auth.Principal{Subject: u.ID, Role: u.Role, Practice: u.Practice, Patients: u.Patients, FHIRUser: u.FHIRUser}
}
