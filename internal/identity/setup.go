package identity

import (
	"context"
	"errors"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

const setupKind, setupID = "setup-token", "first-run"

// SetupTTL is how long a set-up link works.
const SetupTTL = 24 * time.Hour

// NewSetupToken returns a one-time token for the first-run page when no
// account exists yet ("" otherwise). Each call replaces the last: the
// link printed by the latest start is the one that works.
func NewSetupToken(ctx context.Context, st store.Store) (string, error) {
	users, err := st.ListRecords(ctx, userKind)
	if err != nil || len(users) > 0 {
		return "", err
	}
	tok := auth.NewSecret()
	err = st.InTx(ctx, func(tx store.Tx) error {
		return tx.PutRecord(ctx, store.Record{Kind: setupKind, ID: setupID, Body: []byte(auth.HashSecret(tok)), Expires: time.Now().Add(SetupTTL)})
	})
	return tok, err
}

// ErrSetupUsed: the set-up link is wrong, used or expired.
var ErrSetupUsed = errors.New("this set-up link is not valid: it was used, replaced by a newer one, or expired")

// CheckSetupToken reports whether tok is the current set-up token.
func CheckSetupToken(ctx context.Context, r store.Reader, tok string) error {
	rec, err := r.GetRecord(ctx, setupKind, setupID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && string(rec.Body) != auth.HashSecret(tok)) {
		return ErrSetupUsed
	}
	return err
}

// CompleteSetup creates the first administrator and uses the token up,
// in one transaction: two browsers racing with one link cannot both win.
func CompleteSetup(ctx context.Context, st store.Store, tok string, admin *User, password string) error {
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	admin.ID = NormalizeUsername(admin.ID)
	admin.PasswordHash, admin.TOTPSecret, admin.Created = h, NewTOTPSecret(), time.Now().UTC()
	return st.InTx(ctx, func(tx store.Tx) error {
		if err := CheckSetupToken(ctx, tx, tok); err != nil {
			return err
		}
		if err := tx.DeleteRecord(ctx, setupKind, setupID); err != nil {
			return err
		}
		return PutUser(ctx, tx, admin)
	})
}
