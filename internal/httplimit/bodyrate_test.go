package httplimit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDeadline(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		rate     BodyRate
		received int64
		want     time.Duration
	}{
		{DefaultBodyRate, 0, 30 * time.Second},
		{DefaultBodyRate, 16 << 10, 31 * time.Second},
		{DefaultBodyRate, 32 << 20, 30*time.Second + 2048*time.Second},
		{BodyRate{Grace: time.Second, MinRate: 1000}, 500, 1500 * time.Millisecond},
		{BodyRate{Grace: time.Second}, 1 << 30, time.Second},                                           // no rate: a total time for any body
		{BodyRate{Grace: time.Second, MinRate: 16 << 10}, 20 << 30, time.Second + 1310720*time.Second}, // 20 GiB: no overflow
	} {
		if got := c.rate.deadline(start, c.received).Sub(start); got != c.want {
			t.Errorf("%+v after %d bytes: deadline +%v, want +%v", c.rate, c.received, got, c.want)
		}
	}
}

// stalledPost sends a body's first bytes to url and then nothing more,
// and returns the answer (status and body, or the error reading it).
func stalledPost(t *testing.T, url string) (int, string) {
	t.Helper()
	body, w := io.Pipe()
	defer w.Close()
	go io.WriteString(w, "first bytes")
	resp, err := http.Post(url, "text/plain", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "read: " + err.Error()
	}
	return resp.StatusCode, string(got)
}

// TestStalledBodyAnswers408: whatever the handler makes of the failed
// read, the client is told 408, by the handler's own 408 or in place of
// its answer; an answer begun before the body stalled is cut short; an
// answer that does not read the body goes out (the server's own read of
// what is left gives up at the deadline).
func TestStalledBodyAnswers408(t *testing.T) {
	readThen := func(answer func(w http.ResponseWriter, err error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			if !errors.Is(err, ErrBodyTooSlow) {
				t.Errorf("body read: %v, want ErrBodyTooSlow", err)
			}
			answer(w, err)
		}
	}
	for _, c := range []struct {
		name    string
		handler http.Handler
		status  int
		body    string
	}{
		{"handler answers 400", readThen(func(w http.ResponseWriter, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_request"}`)
		}), 408, "request body arrived too slowly\n"},
		{"handler writes without a status", readThen(func(w http.ResponseWriter, err error) {
			io.WriteString(w, "ok")
		}), 408, "request body arrived too slowly\n"},
		{"handler answers nothing", readThen(func(http.ResponseWriter, error) {}), 408, "request body arrived too slowly\n"},
		{"handler answers 408", readThen(func(w http.ResponseWriter, err error) {
			w.WriteHeader(http.StatusRequestTimeout)
			io.WriteString(w, "its own 408")
		}), 408, "its own 408"},
		{"handler answers without reading", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized) // the server reads the body away first
			io.WriteString(w, "no token")
		}), 401, "no token"},
		{"answer under way", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "streaming")
			w.(http.Flusher).Flush()
			io.ReadAll(r.Body)
			io.WriteString(w, " more")
		}), 200, "read: unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(MinBodyRate(BodyRate{Grace: 200 * time.Millisecond, MinRate: 1 << 10}, c.handler))
			defer srv.Close()
			start := time.Now()
			status, body := stalledPost(t, srv.URL)
			if status != c.status || body != c.body {
				t.Errorf("answer %d %q, want %d %q", status, body, c.status, c.body)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("answered after %v", took)
			}
		})
	}
}

// TestSteadyBodyOutlivesGrace: a body that keeps above the minimum rate
// may take longer than the grace period.
func TestSteadyBodyOutlivesGrace(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(MinBodyRate(BodyRate{Grace: 300 * time.Millisecond, MinRate: 4 << 10}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
		}
		fmt.Fprint(w, n)
	})))
	defer srv.Close()
	body, w := io.Pipe()
	go func() {
		// 2 KiB every 100 ms (20 KiB/s) for 1.2 s: four times the grace.
		for range 12 {
			w.Write([]byte(strings.Repeat("x", 2<<10)))
			time.Sleep(100 * time.Millisecond)
		}
		w.Close()
	}()
	resp, err := http.Post(srv.URL, "text/plain", body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != fmt.Sprint(12*2<<10) {
		t.Fatalf("answer %d %q", resp.StatusCode, got)
	}
}

// TestDeadlineLiftedAfterBody: once the body is read, the handler may
// work past the body's deadline without its request being cancelled
// (the server watches the idle connection, and a deadline passing would
// end the request's context).
func TestDeadlineLiftedAfterBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(MinBodyRate(BodyRate{Grace: 100 * time.Millisecond, MinRate: 1 << 10}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.Copy(io.Discard, r.Body) // reads after the end change nothing
		time.Sleep(400 * time.Millisecond)
		if err := r.Context().Err(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, err)
		}
	})))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("a small body"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("answer %d %q", resp.StatusCode, got)
	}
}

// TestWithoutDeadlines: a writer that takes no deadlines (a recorder)
// leaves bodies unlimited rather than failing them.
func TestWithoutDeadlines(t *testing.T) {
	h := MinBodyRate(DefaultBodyRate, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		w.Write(b)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader("body")))
	if rec.Code != 200 || rec.Body.String() != "body" {
		t.Fatalf("%d %q", rec.Code, rec.Body)
	}
}
