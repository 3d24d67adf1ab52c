package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeDrainsOnSIGTERM runs the real binary: a request in flight when
// SIGTERM arrives is completed, the process then exits 0, and the logs are
// JSON lines carrying the request id.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gpcloud")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	data := filepath.Join(dir, "data")
	// An operator's token, minted on the command line before the server
	// starts (in a store made for it): the server trusts it because they
	// share the data.
	if out, err := exec.Command(bin, "admin", "init", "--data", data).CombinedOutput(); err != nil {
		t.Fatalf("admin init: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "admin", "token", "--data", data, "--scope", "system/*.read system/*.write", "--ttl", "10m").Output()
	if err != nil {
		t.Fatalf("admin token: %v", err)
	}
	token := strings.TrimSpace(string(out))
	if strings.Count(token, ".") != 2 {
		t.Fatalf("admin token printed %q, want a JWT", token)
	}
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data", data)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var logLines []string
	logsDone := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logLines = append(logLines, sc.Text())
		}
		close(logsDone)
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/readyz")
		if err == nil && resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			break
		}
		if i > 100 {
			t.Fatal("server never became ready")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Secure by default: no token, no data.
	resp, err := http.Get(base + "/fhir/Patient")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("without a token: %d %q, want 401 with a Bearer challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// A create whose body arrives slowly: half before SIGTERM, half after.
	body, w := io.Pipe()
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/fhir/Patient", body)
		req.Header.Set("Content-Type", "application/fhir+json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- 0
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	io.WriteString(w, `{"resourceType":"Patient",`)
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	io.WriteString(w, `"gender":"female"}`)
	w.Close()
	if status := <-result; status != http.StatusCreated {
		t.Errorf("in-flight request got %d, want 201", status)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	<-logsDone
	var sawRequest bool
	for _, line := range logLines {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("log line is not JSON: %s", line)
		}
		if strings.Contains(line, `"path":"/fhir/Patient"`) && strings.Contains(line, `"request_id"`) {
			sawRequest = true
		}
	}
	if !sawRequest {
		t.Errorf("no access log line with a request_id for the create:\n%s", strings.Join(logLines, "\n"))
	}
	if strings.Contains(strings.Join(logLines, "\n"), token[strings.LastIndex(token, ".")+1:]) {
		t.Error("the access token appears in the logs")
	}
	// Every request was audited, and the chain verifies: the token's
	// issue, the refused request and the create (at least).
	out, err = exec.Command(bin, "admin", "audit", "verify", "--data", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit chain intact") {
		t.Fatalf("admin audit verify: %v\n%s", err, out)
	}
	var n int
	fmt.Sscanf(strings.TrimPrefix(strings.TrimSpace(string(out)), "audit chain intact: "), "%d", &n)
	if n < 3 {
		t.Fatalf("audit chain holds %d events, want at least 3: %s", n, out)
	}
}
