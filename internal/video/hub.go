package video

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
)

// heartbeat is how often a replica says its peers are still connected;
// a participant not heard of for three heartbeats is gone (its replica
// stopped).
const heartbeat = 10 * time.Second

// signalTTL is how long a message for a peer on another replica waits
// to be delivered before it is dropped (the peer has gone; it will
// negotiate afresh when it comes back).
const signalTTL = 30 * time.Second

// Options configure a Hub.
type Options struct {
	Store store.Store
	TURN  TURN
	// Replica names this process among those sharing the store (default:
	// a random name per start).
	Replica string
	Logger  *slog.Logger
	Now     func() time.Time
	// Poll is how often a call with peers on another replica reads the
	// store for their messages (default 100 ms).
	Poll time.Duration
}

// Hub holds this replica's connected peers and relays their signalling:
// in process between peers connected here, through the store to peers
// connected to another replica.
type Hub struct {
	Calls   *Calls
	turn    TURN
	replica string
	log     *slog.Logger
	poll    time.Duration

	mu    sync.Mutex
	rooms map[string]*room
	start sync.Once
	stop  chan struct{}
	// serving counts connections being served: Close waits for them,
	// since the HTTP server's Shutdown does not wait for hijacked ones.
	serving sync.WaitGroup
}

// room is a call with at least one peer connected here.
type room struct {
	id    string
	peers map[string]*peer // by participant id
	call  *Call            // the latest state seen
	// remote: a participant is connected to another replica, so the
	// room polls the store for messages.
	remote bool
}

// peer is one WebSocket connection.
type peer struct {
	pid, conn string
	role      Role
	name      string
	out       chan []byte
	kick      chan struct{} // closed to end the connection (replaced, ended)
	kicked    bool
}

// NewHub returns a hub; Close stops its store poller.
func NewHub(o Options) *Hub {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Replica == "" {
		o.Replica = randomID()[:12]
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	return &Hub{Calls: &Calls{Store: o.Store, Now: o.Now}, turn: o.TURN, replica: o.Replica, log: o.Logger,
		poll: o.Poll, rooms: map[string]*room{}, stop: make(chan struct{})}
}

// Close stops the poller, drops every connection and waits (up to ten
// seconds) until their handlers have returned, so that their last audit
// and store writes happen before the store and the audit trail close.
func (h *Hub) Close() {
	h.mu.Lock()
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	for _, r := range h.rooms {
		for _, p := range r.peers {
			p.close()
		}
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.serving.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.log.Warn("video: connections still open at shutdown")
	}
}

// closed reports whether Close has been called.
func (h *Hub) closed() bool {
	select {
	case <-h.stop:
		return true
	default:
		return false
	}
}

func (p *peer) close() {
	if !p.kicked {
		p.kicked = true
		close(p.kick)
	}
}

// send queues a message; a peer too slow to take 256 messages is dropped
// (it reconnects and negotiates afresh).
func (p *peer) send(msg []byte) {
	select {
	case p.out <- msg:
	default:
		p.close()
	}
}

// Who is the person behind a connection, as the page that authorised it
// decided.
type Who struct {
	ID   string // participant id: "clinician", "patient", "guest-<n>"
	Role Role
	Name string
}

// outgoing messages.
type (
	welcomeMsg struct {
		Type string      `json:"type"` // "welcome"
		You  string      `json:"you"`
		Conn string      `json:"conn"`
		Role Role        `json:"role"`
		ICE  []ICEServer `json:"ice"`
	}
	presenceMsg struct {
		Type  string         `json:"type"` // "presence"
		Mode  string         `json:"mode"`
		Ended bool           `json:"ended"`
		Peers []presencePeer `json:"peers"`
	}
	presencePeer struct {
		ID       string `json:"id"`
		Role     Role   `json:"role"`
		Name     string `json:"name"`
		Conn     string `json:"conn,omitempty"`
		Present  bool   `json:"present"`
		Admitted bool   `json:"admitted"`
	}
	signalMsg struct {
		Type     string          `json:"type"` // "signal"
		From     string          `json:"from"`
		FromConn string          `json:"fromConn"`
		Data     json.RawMessage `json:"data"`
	}
	chatMsg struct {
		Type string    `json:"type"` // "chat"
		From string    `json:"from"`
		Name string    `json:"name"`
		Text string    `json:"text"`
		At   time.Time `json:"at"`
	}
	photoMsg struct {
		Type  string    `json:"type"` // "photo"
		From  string    `json:"from"`
		Name  string    `json:"name"`
		Photo string    `json:"photo"` // a data: URL
		At    time.Time `json:"at"`
	}
)

// PhotoLimit bounds a photo sent in the chat (as a data: URL; the page
// scales larger photos down).
const PhotoLimit = 7 << 20

// incoming is any message a browser sends.
type incoming struct {
	Type   string          `json:"type"` // signal, chat, admit
	To     string          `json:"to,omitempty"`
	ToConn string          `json:"toConn,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	Text   string          `json:"text,omitempty"`
	Photo  string          `json:"photo,omitempty"`
}

// envelope is a message on its way to a peer on another replica.
type envelope struct {
	To     string          `json:"to"`
	ToConn string          `json:"toConn,omitempty"`
	Msg    json.RawMessage `json:"msg"`
	At     time.Time       `json:"at"`
}

func (h *Hub) now() time.Time { return h.Calls.now() }

// presence is the message telling peers who is in the call.
func presence(c *Call, now time.Time) []byte {
	m := presenceMsg{Type: "presence", Mode: c.Mode, Ended: !c.Ended.IsZero(), Peers: []presencePeer{}}
	for _, p := range c.Participants {
		pp := presencePeer{ID: p.ID, Role: p.Role, Name: p.Name, Present: p.Present(now), Admitted: p.Admitted}
		if pp.Present {
			pp.Conn = p.Conn
		}
		m.Peers = append(m.Peers, pp)
	}
	sort.Slice(m.Peers, func(i, j int) bool { return m.Peers[i].ID < m.Peers[j].ID })
	b, _ := json.Marshal(m)
	return b
}

// join records the connection in the call and registers the peer here.
func (h *Hub) join(ctx context.Context, callID string, who Who) (*peer, *Call, error) {
	conn := randomID()
	now := h.now()
	c, err := h.Calls.Update(ctx, callID, func(c *Call) error {
		if err := c.Open(now); err != nil {
			return err
		}
		p := c.Participants[who.ID]
		if p == nil {
			if who.Role == Guest {
				return ErrNotMember // guests are added by their link
			}
			p = &Participant{ID: who.ID, Role: who.Role}
			c.Participants[who.ID] = p
		}
		p.Name, p.Conn, p.Replica, p.Seen = who.Name, conn, h.replica, now.UTC()
		if p.Joined.IsZero() {
			p.Joined = now.UTC()
		}
		if who.Role == Clinician {
			p.Admitted = true
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	p := &peer{pid: who.ID, conn: conn, role: who.Role, name: who.Name, out: make(chan []byte, 256), kick: make(chan struct{})}
	// The welcome goes first: the browser learns who it is before it
	// hears who else is there.
	welcome, _ := json.Marshal(welcomeMsg{Type: "welcome", You: p.pid, Conn: p.conn, Role: p.role, ICE: h.turn.Servers(p.pid, now)})
	p.send(welcome)
	h.mu.Lock()
	r := h.rooms[callID]
	if r == nil {
		r = &room{id: callID, peers: map[string]*peer{}}
		h.rooms[callID] = r
	}
	if old := r.peers[who.ID]; old != nil {
		old.close() // the same person rejoined (another tab, a reload)
	}
	r.peers[who.ID] = p
	h.mu.Unlock()
	h.start.Do(func() { go h.run() })
	h.seen(c)
	return p, c, nil
}

// leave records that a connection ended (unless the person has already
// rejoined on another one).
func (h *Hub) leave(callID string, p *peer) {
	h.mu.Lock()
	if r := h.rooms[callID]; r != nil && r.peers[p.pid] == p {
		delete(r.peers, p.pid)
		if len(r.peers) == 0 {
			delete(h.rooms, callID)
		}
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := h.Calls.Update(ctx, callID, func(c *Call) error {
		if q := c.Participants[p.pid]; q != nil && q.Conn == p.conn {
			q.Conn, q.Left = "", h.now().UTC()
		}
		return nil
	})
	if err != nil {
		h.log.Warn("video: recording a peer's leaving failed", "error", err)
		return
	}
	h.seen(c)
}

// seen takes a call's latest state: the room's view is updated, and its
// peers told who is there when anything changed.
func (h *Hub) seen(c *Call) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[c.ID]
	if r == nil || (r.call != nil && r.call.Rev >= c.Rev) {
		return
	}
	r.call = c
	now := h.now()
	r.remote = false
	for _, p := range c.Participants {
		if p.Present(now) && p.Replica != h.replica {
			r.remote = true
		}
	}
	msg := presence(c, now)
	for _, p := range r.peers {
		p.send(msg)
		if !c.Ended.IsZero() {
			p.close()
		}
	}
}

// Admit lets a participant out of the waiting room; the first admission
// starts the call.
func (h *Hub) Admit(ctx context.Context, callID, pid string) (*Call, error) {
	c, err := h.Calls.Update(ctx, callID, func(c *Call) error {
		p := c.Participants[pid]
		if p == nil {
			return ErrNotMember
		}
		p.Admitted = true
		if c.Started.IsZero() && p.Role == Patient {
			c.Started = h.now().UTC()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.seen(c)
	return c, nil
}

// End ends a call: every peer is told and disconnected, and nobody may
// join it again.
func (h *Hub) End(ctx context.Context, callID string) (*Call, error) {
	c, err := h.Calls.Update(ctx, callID, func(c *Call) error {
		if !c.Ended.IsZero() {
			return ErrEnded
		}
		c.Ended = h.now().UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.seen(c)
	return c, nil
}

// SwitchToPhone records that the clinician carries on by telephone: the
// peers are told (the patient's page says the clinician will phone).
func (h *Hub) SwitchToPhone(ctx context.Context, callID string) (*Call, error) {
	c, err := h.Calls.Update(ctx, callID, func(c *Call) error {
		if !c.Ended.IsZero() {
			return ErrEnded
		}
		c.Mode = "telephone"
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.seen(c)
	return c, nil
}

// Refresh pushes a call's state to the peers here (after a change made
// through Calls.Update by a page).
func (h *Hub) Refresh(c *Call) { h.seen(c) }

// handle acts on one message from a peer.
func (h *Hub) handle(ctx context.Context, callID string, from *peer, m incoming) error {
	switch m.Type {
	case "signal":
		h.mu.Lock()
		r := h.rooms[callID]
		var ok bool
		if r != nil && r.call != nil {
			a, b := r.call.Participants[from.pid], r.call.Participants[m.To]
			// Media is negotiated only between people in the call: a
			// patient in the waiting room sees and hears nobody.
			ok = a != nil && b != nil && a.Admitted && b.Admitted
		}
		h.mu.Unlock()
		if !ok {
			return nil
		}
		msg, _ := json.Marshal(signalMsg{Type: "signal", From: from.pid, FromConn: from.conn, Data: m.Data})
		return h.route(ctx, callID, m.To, m.ToConn, msg)
	case "chat":
		text := strings.TrimSpace(m.Text)
		if text == "" || len(text) > 2000 {
			return nil
		}
		msg, _ := json.Marshal(chatMsg{Type: "chat", From: from.pid, Name: from.name, Text: text, At: h.now().UTC()})
		h.mu.Lock()
		var to []string
		if r := h.rooms[callID]; r != nil && r.call != nil {
			for id := range r.call.Participants {
				to = append(to, id)
			}
		}
		h.mu.Unlock()
		for _, id := range to {
			if err := h.route(ctx, callID, id, "", msg); err != nil {
				return err
			}
		}
		return nil
	case "photo":
		// Only the patient sends photos, and only the clinician gets
		// them: nothing is stored unless the clinician keeps it
		// (clinical.PhotoKeep), and an interpreter never sees one.
		if from.role != Patient || len(m.Photo) > PhotoLimit ||
			!(strings.HasPrefix(m.Photo, "data:image/jpeg;base64,") || strings.HasPrefix(m.Photo, "data:image/png;base64,")) {
			return nil
		}
		msg, _ := json.Marshal(photoMsg{Type: "photo", From: from.pid, Name: from.name, Photo: m.Photo, At: h.now().UTC()})
		h.mu.Lock()
		var to []string
		if r := h.rooms[callID]; r != nil && r.call != nil {
			for id, p := range r.call.Participants {
				if p.Role == Clinician {
					to = append(to, id)
				}
			}
		}
		h.mu.Unlock()
		for _, id := range to {
			if err := h.route(ctx, callID, id, "", msg); err != nil {
				return err
			}
		}
		return nil
	case "admit":
		if from.role != Clinician {
			return nil // only the clinician admits
		}
		_, err := h.Admit(ctx, callID, m.To)
		if errors.Is(err, ErrNotMember) {
			return nil
		}
		return err
	}
	return nil
}

// route delivers a message to a participant: in process when connected
// here, else through the store when connected to another replica.
func (h *Hub) route(ctx context.Context, callID, to, toConn string, msg []byte) error {
	h.mu.Lock()
	r := h.rooms[callID]
	var remote bool
	if r != nil {
		if p := r.peers[to]; p != nil {
			if toConn == "" || toConn == p.conn {
				p.send(msg)
			}
			h.mu.Unlock()
			return nil
		}
		if r.call != nil {
			if q := r.call.Participants[to]; q != nil && q.Present(h.now()) && q.Replica != h.replica {
				remote = true
			}
		}
	}
	h.mu.Unlock()
	if !remote {
		return nil // nobody to deliver to: they negotiate afresh when they come
	}
	now := h.now().UTC()
	body, _ := json.Marshal(envelope{To: to, ToConn: toConn, Msg: msg, At: now})
	id := fmt.Sprintf("%019d-%s", now.UnixNano(), randomID()[:10])
	return h.Calls.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: sigPrefix + callID, ID: id, Body: body})
	})
}

// run polls the store: rooms with peers elsewhere every Poll for their
// messages and the call's state, every other room each second for the
// call's state (someone joining on another replica), and says every
// heartbeat that this replica's peers are still here.
func (h *Hub) run() {
	tick := time.NewTicker(h.poll)
	defer tick.Stop()
	var n int
	lastBeat := time.Now()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		n++
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		h.mu.Lock()
		var remote, all []string
		for id, r := range h.rooms {
			all = append(all, id)
			if r.remote {
				remote = append(remote, id)
			}
		}
		h.mu.Unlock()
		for _, id := range remote {
			if c, err := h.Calls.Get(ctx, id); err == nil {
				h.seen(c)
			}
			if err := h.deliver(ctx, id); err != nil {
				h.log.Warn("video: reading relayed messages failed", "error", err)
			}
		}
		if n%int(max(1, time.Second/h.poll)) == 0 && len(all) > len(remote) {
			if recs, err := h.Calls.Store.ListRecords(ctx, callKind); err == nil {
				for _, rec := range recs {
					var c Call
					if json.Unmarshal(rec.Body, &c) == nil {
						h.seen(&c)
					}
				}
			}
		}
		if time.Since(lastBeat) >= heartbeat {
			lastBeat = time.Now()
			for _, id := range all {
				h.beat(ctx, id)
			}
		}
		cancel()
	}
}

// beat marks this replica's peers of a call as still connected.
func (h *Hub) beat(ctx context.Context, callID string) {
	h.mu.Lock()
	mine := map[string]string{}
	if r := h.rooms[callID]; r != nil {
		for id, p := range r.peers {
			mine[id] = p.conn
		}
	}
	h.mu.Unlock()
	if len(mine) == 0 {
		return
	}
	c, err := h.Calls.Update(ctx, callID, func(c *Call) error {
		for id, conn := range mine {
			if p := c.Participants[id]; p != nil && p.Conn == conn {
				p.Seen = h.now().UTC()
			}
		}
		return nil
	})
	if err == nil {
		h.seen(c)
	}
}

// deliver hands the messages waiting in the store to the peers here they
// are for, and deletes them (and those nobody took in time).
func (h *Hub) deliver(ctx context.Context, callID string) error {
	recs, err := h.Calls.Store.ListRecords(ctx, sigPrefix+callID)
	if err != nil || len(recs) == 0 {
		return err
	}
	var done []string
	now := h.now()
	h.mu.Lock()
	r := h.rooms[callID]
	for _, rec := range recs {
		var e envelope
		if json.Unmarshal(rec.Body, &e) != nil || now.Sub(e.At) > signalTTL {
			done = append(done, rec.ID)
			continue
		}
		if r == nil {
			continue
		}
		if p := r.peers[e.To]; p != nil {
			if e.ToConn == "" || e.ToConn == p.conn {
				p.send(e.Msg)
			}
			done = append(done, rec.ID)
		}
	}
	h.mu.Unlock()
	if len(done) == 0 {
		return nil
	}
	return h.Calls.Store.InTx(ctx, func(tx store.Tx) error {
		for _, id := range done {
			if err := tx.DeleteRecord(ctx, sigPrefix+callID, id); err != nil {
				return err
			}
		}
		return nil
	})
}
