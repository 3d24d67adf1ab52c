package video

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// replica is one gpcloud process's hub behind a test server that trusts
// the "who" query parameter (the pages authorise; this tests the hub).
func replica(t *testing.T, st store.Store, name string) (*Hub, string) {
	h := NewHub(Options{Store: st, Replica: name, Poll: 20 * time.Millisecond, TURN: TURN{URLs: []string{"turn:192.0.2.1:3478"}, Secret: "s3cret"}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := r.URL.Query().Get("who")
		h.Serve(w, r, r.URL.Query().Get("call"), Who{ID: who, Role: Role(strings.TrimRight(who, "-0123456789")), Name: who})
	}))
	t.Cleanup(func() { h.Close(); srv.Close() })
	return h, "ws" + strings.TrimPrefix(srv.URL, "http")
}

// client is a simulated browser.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	msgs chan map[string]any
	conn string
}

func dial(t *testing.T, base, call, who string) *client {
	t.Helper()
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, base+"/?call="+call+"&who="+who, nil)
	if err != nil {
		t.Fatalf("dial as %s: %v", who, err)
	}
	c := &client{t: t, ws: ws, msgs: make(chan map[string]any, 100)}
	go func() {
		defer close(c.msgs)
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			c.msgs <- m
		}
	}()
	w := c.next("welcome", nil)
	c.conn, _ = w["conn"].(string)
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

// next waits for a message of a type that ok accepts.
func (c *client) next(typ string, ok func(map[string]any) bool) map[string]any {
	c.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m, open := <-c.msgs:
			if !open {
				c.t.Fatalf("connection closed waiting for %s", typ)
			}
			if m["type"] == typ && (ok == nil || ok(m)) {
				return m
			}
		case <-timeout:
			c.t.Fatalf("no %s message", typ)
		}
	}
}

// none checks that no message of a type arrives for a while.
func (c *client) none(typ string, d time.Duration) {
	c.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case m := <-c.msgs:
			if m["type"] == typ {
				c.t.Fatalf("unexpected %s: %v", typ, m)
			}
		case <-timeout:
			return
		}
	}
}

func (c *client) send(m map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func peerState(m map[string]any, id string) map[string]any {
	peers, _ := m["peers"].([]any)
	for _, p := range peers {
		if pm, _ := p.(map[string]any); pm["id"] == id {
			return pm
		}
	}
	return nil
}

func newCall(t *testing.T, st store.Store, id string) {
	t.Helper()
	now := time.Now()
	cs := &Calls{Store: st}
	if _, err := cs.Ensure(context.Background(), Call{ID: id, Patient: "p1", Clinician: "Practitioner/d1", Opens: now.Add(-time.Hour), Closes: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// TestHubAcrossReplicas: the clinician on one replica, the patient on
// another, one store. The patient waits unseen until admitted; then
// offers, answers and chat cross between the replicas through the
// store; the patient drops and rejoins and gets their place back; the
// end closes both.
func TestHubAcrossReplicas(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			st := o.Open(t)
			newCall(t, st, "appt1")
			_, a := replica(t, st, "a")
			hb, b := replica(t, st, "b")

			doc := dial(t, a, "appt1", "clinician")
			pat := dial(t, b, "appt1", "patient")
			// The clinician learns the patient is waiting.
			doc.next("presence", func(m map[string]any) bool {
				p := peerState(m, "patient")
				return p != nil && p["present"] == true && p["admitted"] == false
			})
			// Not admitted: an offer to the patient goes nowhere.
			doc.send(map[string]any{"type": "signal", "to": "patient", "data": map[string]any{"sdp": "early"}})
			pat.none("signal", 300*time.Millisecond)
			// Only the clinician admits.
			pat.send(map[string]any{"type": "admit", "to": "patient"})
			pat.none("presence", 200*time.Millisecond)
			doc.send(map[string]any{"type": "admit", "to": "patient"})
			pat.next("presence", func(m map[string]any) bool { p := peerState(m, "patient"); return p != nil && p["admitted"] == true })
			doc.send(map[string]any{"type": "signal", "to": "patient", "toConn": pat.conn, "data": map[string]any{"sdp": "offer"}})
			got := pat.next("signal", nil)
			if got["from"] != "clinician" || got["fromConn"] != doc.conn {
				t.Fatalf("relayed offer: %v", got)
			}
			pat.send(map[string]any{"type": "signal", "to": "clinician", "data": map[string]any{"sdp": "answer"}})
			if d, _ := doc.next("signal", nil)["data"].(map[string]any); d["sdp"] != "answer" {
				t.Fatalf("relayed answer: %v", d)
			}
			pat.send(map[string]any{"type": "chat", "text": "Can you hear me?"})
			if m := doc.next("chat", nil); m["text"] != "Can you hear me?" || m["from"] != "patient" {
				t.Fatalf("chat: %v", m)
			}
			// The patient drops and rejoins: still admitted, new connection.
			pat.ws.CloseNow()
			doc.next("presence", func(m map[string]any) bool { p := peerState(m, "patient"); return p["present"] == false })
			pat2 := dial(t, b, "appt1", "patient")
			doc.next("presence", func(m map[string]any) bool {
				p := peerState(m, "patient")
				return p["present"] == true && p["admitted"] == true && p["conn"] == pat2.conn
			})
			// A message for the old connection is not given to the new one.
			doc.send(map[string]any{"type": "signal", "to": "patient", "toConn": pat.conn, "data": map[string]any{"sdp": "stale"}})
			pat2.none("signal", 300*time.Millisecond)
			// The end closes every connection; nobody joins again.
			if _, err := hb.End(context.Background(), "appt1"); err != nil {
				t.Fatal(err)
			}
			doc.next("presence", func(m map[string]any) bool { return m["ended"] == true })
			if _, _, err := websocket.Dial(context.Background(), a+"/?call=appt1&who=clinician", nil); err == nil {
				t.Fatal("joined an ended call")
			}
			// Nothing is left behind in the store's relay.
			recs, err := st.ListRecords(context.Background(), sigPrefix+"appt1")
			if err != nil || len(recs) > 1 { // at most the stale one, dropped after signalTTL
				t.Fatalf("relay records left: %d %v", len(recs), err)
			}
		})
	}
}

// TestJoinRefused: a guest without a link, a call outside its window,
// and another site's page are refused.
func TestJoinRefused(t *testing.T) {
	st := storetest.OpenSQLite(t)
	newCall(t, st, "appt2")
	now := time.Now()
	if _, err := (&Calls{Store: st}).Ensure(context.Background(), Call{ID: "later", Opens: now.Add(time.Hour), Closes: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, base := replica(t, st, "a")
	ctx := context.Background()
	for _, tc := range []struct{ name, url string }{
		{"guest without a link", base + "/?call=appt2&who=guest-1"},
		{"not open yet", base + "/?call=later&who=patient"},
		{"no such call", base + "/?call=nope&who=patient"},
	} {
		ws, _, err := websocket.Dial(ctx, tc.url, nil)
		if err == nil {
			_, _, err = ws.Read(ctx) // the hub closes a connection it refuses
			if err == nil {
				_, _, err = ws.Read(ctx)
			}
		}
		if err == nil {
			t.Errorf("%s: joined", tc.name)
		}
	}
	h := http.Header{"Origin": {"https://evil.example"}}
	if _, _, err := websocket.Dial(ctx, base+"/?call=appt2&who=patient", &websocket.DialOptions{HTTPHeader: h}); err == nil {
		t.Error("a cross-origin page opened the call")
	}
}

// TestInvites: a link works once, for whom it was meant, in the call's
// window.
func TestInvites(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			st := o.Open(t)
			newCall(t, st, "appt3")
			cs := &Calls{Store: st}
			ctx := context.Background()
			tok, err := cs.NewInvite(ctx, "appt3", Guest, "Interpreter (Polish)")
			if err != nil {
				t.Fatal(err)
			}
			wrong := errors.New("someone else")
			if _, _, _, err := cs.UseInvite(ctx, tok, func(*Call, *Invite) error { return wrong }); !errors.Is(err, wrong) {
				t.Fatalf("refused person: %v", err)
			}
			c, inv, secret, err := cs.UseInvite(ctx, tok, nil)
			if err != nil || inv.For != Guest || secret == "" || c.Participants["guest-1"] == nil {
				t.Fatalf("first use: %v %+v", err, inv)
			}
			if _, _, _, err := cs.UseInvite(ctx, tok, nil); !errors.Is(err, ErrUsedLink) {
				t.Fatalf("reuse: %v", err)
			}
			if _, _, _, err := cs.UseInvite(ctx, "made-up", nil); !errors.Is(err, ErrUnknownLink) {
				t.Fatalf("unknown: %v", err)
			}
			g, err := cs.Guest(ctx, secret)
			if err != nil || g.Participant != "guest-1" || g.Call != "appt3" {
				t.Fatalf("guest pass: %v %+v", err, g)
			}
			// The store keeps a hash, never the token.
			recs, _ := st.ListRecords(ctx, inviteKind)
			for _, r := range recs {
				if r.ID == tok || strings.Contains(string(r.Body), tok) {
					t.Fatal("token stored in clear")
				}
			}
			// Past the window.
			late := &Calls{Store: st, Now: func() time.Time { return time.Now().Add(3 * time.Hour) }}
			tok2, _ := cs.NewInvite(ctx, "appt3", Patient, "")
			if _, _, _, err := late.UseInvite(ctx, tok2, nil); !errors.Is(err, ErrNotOpen) {
				t.Fatalf("late: %v", err)
			}
		})
	}
}

// TestCredentials: the TURN REST API convention, and the embedded
// server's check of it.
func TestCredentials(t *testing.T) {
	exp := time.Unix(1700000000, 0)
	user, pass := Credentials("secret", "patient", exp)
	// base64(HMAC-SHA1("secret", "1700000000:patient")), computed with
	// openssl dgst -sha1 -hmac secret -binary | base64.
	if user != "1700000000:patient" || pass != "vlfNFNZy1N7nUmZ2y9ekZIE31js=" {
		t.Fatalf("got %s %s", user, pass)
	}
	for _, tc := range []struct {
		name, secret, user string
		now                time.Time
		ok                 bool
	}{
		{"valid", "secret", user, exp.Add(-time.Minute), true},
		{"expired", "secret", user, exp.Add(time.Minute), false},
		{"no expiry", "secret", "patient", exp, false},
	} {
		got, ok := checkCredentials(tc.secret, tc.user, tc.now)
		if ok != tc.ok || (ok && string(got) != pass) {
			t.Errorf("%s: %v %s", tc.name, ok, got)
		}
	}
	ice := TURN{URLs: []string{"stun:stun.example:3478", "turn:turn.example:3478"}, Secret: "secret"}.Servers("clinician", exp)
	if len(ice) != 2 || ice[0].Username != "" || ice[1].Username == "" {
		t.Fatalf("ice servers: %+v", ice)
	}
	if _, err := ParseURLs([]string{"stun:a:3478,turn:b:3478", "https://x"}); err == nil {
		t.Fatal("took an https URL")
	}
}

// TestPhotosOnlyToTheClinician: a photo from the patient reaches the
// clinician and not a guest; a guest cannot send one; anything but a
// JPEG or PNG data URL is dropped.
func TestPhotosOnlyToTheClinician(t *testing.T) {
	st := storetest.OpenSQLite(t)
	newCall(t, st, "appt4")
	cs := &Calls{Store: st}
	tok, _ := cs.NewInvite(context.Background(), "appt4", Guest, "Interpreter")
	if _, _, _, err := cs.UseInvite(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	h, base := replica(t, st, "a")
	doc := dial(t, base, "appt4", "clinician")
	pat := dial(t, base, "appt4", "patient")
	guest := dial(t, base, "appt4", "guest-1")
	for _, who := range []string{"patient", "guest-1"} {
		if _, err := h.Admit(context.Background(), "appt4", who); err != nil {
			t.Fatal(err)
		}
	}
	photo := "data:image/png;base64,iVBORw0KGgo="
	pat.send(map[string]any{"type": "photo", "photo": "data:text/html;base64,PHNjcmlwdD4="})
	pat.send(map[string]any{"type": "photo", "photo": photo})
	if m := doc.next("photo", nil); m["photo"] != photo || m["from"] != "patient" {
		t.Fatalf("photo: %v", m)
	}
	guest.none("photo", 200*time.Millisecond)
	guest.send(map[string]any{"type": "photo", "photo": photo})
	doc.none("photo", 200*time.Millisecond)
}
