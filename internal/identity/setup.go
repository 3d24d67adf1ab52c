package identity

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

const setupKind, setupID = "setup-token", "first-run"

// SetupTTL is how long a set-up link works.
const SetupTTL = 24 * time.Hour

// setupRecord is what the store keeps of the set-up link. The token is
// kept as well as its hash so that every process (a restart, a second
// replica starting on the same database) prints the same link while it
// is unused and unexpired: a link printed by one start must not stop
// working because another started. Whoever can read the store can
// create accounts anyway (gpcloud admin user add), so keeping it adds no
// reach; it is deleted when the link is used.
type setupRecord struct {
	Hash  string `json:"hash"`
	Token string `json:"token"`
}

// NewSetupToken returns the one-time token for the first-run page when no
// account exists yet ("" otherwise): the unused, unexpired one if there is
// one (so a restart or another replica keeps the printed link working),
// or a new one valid for SetupTTL. Processes starting at once agree on
// one token: the first insert wins and the others read it.
func NewSetupToken(ctx context.Context, st store.Store) (string, error) {
	users, err := st.ListRecords(ctx, userKind)
	if err != nil || len(users) > 0 {
		return "", err
	}
	for attempt := 0; attempt < 3; attempt++ {
		if rec, err := st.GetRecord(ctx, setupKind, setupID); err == nil {
			var sr setupRecord
			if json.Unmarshal(rec.Body, &sr) == nil && sr.Token != "" && auth.HashSecret(sr.Token) == sr.Hash {
				return sr.Token, nil
			}
			// A link kept by an older version (its hash only) cannot
			// be printed again: replace it.
			if err := st.InTx(ctx, func(tx store.Tx) error { return tx.DeleteRecord(ctx, setupKind, setupID) }); err != nil {
				return "", err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		tok := auth.NewSecret()
		body, _ := json.Marshal(setupRecord{Hash: auth.HashSecret(tok), Token: tok})
		err := st.InTx(ctx, func(tx store.Tx) error {
			return tx.InsertRecord(ctx, store.Record{Kind: setupKind, ID: setupID, Body: body, Expires: time.Now().Add(SetupTTL)})
		})
		if err == nil {
			return tok, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return "", err
		}
		// Another process made one at the same moment: read theirs.
	}
	return "", errors.New("set-up link: could not agree on one with the other processes")
}

// ErrSetupUsed: the set-up link is wrong, used or expired.
var ErrSetupUsed = errors.New("this set-up link is not valid: it was used or expired")

// CheckSetupToken reports whether tok is the current set-up token.
func CheckSetupToken(ctx context.Context, r store.Reader, tok string) error {
	rec, err := r.GetRecord(ctx, setupKind, setupID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrSetupUsed
	}
	if err != nil {
		return err
	}
	hash := string(rec.Body) // an older version kept the hash alone
	var sr setupRecord
	if json.Unmarshal(rec.Body, &sr) == nil {
		hash = sr.Hash
	}
	if tok == "" || !constantEqual(hash, auth.HashSecret(tok)) {
		return ErrSetupUsed
	}
	return nil
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

func constantEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
