package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// The practice's staff accounts, as a practice admin manages them (the
// browser's Practice admin pages and the command line alike): add a
// member of staff, change their role, suspend and reinstate them, reset
// their second factor. Each operation takes the acting account and
// refuses what it may not do, so the rules live here once.

// Staff administration errors.
var (
	ErrNotAdmin       = errors.New("only the practice admin can manage staff accounts")
	ErrOtherPractice  = errors.New("that account is not one of your practice's staff")
	ErrOwnAccount     = errors.New("you cannot do this to your own account: ask another practice admin")
	ErrNotStaffRole   = errors.New("choose a staff role")
	ErrAlreadyInState = errors.New("the account is already in that state")
)

// StaffRoles are the roles a practice admin may give, in the order a
// form offers them.
func StaffRoles() []auth.Role {
	var out []auth.Role
	for _, r := range auth.Roles {
		if r.IsStaff() {
			out = append(out, r)
		}
	}
	return out
}

// CheckAdmin reports whether actor may manage their practice's staff:
// a practice admin whose account is in use.
func CheckAdmin(actor *User) error {
	if actor == nil || actor.Role != auth.RolePracticeAdmin || actor.Suspended || actor.Practice == "" {
		return ErrNotAdmin
	}
	return nil
}

// PracticeStaff lists the staff accounts of a practice, by name.
func PracticeStaff(ctx context.Context, st store.Store, practice string) ([]*User, error) {
	all, err := ListUsers(ctx, st)
	if err != nil {
		return nil, err
	}
	var out []*User
	for _, u := range all {
		if u.Role.IsStaff() && u.Practice == practice {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *User) int {
		return strings.Compare(strings.ToLower(a.Name+a.ID), strings.ToLower(b.Name+b.ID))
	})
	return out, nil
}

// AddStaff creates a staff account in the actor's practice with a new
// random password, which it returns for the admin to hand over (it is
// stored only as a hash). The member of staff enrols their second factor
// at their first sign-in.
func AddStaff(ctx context.Context, st store.Store, actor *User, u *User) (string, error) {
	if err := CheckAdmin(actor); err != nil {
		return "", err
	}
	if !u.Role.IsStaff() {
		return "", ErrNotStaffRole
	}
	u.Practice, u.Patients = actor.Practice, nil
	password := FirstPassword()
	if err := CreateUser(ctx, st, u, password); err != nil {
		return "", err
	}
	return password, nil
}

// firstPasswordLetters leave out what is misread when a password is read
// out or copied from a screen (0 O o, 1 l I i).
const firstPasswordLetters = "abcdefghjkmnpqrstuvwxyz23456789"

// FirstPassword is a new account's first password: 16 random characters
// of firstPasswordLetters (about 79 bits) in groups of four, easy to read
// out and type ("k7mq-4tzr-9wpe-x2hc").
func FirstPassword() string {
	const n = len(firstPasswordLetters)
	var out strings.Builder
	var b [1]byte
	for count := 0; count < 16; {
		_, _ = rand.Read(b[:])
		if int(b[0]) >= 256/n*n {
			continue // rejected so that every letter is equally likely
		}
		if count > 0 && count%4 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(firstPasswordLetters[int(b[0])%n])
		count++
	}
	return out.String()
}

// changeStaff applies change to a staff account of the actor's practice
// in one transaction that re-reads it.
func changeStaff(ctx context.Context, st store.Store, actor *User, username string, own bool, change func(*User) error) (*User, error) {
	if err := CheckAdmin(actor); err != nil {
		return nil, err
	}
	username = NormalizeUsername(username)
	if username == actor.ID && !own {
		return nil, ErrOwnAccount
	}
	var out *User
	err := st.InTx(ctx, func(tx store.Tx) error {
		u, err := GetUser(ctx, tx, username)
		if errors.Is(err, ErrNoUser) {
			return ErrOtherPractice // the same answer as another practice's account
		}
		if err != nil {
			return err
		}
		if !u.Role.IsStaff() || u.Practice != actor.Practice {
			return ErrOtherPractice
		}
		if err := change(u); err != nil {
			return err
		}
		out = u
		return PutUser(ctx, tx, u)
	})
	return out, err
}

// SetStaffRole changes a member of staff's role. An admin cannot change
// their own (the practice would be left without one).
func SetStaffRole(ctx context.Context, st store.Store, actor *User, username string, role auth.Role) (*User, error) {
	return changeStaff(ctx, st, actor, username, false, func(u *User) error {
		if !role.IsStaff() {
			return ErrNotStaffRole
		}
		u.Role = role
		return nil
	})
}

// SetSuspended suspends (or reinstates) a member of staff. Suspending
// also ends every browser session of theirs at once: the account's next
// page is the sign-in page, which refuses them.
func SetSuspended(ctx context.Context, st store.Store, actor *User, username string, suspended bool) (*User, error) {
	u, err := changeStaff(ctx, st, actor, username, false, suspend(suspended))
	if err != nil || !suspended {
		return u, err
	}
	return u, EndSessions(ctx, st, u.ID)
}

// ResetSecondFactor gives a member of staff a new second-factor secret
// (a lost or replaced phone): their next sign-in shows it to enrol
// again, and codes from the old one no longer work. Their sessions end.
func ResetSecondFactor(ctx context.Context, st store.Store, actor *User, username string) (*User, error) {
	u, err := changeStaff(ctx, st, actor, username, false, resetFactor)
	if err != nil {
		return nil, err
	}
	return u, EndSessions(ctx, st, u.ID)
}

// The command line (gpcloud admin user ...) acts as the operator, who has
// the store itself and no practice: it recovers what no practice admin
// can (the only admin's own lost phone, an admin to suspend). The same
// changes, without the practice rules; the command audits who ran it.

// OperatorSetSuspended suspends or reinstates any account.
func OperatorSetSuspended(ctx context.Context, st store.Store, username string, suspended bool) (*User, error) {
	u, err := changeAccount(ctx, st, username, suspend(suspended))
	if err != nil || !suspended {
		return u, err
	}
	return u, EndSessions(ctx, st, u.ID)
}

// OperatorResetSecondFactor gives any account a new second-factor secret.
func OperatorResetSecondFactor(ctx context.Context, st store.Store, username string) (*User, error) {
	u, err := changeAccount(ctx, st, username, resetFactor)
	if err != nil {
		return nil, err
	}
	return u, EndSessions(ctx, st, u.ID)
}

func suspend(suspended bool) func(*User) error {
	return func(u *User) error {
		if u.Suspended == suspended {
			return ErrAlreadyInState
		}
		u.Suspended = suspended
		return nil
	}
}

func resetFactor(u *User) error {
	u.TOTPSecret, u.TOTPConfirmed, u.LastTOTPStep = NewTOTPSecret(), false, 0
	return nil
}

// changeAccount applies change to an account in one transaction.
func changeAccount(ctx context.Context, st store.Store, username string, change func(*User) error) (*User, error) {
	var out *User
	err := st.InTx(ctx, func(tx store.Tx) error {
		u, err := GetUser(ctx, tx, NormalizeUsername(username))
		if err != nil {
			return err
		}
		if err := change(u); err != nil {
			return err
		}
		out = u
		return PutUser(ctx, tx, u)
	})
	return out, err
}

// EndSessions deletes every browser session of an account.
func EndSessions(ctx context.Context, st store.Store, username string) error {
	recs, err := st.ListRecords(ctx, sessionKind)
	if err != nil {
		return err
	}
	return st.InTx(ctx, func(tx store.Tx) error {
		for _, rec := range recs {
			var s Session
			if json.Unmarshal(rec.Body, &s) == nil && s.User == username {
				if err := tx.DeleteRecord(ctx, sessionKind, rec.ID); err != nil {
					return fmt.Errorf("ending a session of %s: %w", username, err)
				}
			}
		}
		return nil
	})
}
