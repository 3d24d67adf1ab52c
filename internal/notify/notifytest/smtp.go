// Package notifytest sends a store's outbox through a real SMTP server
// (interop/smtp, nodemailer's smtp-server) for the tests of what
// enqueues messages: they show the email arrives as the person reads it.
package notifytest

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/notify"
	"github.com/gpcloud/gpcloud/internal/store"
)

// SendByEmail starts the SMTP server, dispatches the outbox's email to it
// and returns the first n messages it received (headers and body), or ""
// when node or smtp-server is not installed (logged: the caller's other
// checks still ran).
func SendByEmail(t testing.TB, st store.Store, n int) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(here), "../../../interop/smtp")
	if _, err := exec.LookPath("node"); err != nil {
		t.Log("node not installed: the email is not sent")
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules/smtp-server")); err != nil {
		t.Log("smtp-server not installed (cd interop/smtp && npm ci): the email is not sent")
		return ""
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
	var started struct{ Port int }
	if !lines.Scan() || json.Unmarshal(lines.Bytes(), &started) != nil || started.Port == 0 {
		t.Fatalf("the SMTP server did not start: %s", lines.Text())
	}
	smtp, err := notify.ParseSMTP("smtp://practice:secret@127.0.0.1:" + strconv.Itoa(started.Port) + "?from=riverside@example.org")
	if err != nil {
		t.Fatal(err)
	}
	d := notify.Start(st, map[notify.Channel]notify.Sender{notify.Email: smtp}, nil)
	defer d.Close()
	d.Wake()
	received := make(chan []string, 1)
	go func() {
		var bodies []string
		for i := 0; i < n && lines.Scan(); i++ {
			var got struct {
				To   []string
				Data string
			}
			_ = json.Unmarshal(lines.Bytes(), &got)
			bodies = append(bodies, "To: "+strings.Join(got.To, ", ")+"\n"+got.Data)
		}
		received <- bodies
	}()
	select {
	case bodies := <-received:
		return strings.Join(bodies, "\n")
	case <-time.After(30 * time.Second):
		t.Fatal("the SMTP server received no email in 30 s")
	}
	return ""
}
