package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/httplimit"
)

// readBody answers with the number of body bytes it read, or the read's
// error.
var readBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "after %d bytes: %v", n, err)
		return
	}
	fmt.Fprintf(w, "%d", n)
})

// serveLoopback serves srv on a loopback port until the test ends.
func serveLoopback(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestSlowBodyIsCutOff: a client that sends its headers and then one body
// byte a second (a slowloris) loses its connection soon after the grace
// period, instead of holding it (and a file descriptor) for as long as it
// likes.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	const grace = 2 * time.Second
	addr := serveLoopback(t, httpServer(readBody, httplimit.BodyRate{Grace: grace, MinRate: 1 << 10}))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /auth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", addr)
	go func() {
		for range 1000 {
			if _, err := conn.Write([]byte("a")); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	// The server may answer 408 before it closes; either way the
	// connection must end well before the body could be finished.
	limit := grace + 4*time.Second
	conn.SetReadDeadline(start.Add(limit))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v (grace %v); read %q", time.Since(start).Round(time.Millisecond), grace, got)
	}
	// A reset is a close too (the trickle may still be writing).
	if err != nil && !errors.Is(err, os.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read: %v", err)
	}
	if took := time.Since(start); took < grace {
		t.Errorf("cut off after %v, before the grace period of %v", took, grace)
	}
	if len(got) > 0 {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
		if err != nil || resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("answer before closing: %q (%v), want a 408", got, err)
		}
	}
}

// TestFastUploadPasses: the largest body the API takes, sent at loopback
// speed, is read whole under the default limits.
func TestFastUploadPasses(t *testing.T) {
	t.Parallel()
	addr := serveLoopback(t, httpServer(readBody, httplimit.DefaultBodyRate))
	const size = 32 << 20
	resp, err := http.Post("http://"+addr+"/fhir", "application/fhir+json", bytes.NewReader(make([]byte, size)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != fmt.Sprint(size) {
		t.Fatalf("answer %d %q, want 200 %d", resp.StatusCode, got, size)
	}
}
