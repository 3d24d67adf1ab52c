package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Invitations: a practice's registration letter (the national "linkage
// key" letter) for a patient, or for a proxy the practice has already
// decided to give access. The letter carries an account ID (which
// becomes the account's username, so that a proxy's grant, made by the
// practice before the letter was printed, names the account that will
// use it), a one-time linkage key and the practice's ODS code. The
// person registers with those and their surname and date of birth: all
// must match one hash, so nothing says which part was wrong. The key is
// kept only inside that hash (SHA-256 of the account ID, key, ODS code,
// surname and date of birth: the key's 76 random bits make it as hard
// to guess as the key itself); an invitation expires after 28 days, is
// spent by one registration and is withdrawn after five failed tries.
//
// An account made this way has no identity proof recorded: a linkage key
// alone opens appointments, requests, repeats and messages, not the
// record (CLINICAL.md, Patient portal 3), until the practice records
// that it checked photo ID or vouched for them, or NHS login gives P9.

// Invitation is one registration letter's account.
type Invitation struct {
	// ID is the account ID on the letter, and the username to be.
	ID   string    `json:"id"`
	Role auth.Role `json:"role"` // patient or proxy
	// Patient is the Patient id the account reaches (their own, or the
	// one a proxy acts for).
	Patient string `json:"patient"`
	// Name is who the letter is for.
	Name     string `json:"name"`
	Practice string `json:"practice"` // Organization id
	ODS      string `json:"ods"`
	// Check is the hex SHA-256 of the account ID, key, ODS code, surname
	// and date of birth (checkOf).
	Check     string    `json:"check"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"createdBy"`
	Expires   time.Time `json:"expires"`
	Used      time.Time `json:"used,omitzero"`
	Failures  int       `json:"failures,omitempty"`
}

const invitationKind = "portal-invitation"

// InvitationLife is how long a letter may be used.
const InvitationLife = 28 * 24 * time.Hour

// MaxInvitationFailures is how many wrong tries withdraw an invitation.
const MaxInvitationFailures = 5

// ErrInvitation is every refusal of a registration: unknown, expired,
// used, withdrawn or not matching. One error, so the page cannot say
// which part failed.
var ErrInvitation = errors.New("these details do not match a registration letter that can still be used")

// keyAlphabet leaves out letters and digits read as one another (0 O,
// 1 I L, 5 S, 8 B).
const keyAlphabet = "ACDEFGHJKMNPQRTUVWXY2345679"

func randomFrom(alphabet string, n int) (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for range n {
		i, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String(), nil
}

// NormalizeKey is a linkage key as typed: capitals, without spaces or
// hyphens.
func NormalizeKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return unicode.ToUpper(r)
	}, strings.TrimSpace(s))
}

// NormalizeAccountID is an account ID as typed: digits only.
func NormalizeAccountID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// normalSurname compares surnames whatever their case, spaces,
// apostrophes and hyphens ("O'Brien", "o brien").
func normalSurname(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return unicode.ToUpper(r)
		}
		return -1
	}, s)
}

func checkOf(id, key, ods, surname, birthDate string) string {
	h := sha256.Sum256([]byte(strings.Join([]string{NormalizeAccountID(id), NormalizeKey(key), strings.ToUpper(strings.TrimSpace(ods)), normalSurname(surname), birthDate}, "\x00")))
	return hex.EncodeToString(h[:])
}

// FormatKey groups a key in fours for the letter.
func FormatKey(key string) string {
	var parts []string
	for i := 0; i < len(key); i += 4 {
		parts = append(parts, key[i:min(i+4, len(key))])
	}
	return strings.Join(parts, "-")
}

// CreateInvitation stores a new invitation for the person with this
// surname and date of birth (2006-01-02) and returns the linkage key,
// which is never stored. inv's Role, Patient, Name, Practice, ODS and
// CreatedBy are given, and its ID may be (NewAccountID); its Check,
// Created and Expires are set.
func CreateInvitation(ctx context.Context, st store.Store, inv *Invitation, surname, birthDate string, now time.Time) (string, error) {
	if inv.Role != auth.RolePatient && inv.Role != auth.RoleProxy {
		return "", errors.New("an invitation is for a patient or a proxy")
	}
	if inv.Patient == "" || inv.ODS == "" || normalSurname(surname) == "" || birthDate == "" {
		return "", errors.New("an invitation needs the patient, the practice's ODS code, a surname and a date of birth")
	}
	key, err := randomFrom(keyAlphabet, 16) // about 76 bits
	if err != nil {
		return "", err
	}
	inv.Created, inv.Expires = now.UTC(), now.UTC().Add(InvitationLife)
	if inv.ID == "" {
		if inv.ID, err = NewAccountID(ctx, st); err != nil {
			return "", err
		}
	}
	inv.Check = checkOf(inv.ID, key, inv.ODS, surname, birthDate)
	body, err := json.Marshal(inv)
	if err != nil {
		return "", err
	}
	err = st.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: invitationKind, ID: inv.ID, Body: body})
	})
	return key, err
}

// NewAccountID picks a 10-digit account ID that no account or letter
// has: a proxy's grant is made with it before its letter is stored.
func NewAccountID(ctx context.Context, st store.Store) (string, error) {
	for range 5 { // a clash of 10-digit IDs is rare; try again
		id, err := randomFrom("0123456789", 10)
		if err != nil {
			return "", err
		}
		if _, err := GetUser(ctx, st, id); !errors.Is(err, ErrNoUser) {
			continue
		}
		if _, err := st.GetRecord(ctx, invitationKind, id); !errors.Is(err, store.ErrNotFound) {
			continue
		}
		return id, nil
	}
	return "", errors.New("no free account ID")
}

// Registration is what a person types from their letter.
type Registration struct {
	AccountID, Key, ODS, Surname, BirthDate string
	Password                                string
}

// Redeem checks a registration against its invitation and, when it
// matches, creates the account (username the account ID, the password
// chosen, no identity proof) and spends the invitation, in one
// transaction. Any mismatch counts a failure against the invitation and
// answers ErrInvitation.
func Redeem(ctx context.Context, st store.Store, reg Registration, now time.Time) (*User, *Invitation, error) {
	if len(reg.Password) < MinPasswordLength {
		return nil, nil, errors.New("a password needs at least 12 characters")
	}
	hash, err := HashPassword(reg.Password) // before the transaction: it is slow
	if err != nil {
		return nil, nil, err
	}
	id := NormalizeAccountID(reg.AccountID)
	if id == "" {
		return nil, nil, ErrInvitation
	}
	var u *User
	var inv Invitation
	refused := false
	err = st.InTx(ctx, func(tx store.Tx) error {
		rec, err := tx.GetRecord(ctx, invitationKind, id)
		if errors.Is(err, store.ErrNotFound) {
			refused = true
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(rec.Body, &inv); err != nil {
			return err
		}
		if !inv.Used.IsZero() || !now.Before(inv.Expires) || inv.Failures >= MaxInvitationFailures {
			refused = true
			return nil
		}
		got := checkOf(id, reg.Key, reg.ODS, reg.Surname, reg.BirthDate)
		if subtle.ConstantTimeCompare([]byte(got), []byte(inv.Check)) != 1 {
			refused = true
			inv.Failures++
			return putInvitation(ctx, tx, &inv)
		}
		u = &User{ID: inv.ID, Name: inv.Name, Role: inv.Role, Patients: []string{inv.Patient}, PasswordHash: hash, Created: now.UTC()}
		if inv.Role == auth.RolePatient {
			u.FHIRUser = "Patient/" + inv.Patient
		}
		if err := u.Validate(); err != nil {
			return err
		}
		body, err := json.Marshal(u)
		if err != nil {
			return err
		}
		if err := tx.InsertRecord(ctx, store.Record{Kind: userKind, ID: u.ID, Body: body}); err != nil {
			return err
		}
		inv.Used = now.UTC()
		return putInvitation(ctx, tx, &inv)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, nil, ErrInvitation // the account exists already
	}
	if err != nil {
		return nil, nil, err
	}
	if refused {
		return nil, nil, ErrInvitation
	}
	return u, &inv, nil
}

func putInvitation(ctx context.Context, tx store.Tx, inv *Invitation) error {
	body, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	return tx.PutRecord(ctx, store.Record{Kind: invitationKind, ID: inv.ID, Body: body})
}

// InvitationsOf lists a patient's invitations, newest first.
func InvitationsOf(ctx context.Context, st store.Store, patientID string) ([]Invitation, error) {
	recs, err := st.ListRecords(ctx, invitationKind)
	if err != nil {
		return nil, err
	}
	var out []Invitation
	for _, r := range recs {
		var inv Invitation
		if err := json.Unmarshal(r.Body, &inv); err != nil {
			return nil, err
		}
		if inv.Patient == patientID {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b Invitation) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// SetIdentityProof records how an account's holder proved who they are
// (vouched or photo-id, checked at the practice), for an account that
// reaches patientID; it answers ErrNoUser for any other.
func SetIdentityProof(ctx context.Context, st store.Store, username, patientID, proof string) (*User, error) {
	if proof != "vouched" && proof != "photo-id" && proof != "" {
		return nil, errors.New("the practice records vouched or photo-id")
	}
	var out *User
	err := st.InTx(ctx, func(tx store.Tx) error {
		rec, err := tx.GetRecord(ctx, userKind, NormalizeUsername(username))
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoUser
		}
		if err != nil {
			return err
		}
		var u User
		if err := json.Unmarshal(rec.Body, &u); err != nil {
			return err
		}
		if u.Role != auth.RolePatient && u.Role != auth.RoleProxy || !slices.Contains(u.Patients, patientID) {
			return ErrNoUser
		}
		if u.IdentityProof == "P9" && proof == "" {
			return nil // NHS login's proof is not the practice's to clear
		}
		u.IdentityProof = proof
		out = &u
		return PutUser(ctx, tx, &u)
	})
	return out, err
}
