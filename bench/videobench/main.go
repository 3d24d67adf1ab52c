// Command videobench measures the video calls' signalling server
// (internal/video): how many concurrent calls one server holds, and what
// each costs in memory and CPU, with simulated browsers over WebSocket.
//
//	go run ./bench/videobench -calls 100,500,1000 -hold 30s
//	go run ./bench/videobench -calls 500 -database postgres://...
//
// The server runs in a child process (this program, with -serve) so that
// its memory and CPU are measured apart from the simulated clients: the
// hub and the store as gpcloud serve runs them, behind a handler that
// takes the participant from the URL instead of a session (sign-in is
// not what is measured). Each call has two clients, the clinician and
// the patient: both join, the clinician admits the patient, they
// exchange an offer, an answer and ten ICE candidates each way, then
// hold the call (the hub's heartbeats keep running) for -hold.
//
// The time from admitting the patient to the first video frame in a real
// browser is measured by TestAdmitToFirstFrame in this directory
// (Chromium; GPCLOUD_VIDEOBENCH=1 go test ./bench/videobench -v).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/video"
)

func main() {
	serve := flag.Bool("serve", false, "(internal) run the server side")
	callsFlag := flag.String("calls", "100,500,1000", "comma-separated numbers of concurrent calls; each a fresh server")
	hold := flag.Duration("hold", 30*time.Second, "how long the calls are held while CPU is measured")
	database := flag.String("database", "", "PostgreSQL DSN (default: SQLite in a temporary directory)")
	flag.Parse()
	if *serve {
		n, _ := strconv.Atoi(*callsFlag)
		if err := runServer(n, *database); err != nil {
			fmt.Fprintln(os.Stderr, "videobench server:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Printf("| calls | connect+negotiate | relay p50 | relay p95 | server RSS | RSS per call | server CPU while held | CPU per call |\n|---|---|---|---|---|---|---|---|\n")
	for _, s := range strings.Split(*callsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err == nil {
			err = runOne(n, *hold, *database)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "videobench:", err)
			os.Exit(1)
		}
	}
}

// runServer is the child: a store, n calls, the hub behind a handler.
func runServer(n int, dsn string) error {
	ctx := context.Background()
	var st store.Store
	var err error
	if dsn != "" {
		st, err = postgres.Open(ctx, dsn)
	} else {
		dir, _ := os.MkdirTemp("", "videobench")
		defer os.RemoveAll(dir)
		st, err = sqlite.Open(ctx, dir)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	hub := video.NewHub(video.Options{Store: st})
	now := time.Now()
	for i := range n {
		if _, err := hub.Calls.Ensure(ctx, video.Call{ID: fmt.Sprintf("bench-%d-%d", now.Unix(), i), Patient: "p", Clinician: "Practitioner/d",
			Opens: now.Add(-time.Hour), Closes: now.Add(3 * time.Hour)}); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := r.URL.Query().Get("who")
		hub.Serve(w, r, r.URL.Query().Get("call"), video.Who{ID: who, Role: video.Role(who), Name: who})
	})}
	go srv.Serve(ln)
	fmt.Printf("ready %s bench-%d\n", ln.Addr(), now.Unix())
	// The parent closes stdin when it is done.
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	hub.Close()
	return nil
}

// proc reads a process's CPU time (user+system) and resident memory.
func proc(pid int) (cpu time.Duration, rss int64) {
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if len(fields) > 12 {
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		cpu = time.Duration(ut+st) * time.Second / 100 // USER_HZ
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb << 10
		}
	}
	return cpu, rss
}

// client is one simulated browser.
type client struct {
	ws   *websocket.Conn
	conn string
	in   chan map[string]any
}

func dial(ctx context.Context, base, call, who string) (*client, error) {
	ws, _, err := websocket.Dial(ctx, "ws://"+base+"/?call="+call+"&who="+who, nil)
	if err != nil {
		return nil, err
	}
	c := &client{ws: ws, in: make(chan map[string]any, 64)}
	go func() {
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				close(c.in)
				return
			}
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			select {
			case c.in <- m:
			default: // the bench reads only what it waits for
			}
		}
	}()
	m, err := c.wait("welcome", 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.conn, _ = m["conn"].(string)
	return c, nil
}

func (c *client) wait(typ string, d time.Duration) (map[string]any, error) {
	timeout := time.After(d)
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				return nil, fmt.Errorf("closed waiting for %s", typ)
			}
			if m["type"] == typ {
				return m, nil
			}
		case <-timeout:
			return nil, fmt.Errorf("no %s within %s", typ, d)
		}
	}
}

func (c *client) send(m map[string]any) error {
	b, _ := json.Marshal(m)
	return c.ws.Write(context.Background(), websocket.MessageText, b)
}

// call runs one call's signalling and returns the offer's relay time.
func call(ctx context.Context, base, id string) (time.Duration, []*client, error) {
	doc, err := dial(ctx, base, id, "clinician")
	if err != nil {
		return 0, nil, err
	}
	pat, err := dial(ctx, base, id, "patient")
	if err != nil {
		return 0, nil, err
	}
	if err := doc.send(map[string]any{"type": "admit", "to": "patient"}); err != nil {
		return 0, nil, err
	}
	for {
		m, err := pat.wait("presence", 10*time.Second)
		if err != nil {
			return 0, nil, err
		}
		if admitted(m, "patient") {
			break
		}
	}
	start := time.Now()
	sdp := map[string]any{"description": map[string]any{"type": "offer", "sdp": strings.Repeat("a=x\r\n", 600)}} // a real offer is ~3-6 KB
	if err := doc.send(map[string]any{"type": "signal", "to": "patient", "toConn": pat.conn, "data": sdp}); err != nil {
		return 0, nil, err
	}
	if _, err := pat.wait("signal", 10*time.Second); err != nil {
		return 0, nil, err
	}
	relay := time.Since(start)
	if err := pat.send(map[string]any{"type": "signal", "to": "clinician", "data": sdp}); err != nil {
		return 0, nil, err
	}
	for i := range 10 {
		cand := map[string]any{"candidate": map[string]any{"candidate": fmt.Sprintf("candidate:%d 1 udp 2122260223 192.0.2.2 5%04d typ host", i, i), "sdpMid": "0"}}
		_ = doc.send(map[string]any{"type": "signal", "to": "patient", "data": cand})
		_ = pat.send(map[string]any{"type": "signal", "to": "clinician", "data": cand})
	}
	return relay, []*client{doc, pat}, nil
}

// admitted reports whether a presence message shows pid admitted.
func admitted(m map[string]any, pid string) bool {
	peers, _ := m["peers"].([]any)
	for _, p := range peers {
		if pm, _ := p.(map[string]any); pm["id"] == pid && pm["admitted"] == true {
			return true
		}
	}
	return false
}

func runOne(n int, hold time.Duration, dsn string) error {
	args := []string{"-serve", "-calls", strconv.Itoa(n)}
	if dsn != "" {
		args = append(args, "-database", dsn)
	}
	cmd := exec.Command(os.Args[0], args...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	var base, prefix string
	if _, err := fmt.Sscanf(line, "ready %s %s", &base, &prefix); err != nil {
		return fmt.Errorf("server said %q", line)
	}
	pid := cmd.Process.Pid
	_, rss0 := proc(pid)
	ctx := context.Background()
	began := time.Now()
	var (
		mu      sync.Mutex
		relays  []time.Duration
		clients []*client
		first   error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, 32) // calls starting at once
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, cs, err := call(ctx, base, fmt.Sprintf("%s-%d", prefix, i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			relays = append(relays, r)
			clients = append(clients, cs...)
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	setup := time.Since(began)
	time.Sleep(2 * time.Second) // settle
	cpu0, rss1 := proc(pid)
	time.Sleep(hold)
	cpu1, rss2 := proc(pid)
	for _, c := range clients {
		c.ws.CloseNow()
	}
	sort.Slice(relays, func(i, j int) bool { return relays[i] < relays[j] })
	pct := func(p float64) time.Duration { return relays[int(p*float64(len(relays)-1))] }
	rss := max(rss1, rss2)
	cpuPct := float64(cpu1-cpu0) / float64(hold) * 100
	fmt.Printf("| %d | %s | %s | %s | %.0f MiB | %.1f KiB | %.2f%% of a core | %.4f%% |\n", n, setup.Round(time.Millisecond),
		pct(0.5).Round(10*time.Microsecond), pct(0.95).Round(10*time.Microsecond), float64(rss)/(1<<20),
		float64(rss-rss0)/1024/float64(n), cpuPct, cpuPct/float64(n))
	return nil
}
