package notify

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func openStore(t testing.TB) store.Store { return storetest.OpenSQLite(t) }

func enqueue(t *testing.T, st store.Store, ms ...Message) {
	t.Helper()
	ctx := context.Background()
	if err := st.InTx(ctx, func(tx store.Tx) error {
		for _, m := range ms {
			if err := Enqueue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// recorder is a Sender that keeps what it is given (the dispatcher's
// logic is tested with it; the real senders against real servers below).
type recorder struct {
	mu   sync.Mutex
	got  []Message
	fail error
}

func (r *recorder) Send(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, m)
	return nil
}

// testDispatcher is a dispatcher the test drives (SendDue), not running.
func testDispatcher(st store.Store, senders map[Channel]Sender) *Dispatcher {
	return &Dispatcher{st: st, senders: senders, now: time.Now, stop: make(chan struct{}), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestOutbox(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	m := Message{Key: "appt:1:confirm", Channel: Email, To: "jane@example.org", Subject: "Your appointment", Body: "Monday 9:00"}
	// A transaction that rolls back enqueues nothing.
	err := st.InTx(ctx, func(tx store.Tx) error {
		if err := Enqueue(ctx, tx, m); err != nil {
			return err
		}
		return errors.New("the booking failed")
	})
	if err == nil {
		t.Fatal("want the rollback")
	}
	r := &recorder{}
	d := testDispatcher(st, map[Channel]Sender{Email: r})
	if n := d.SendDue(ctx); n != 0 {
		t.Fatalf("sent %d after a rollback", n)
	}
	enqueue(t, st, m, m) // twice: once
	if n := d.SendDue(ctx); n != 1 || len(r.got) != 1 {
		t.Fatalf("sent %d, %d received", n, len(r.got))
	}
	enqueue(t, st, m) // after it was sent: not again
	if n := d.SendDue(ctx); n != 0 {
		t.Fatalf("a sent key was sent again")
	}
	// Not before its time; a cancelled one never.
	later := Message{Key: "appt:1:remind", Channel: SMS, To: "07700900123", Template: "t", NotBefore: time.Now().Add(time.Hour)}
	gone := Message{Key: "appt:2:remind", Channel: SMS, To: "07700900123", Template: "t"}
	enqueue(t, st, later, gone)
	if err := st.InTx(ctx, func(tx store.Tx) error { return Cancel(ctx, tx, gone.Key) }); err != nil {
		t.Fatal(err)
	}
	sms := &recorder{}
	d.senders[SMS] = sms
	if n := d.SendDue(ctx); n != 0 {
		t.Fatalf("sent %d early or cancelled", n)
	}
	d.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if n := d.SendDue(ctx); n != 1 || sms.got[0].Key != later.Key {
		t.Fatalf("the reminder: %d sent %v", n, sms.got)
	}
}

// TestFailureAndCrash: a failed send stays queued and is tried again
// later; a message whose dispatcher died after sending (its lease ran
// out) is sent once more, and only once.
func TestFailureAndCrash(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	enqueue(t, st, Message{Key: "k1", Channel: Email, To: "a@example.org", Subject: "s", Body: "b"})
	r := &recorder{fail: errors.New("connection refused")}
	now := time.Now()
	d := testDispatcher(st, map[Channel]Sender{Email: r})
	d.now = func() time.Time { return now }
	if n := d.SendDue(ctx); n != 0 {
		t.Fatal("a failed send counted as sent")
	}
	sts, _ := Statuses(ctx, st)
	if len(sts) != 1 || sts[0].LastErr == "" || sts[0].Attempts != 1 || !sts[0].Sent.IsZero() {
		t.Fatalf("after a failure: %+v", sts)
	}
	r.fail = nil
	if n := d.SendDue(ctx); n != 0 {
		t.Fatal("retried before its backoff")
	}
	now = now.Add(time.Minute)
	if n := d.SendDue(ctx); n != 1 {
		t.Fatal("not retried after its backoff")
	}
	// A dispatcher that leased k2, sent it and died before recording it.
	enqueue(t, st, Message{Key: "k2", Channel: Email, To: "a@example.org", Subject: "s", Body: "b"})
	if err := st.InTx(ctx, func(tx store.Tx) error {
		rec, err := tx.GetRecord(ctx, outboxKind, "k2")
		if err != nil {
			return err
		}
		var q queued
		_ = json.Unmarshal(rec.Body, &q)
		q.Lease, q.Attempts = now.Add(lease), 1
		return putQueued(ctx, tx, outboxKind, q)
	}); err != nil {
		t.Fatal(err)
	}
	if n := d.SendDue(ctx); n != 0 {
		t.Fatal("sent while another dispatcher held it")
	}
	now = now.Add(2 * lease)
	if n := d.SendDue(ctx); n != 1 {
		t.Fatal("not sent again once the dead dispatcher's lease ran out")
	}
	if n := d.SendDue(ctx); n != 0 {
		t.Fatal("sent a third time")
	}
}

// TestSMTP sends through a real SMTP server (nodemailer's smtp-server,
// interop/smtp), with a login.
func TestSMTP(t *testing.T) {
	dir, _ := filepath.Abs("../../interop/smtp")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules/smtp-server")); err != nil {
		t.Skip("smtp-server not installed (cd interop/smtp && npm ci; .ci/run does it)")
	}
	cmd := exec.Command("node", "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "USER_NAME=practice", "PASS=secret")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	if !lines.Scan() {
		t.Fatal("the SMTP server printed nothing")
	}
	var started struct{ Port int }
	if err := json.Unmarshal(lines.Bytes(), &started); err != nil || started.Port == 0 {
		t.Fatalf("the SMTP server's first line: %s", lines.Text())
	}
	s, err := ParseSMTP("smtp://practice:secret@127.0.0.1:" + itoa(started.Port) + "?from=riverside@example.org")
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Key: "appt:42:confirm", Channel: Email, To: "Jane Smith <jane@example.org>", Subject: "Your appointment on Monday",
		Body: "Dear Jane,\nyour appointment is on Monday at 9:00 with Dr Patel.\n"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() {
		t.Fatal("the SMTP server received nothing")
	}
	var got struct {
		From string
		To   []string
		Data string
	}
	if err := json.Unmarshal(lines.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Subject: Your appointment on Monday", "Message-ID: <appt=3A42=3Aconfirm@gpcloud>", "your appointment is on Monday"} {
		if !strings.Contains(got.Data, want) {
			t.Errorf("the message lacks %q:\n%s", want, got.Data)
		}
	}
	if got.From != "riverside@example.org" || len(got.To) != 1 || got.To[0] != "jane@example.org" {
		t.Errorf("envelope from %s to %v", got.From, got.To)
	}
	bad, _ := ParseSMTP("smtp://practice:wrong@127.0.0.1:" + itoa(started.Port) + "?from=riverside@example.org")
	if err := bad.Send(context.Background(), m); err == nil {
		t.Error("a wrong password sent the message")
	}
	if _, err := ParseSMTP("smtp://relay.example.org"); err == nil {
		t.Error("an SMTP URL without ?from= was accepted")
	}
}

// TestNotifySMS: the SMS goes to a Notify-shaped API with the JWT
// GOV.UK Notify checks.
func TestNotifySMS(t *testing.T) {
	const service, secret = "26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0"
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		parts := strings.Split(tok, ".")
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if len(parts) != 3 || base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != parts[2] || !strings.Contains(string(claims), service) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.URL.Path != "/v2/notifications/sms" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &got)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	n, err := NewNotifySMS(srv.URL, "gpcloud_test-"+service+"-"+secret)
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Key: "appt:7:remind", Channel: SMS, To: "07700900123", Template: "f33517ff-2a88-4f6e-b855-c550268ce08a",
		Personalisation: map[string]string{"when": "Monday 9:00"}}
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got["phone_number"] != "07700900123" || got["reference"] != "appt:7:remind" || got["template_id"] != m.Template {
		t.Errorf("the provider got %v", got)
	}
	wrong, _ := NewNotifySMS(srv.URL, "gpcloud_test-"+service+"-00000000-0000-0000-0000-000000000000")
	if err := wrong.Send(context.Background(), m); err == nil {
		t.Error("a wrong key was accepted")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
