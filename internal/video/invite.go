package video

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Invite is a one-time link to a call: for the patient (sent by email or
// SMS; they still sign in, and must be the call's patient or act for
// them) or for a guest such as an interpreter (no account: the link
// itself admits them once). The link carries only an opaque random
// token; the store keeps its SHA-256, never the token.
type Invite struct {
	Call string    `json:"call"`
	For  Role      `json:"for"`
	Name string    `json:"name,omitempty"` // a guest's name, shown to the others
	Used time.Time `json:"used,omitzero"`
}

// GuestPass is what a guest's cookie names once their link is used.
type GuestPass struct {
	Call        string `json:"call"`
	Participant string `json:"participant"`
	Name        string `json:"name"`
}

// Errors of links.
var (
	ErrUnknownLink = errors.New("video: this link is not valid")
	ErrUsedLink    = errors.New("video: this link has been used already")
)

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewInvite makes a one-time link token for a call. It expires with the
// call's window.
func (cs *Calls) NewInvite(ctx context.Context, callID string, to Role, name string) (string, error) {
	if to != Patient && to != Guest {
		return "", fmt.Errorf("video: invite to %q", to)
	}
	token := randomID()
	err := cs.Store.InTx(ctx, func(tx store.Tx) error {
		c, err := getCall(ctx, tx, callID)
		if err != nil {
			return err
		}
		if err := c.Open(cs.now()); errors.Is(err, ErrEnded) {
			return err
		}
		body, _ := json.Marshal(Invite{Call: callID, For: to, Name: name})
		return tx.InsertRecord(ctx, store.Record{Kind: inviteKind, ID: tokenHash(token), Body: body, Expires: c.Closes.Add(24 * time.Hour)})
	})
	return token, err
}

// UseInvite spends a link: it must exist, be unused, and its call be
// open now; check (may be nil) refuses the person using it (a patient's
// link opened by someone else), and then the link stays unused. For a
// guest's link it returns the secret of their pass (for a cookie): the
// guest becomes a participant of the call.
func (cs *Calls) UseInvite(ctx context.Context, token string, check func(*Call, *Invite) error) (*Call, *Invite, string, error) {
	var (
		call   *Call
		inv    Invite
		secret string
	)
	err := cs.Store.InTx(ctx, func(tx store.Tx) error {
		rec, err := tx.GetRecord(ctx, inviteKind, tokenHash(token))
		if errors.Is(err, store.ErrNotFound) {
			return ErrUnknownLink
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(rec.Body, &inv); err != nil {
			return err
		}
		if !inv.Used.IsZero() {
			return ErrUsedLink
		}
		if call, err = getCall(ctx, tx, inv.Call); err != nil {
			return err
		}
		if err := call.Open(cs.now()); err != nil {
			return err
		}
		if check != nil {
			if err := check(call, &inv); err != nil {
				return err
			}
		}
		inv.Used = cs.now().UTC()
		rec.Body, _ = json.Marshal(inv)
		if err := tx.PutRecord(ctx, rec); err != nil {
			return err
		}
		if inv.For != Guest {
			return nil
		}
		call.Guests++
		pid := fmt.Sprintf("guest-%d", call.Guests)
		call.Participants[pid] = &Participant{ID: pid, Role: Guest, Name: inv.Name}
		call.Rev++
		if err := putCall(ctx, tx, call); err != nil {
			return err
		}
		secret = randomID()
		body, _ := json.Marshal(GuestPass{Call: call.ID, Participant: pid, Name: inv.Name})
		return tx.InsertRecord(ctx, store.Record{Kind: guestKind, ID: tokenHash(secret), Body: body, Expires: call.Closes})
	})
	if err != nil {
		return nil, nil, "", err
	}
	return call, &inv, secret, nil
}

// Guest returns the pass a guest's cookie names; ErrNotMember when there
// is none (or it expired with the call's window).
func (cs *Calls) Guest(ctx context.Context, secret string) (*GuestPass, error) {
	rec, err := cs.Store.GetRecord(ctx, guestKind, tokenHash(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotMember
	}
	if err != nil {
		return nil, err
	}
	var g GuestPass
	if err := json.Unmarshal(rec.Body, &g); err != nil {
		return nil, err
	}
	return &g, nil
}
