package identity

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Lockout: after maxFailures wrong passwords or codes in a row, an
// account refuses every attempt for lockFor.
const (
	maxFailures = 5
	lockFor     = 15 * time.Minute
)

// Sign-in errors. The message for a wrong username is the same as for a
// wrong password, so that accounts cannot be discovered by trying.
var (
	ErrBadCredentials = errors.New("the username or password is not right")
	ErrBadCode        = errors.New("the security code is not right or was already used")
	ErrLocked         = errors.New("this account is locked after too many failed attempts: try again in 15 minutes or ask your practice admin")
	// ErrSuspended is told only to someone who gave the right password.
	ErrSuspended = errors.New("this account is suspended: ask your practice admin")
)

// dummyHash is checked for unknown usernames so that they take as long
// to refuse as known ones.
var dummyHash, _ = HashPassword("not-a-password-of-anyone")

// CheckCredentials verifies a username and password.
func CheckCredentials(ctx context.Context, st store.Store, username, password string, now time.Time) (*User, error) {
	u, err := GetUser(ctx, st, username)
	if errors.Is(err, ErrNoUser) {
		_, _ = CheckPassword(dummyHash, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if now.Before(u.LockedUntil) {
		return nil, ErrLocked
	}
	ok := false
	if u.PasswordHash != "" {
		if ok, err = CheckPassword(u.PasswordHash, password); err != nil {
			return nil, err
		}
	}
	if err := recordAttempt(ctx, st, u.ID, ok, 0, now, ErrBadCredentials); err != nil {
		return u, err
	}
	if u.Suspended {
		return u, ErrSuspended
	}
	return u, nil
}

// CheckCode verifies a TOTP code of a user who passed their password.
func CheckCode(ctx context.Context, st store.Store, username, code string, now time.Time) (*User, error) {
	u, err := GetUser(ctx, st, username)
	if err != nil {
		return nil, err
	}
	if now.Before(u.LockedUntil) {
		return nil, ErrLocked
	}
	if u.Suspended {
		return u, ErrSuspended
	}
	step, ok := CheckTOTP(u.TOTPSecret, code, now)
	if ok && step <= u.LastTOTPStep {
		ok = false // replayed
	}
	return u, recordAttempt(ctx, st, u.ID, ok, step, now, ErrBadCode)
}

// recordAttempt counts a failure (locking the account at the limit) or
// clears the count, in a transaction that re-reads the account so
// concurrent attempts are all counted. It returns failure when !ok.
func recordAttempt(ctx context.Context, st store.Store, id string, ok bool, step int64, now time.Time, failure error) error {
	locked := false
	err := st.InTx(ctx, func(tx store.Tx) error {
		u, err := GetUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if ok {
			u.FailedLogins = 0
			if step > 0 {
				u.LastTOTPStep = step
				u.TOTPConfirmed = true
			}
		} else {
			u.FailedLogins++
			if u.FailedLogins >= maxFailures {
				u.FailedLogins, u.LockedUntil, locked = 0, now.Add(lockFor), true
			}
		}
		return PutUser(ctx, tx, u)
	})
	switch {
	case err != nil:
		return err
	case locked:
		return ErrLocked
	case !ok:
		return failure
	}
	return nil
}

// Session is a signed-in browser.
type Session struct {
	User string `json:"user"`
	// Verified is set once the second factor (if the user needs one) is done.
	Verified bool      `json:"verified"`
	CSRF     string    `json:"csrf"`
	AuthTime time.Time `json:"authTime"`
	Expires  time.Time `json:"expires"`

	key string // hash of the cookie value
}

// SessionTTL is how long a browser stays signed in without activity
// being needed; staff sessions on shared practice PCs should be short.
const SessionTTL = 8 * time.Hour

const sessionKind = "session"

// StartSession creates a session for a user who passed their password;
// it returns the cookie value (the store keeps only its hash).
func StartSession(ctx context.Context, st store.Store, u *User, now time.Time) (string, *Session, error) {
	cookie := auth.NewSecret()
	s := &Session{User: u.ID, Verified: !u.NeedsSecondFactor(), CSRF: auth.NewSecret(), AuthTime: now, Expires: now.Add(SessionTTL), key: auth.HashSecret(cookie)}
	return cookie, s, s.Save(ctx, st)
}

// Save writes the session.
func (s *Session) Save(ctx context.Context, st store.Store) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return st.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: sessionKind, ID: s.key, Body: body, Expires: s.Expires})
	})
}

// LoadSession returns the session of a cookie; ErrNoUser-free nil when
// there is none (or it expired).
func LoadSession(ctx context.Context, st store.Store, cookie string) (*Session, error) {
	if cookie == "" {
		return nil, nil
	}
	rec, err := st.GetRecord(ctx, sessionKind, auth.HashSecret(cookie))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s Session
	if err := json.Unmarshal(rec.Body, &s); err != nil {
		return nil, err
	}
	s.key = auth.HashSecret(cookie)
	return &s, nil
}

// End deletes the session (sign out).
func (s *Session) End(ctx context.Context, st store.Store) error {
	return st.InTx(ctx, func(tx store.Tx) error { return tx.DeleteRecord(ctx, sessionKind, s.key) })
}
