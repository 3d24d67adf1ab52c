package video

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// Role is what a participant is in a call.
type Role string

// The roles.
const (
	Clinician Role = "clinician"
	Patient   Role = "patient"
	Guest     Role = "guest" // an invited third party: an interpreter, a carer
)

// Participant is one person in a call. Its ID is stable across
// reconnections ("clinician", "patient", "guest-<n>"), so that a peer
// who drops and rejoins takes their own place back; Conn names the
// current connection.
type Participant struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
	Name string `json:"name"`
	// Conn is the current WebSocket connection ("" while not connected);
	// Replica the gpcloud process holding it; Seen its last heartbeat.
	Conn    string    `json:"conn,omitempty"`
	Replica string    `json:"replica,omitempty"`
	Seen    time.Time `json:"seen,omitzero"`
	// Admitted: out of the waiting room (the clinician always is).
	Admitted bool      `json:"admitted,omitempty"`
	Joined   time.Time `json:"joined,omitzero"` // first connected
	Left     time.Time `json:"left,omitzero"`   // last disconnected
}

// Present reports whether the participant is connected now: a
// connection whose replica stopped sending heartbeats (it crashed) is
// not.
func (p *Participant) Present(now time.Time) bool {
	return p.Conn != "" && now.Sub(p.Seen) < 3*heartbeat
}

// Call is one video consultation, keyed by its appointment.
type Call struct {
	ID            string `json:"id"` // the Appointment id
	Patient       string `json:"patient"`
	PatientName   string `json:"patientName,omitempty"`
	Clinician     string `json:"clinician"` // Practitioner/<id>
	ClinicianName string `json:"clinicianName,omitempty"`
	// Opens and Closes bound when anyone may join: links and pages
	// outside the window are refused.
	Opens  time.Time `json:"opens"`
	Closes time.Time `json:"closes"`
	// Mode is "video", or "telephone" once the clinician switched.
	Mode    string    `json:"mode"`
	Started time.Time `json:"started,omitzero"` // the patient first admitted
	Ended   time.Time `json:"ended,omitzero"`
	// Encounter is the record of the call, once started.
	Encounter string `json:"encounter,omitempty"`
	// Checked: the start-of-call checks are recorded; CallBack is the
	// number they gave (shown when switching to the phone).
	Checked      bool                    `json:"checked,omitempty"`
	CallBack     string                  `json:"callBack,omitempty"`
	Participants map[string]*Participant `json:"participants"`
	Guests       int                     `json:"guests,omitempty"` // invited so far
	// Rev counts changes, so that hubs know when to tell their peers.
	Rev int64 `json:"rev"`
}

// Record kinds.
const (
	callKind   = "video-call"
	inviteKind = "video-invite"
	guestKind  = "video-guest"
	sigPrefix  = "video-sig:"
)

// Errors the package returns.
var (
	ErrNoCall    = errors.New("video: no such call")
	ErrEnded     = errors.New("video: the call has ended")
	ErrNotOpen   = errors.New("video: the call is not open now")
	ErrNotMember = errors.New("video: not a participant of this call")
)

// Window is when a call for an appointment may be joined: from 30
// minutes before it starts to 2 hours after it ends (clinics run late).
func Window(start, end time.Time) (opens, closes time.Time) {
	return start.Add(-30 * time.Minute), end.Add(2 * time.Hour)
}

// Open checks whether now is inside the call's window and it has not
// ended; the error says which.
func (c *Call) Open(now time.Time) error {
	switch {
	case !c.Ended.IsZero():
		return ErrEnded
	case now.Before(c.Opens) || now.After(c.Closes):
		return ErrNotOpen
	}
	return nil
}

// Calls keeps calls in the store's records.
type Calls struct {
	Store store.Store
	Now   func() time.Time
}

func (cs *Calls) now() time.Time {
	if cs.Now != nil {
		return cs.Now()
	}
	return time.Now()
}

// Get reads a call; ErrNoCall when there is none.
func (cs *Calls) Get(ctx context.Context, id string) (*Call, error) {
	return getCall(ctx, cs.Store, id)
}

func getCall(ctx context.Context, r store.Reader, id string) (*Call, error) {
	rec, err := r.GetRecord(ctx, callKind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoCall
	}
	if err != nil {
		return nil, err
	}
	var c Call
	if err := json.Unmarshal(rec.Body, &c); err != nil {
		return nil, fmt.Errorf("video call %s: %w", id, err)
	}
	if c.Participants == nil {
		c.Participants = map[string]*Participant{}
	}
	return &c, nil
}

func putCall(ctx context.Context, tx store.Tx, c *Call) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	// Kept a day past its window, then gone: call state is not the
	// record (the Encounter is).
	return tx.PutRecord(ctx, store.Record{Kind: callKind, ID: c.ID, Body: body, Expires: c.Closes.Add(24 * time.Hour)})
}

// Ensure returns the call of an appointment, creating it from spec when
// there is none yet. An existing call keeps its state.
func (cs *Calls) Ensure(ctx context.Context, spec Call) (*Call, error) {
	var out *Call
	err := cs.Store.InTx(ctx, func(tx store.Tx) error {
		c, err := getCall(ctx, tx, spec.ID)
		if err == nil {
			out = c
			return nil
		}
		if !errors.Is(err, ErrNoCall) {
			return err
		}
		c = &spec
		if c.Mode == "" {
			c.Mode = "video"
		}
		c.Participants = map[string]*Participant{}
		c.Rev = 1
		out = c
		return putCall(ctx, tx, c)
	})
	return out, err
}

// Update changes a call in one transaction; fn's error aborts it.
func (cs *Calls) Update(ctx context.Context, id string, fn func(*Call) error) (*Call, error) {
	var out *Call
	err := cs.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.Lock(ctx, callKind+":"+id); err != nil {
			return err
		}
		c, err := getCall(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		c.Rev++
		out = c
		return putCall(ctx, tx, c)
	})
	return out, err
}

// randomID is an unguessable identifier (128 bits).
func randomID() string { return rand.Text() }
