// Package benchserver is the harness the benchmark commands share: it
// builds gpcloud, starts `gpcloud serve` on a fresh store (a temporary
// SQLite directory or a fresh PostgreSQL schema), reads the Synthea
// bundles, loads them over HTTP with N clients, and reads the server's
// memory use.
package benchserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gpcloud/gpcloud/internal/testdata"
)

// Bundle is one transaction Bundle, decompressed.
type Bundle struct {
	Name      string
	Body      []byte
	Resources int
}

// SyntheaDir is dir, or synthea-r4 in the shared test data.
func SyntheaDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	shared, ok := testdata.Find()
	if !ok {
		return "", fmt.Errorf("synthea data not found: pass -data or set GPCLOUD_SHARED_DATA")
	}
	return filepath.Join(shared, "synthea-r4"), nil
}

// ReadBundles decompresses every bundle into memory: the *Information
// bundles (Organizations, Practitioners) first, the patients after, in
// name order; limit > 0 keeps only that many patient bundles.
func ReadBundles(dir string, limit int) (first, rest []Bundle, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if err != nil || len(files) == 0 {
		return nil, nil, fmt.Errorf("no *.json.gz bundles in %s", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := gunzip(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		var b struct {
			Entry []json.RawMessage `json:"entry"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		bf := Bundle{Name: filepath.Base(f), Body: data, Resources: len(b.Entry)}
		if strings.Contains(bf.Name, "Information") {
			first = append(first, bf)
		} else if limit == 0 || len(rest) < limit {
			rest = append(rest, bf)
		}
	}
	return first, rest, nil
}

func gunzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// Build compiles gpcloud unless a binary is given; run from the
// repository root.
func Build(binary, name string) (string, error) {
	if binary != "" {
		return binary, nil
	}
	bin := filepath.Join(os.TempDir(), name)
	build := exec.Command("go", "build", "-o", bin, "./cmd/gpcloud")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build: %v (run from the repository root)", err)
	}
	return bin, nil
}

// Stores reads a -store flag: sqlite, postgres or both.
func Stores(flag string) ([]string, error) {
	switch flag {
	case "both":
		return []string{"sqlite", "postgres"}, nil
	case "sqlite", "postgres":
		return []string{flag}, nil
	}
	return nil, fmt.Errorf("-store %q: want sqlite, postgres or both", flag)
}

// Server is a running gpcloud serve.
type Server struct {
	Base    string // http://127.0.0.1:port
	cmd     *exec.Cmd
	cleanup []func()
	// Token is a system access token for the server's store.
	Token string
	// StoreArgs select the server's store for other commands
	// (--data DIR or --database DSN).
	StoreArgs []string
	// args start the server (after the binary); where names the store
	// for StartExisting (the data directory, or the DSN with its schema).
	args       []string
	where      string
	storeDrops int // how many of cleanup's first entries remove the store
}

// Client returns an HTTP client for n concurrent callers that sends the
// server's token with every request.
func (s *Server) Client(n int) *http.Client {
	return &http.Client{Transport: bearer{token: s.Token, next: &http.Transport{MaxIdleConnsPerHost: n}}, Timeout: 10 * time.Minute}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// ServerEnv is added to the environment of every server started or
// restarted (say GOGC=400), so that a benchmark can vary the server's
// runtime settings without changing its own.
var ServerEnv []string

// command is bin with args and ServerEnv, its errors on ours.
func command(bin string, args []string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), ServerEnv...)
	cmd.Stderr = os.Stderr
	return cmd
}

// Start runs gpcloud serve on a fresh store.
func Start(bin, storeName, dsn string) (*Server, error) { return start(bin, storeName, dsn, "") }

// StartExisting runs gpcloud serve on a store that a server started by
// Start and kept (Keep) left: where is what Keep returned. Stop leaves it.
func StartExisting(bin, storeName, where string) (*Server, error) {
	return start(bin, storeName, "", where)
}

// Keep makes Stop leave the store in place and returns where it is, for
// StartExisting: a benchmark can then compare builds on the same data
// without loading it again.
func (s *Server) Keep() string {
	s.cleanup = s.cleanup[s.storeDrops:]
	s.storeDrops = 0
	return s.where
}

// Restart stops the server and starts bin on the same store and address.
func (s *Server) Restart(bin string) error {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.cmd.Wait()
	}
	s.cmd = command(bin, s.args)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	return waitReady(s.Base)
}

func start(bin, storeName, dsn, existing string) (*Server, error) {
	s := &Server{}
	dataDir := existing
	if storeName == "postgres" || existing == "" {
		var err error
		if dataDir, err = os.MkdirTemp("", "gpcloud-bench-"); err != nil {
			return nil, err
		}
		s.cleanup = append(s.cleanup, func() { os.RemoveAll(dataDir) })
		if storeName != "postgres" {
			s.storeDrops = 1
		}
	}
	s.where = dataDir
	addr, err := FreeAddr()
	if err != nil {
		s.Stop()
		return nil, err
	}
	args := []string{"serve", "--listen", addr, "--data", dataDir, "--log-level", "warn"}
	if storeName == "postgres" && existing != "" {
		s.where = existing
		args = append(args, "--database", existing)
	} else if storeName == "postgres" {
		if dsn == "" {
			s.Stop()
			return nil, fmt.Errorf("postgres: set -database or GPCLOUD_TEST_POSTGRES")
		}
		schema, drop, err := FreshSchema(dsn)
		if err != nil {
			s.Stop()
			return nil, err
		}
		s.cleanup = append([]func(){drop}, s.cleanup...)
		s.storeDrops = 1
		s.where = WithSearchPath(dsn, schema)
		args = append(args, "--database", s.where)
	}
	// An operator token from the same store: requests carry it, so the
	// figures include token verification and access checks.
	storeArgs := args[3:] // --data DIR [--log-level ...] [--database DSN]
	tokArgs := []string{"admin", "token", "--scope", "system/*.read system/*.write", "--ttl", "24h"}
	initArgs := []string{"admin", "init"} // the token needs a store, which serve has not made yet
	for i := 0; i+1 < len(storeArgs); i += 2 {
		if storeArgs[i] == "--data" || storeArgs[i] == "--database" {
			tokArgs = append(tokArgs, storeArgs[i], storeArgs[i+1])
			initArgs = append(initArgs, storeArgs[i], storeArgs[i+1])
			s.StoreArgs = append(s.StoreArgs, storeArgs[i], storeArgs[i+1])
		}
	}
	if existing == "" {
		if out, err := exec.Command(bin, initArgs...).CombinedOutput(); err != nil {
			s.Stop()
			return nil, fmt.Errorf("admin init: %w: %s", err, out)
		}
	}
	tok, err := exec.Command(bin, tokArgs...).Output()
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("admin token: %w", err)
	}
	s.Token = strings.TrimSpace(string(tok))
	s.args = args
	s.cmd = command(bin, args)
	if err := s.cmd.Start(); err != nil {
		s.Stop()
		return nil, err
	}
	s.Base = "http://" + addr
	if err := waitReady(s.Base); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop ends the server (SIGTERM) and removes its store.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.cmd.Wait()
	}
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
}

// Memory reads the server's peak and current resident set size (kB).
func (s *Server) Memory() (peak, current int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmHWM:":
			peak = n
		case "VmRSS:":
			current = n
		}
	}
	return peak, current
}

// Load POSTs first in order, then rest from n concurrent clients, and
// returns the time taken.
func Load(c *http.Client, base string, clients int, first, rest []Bundle) (time.Duration, error) {
	start := time.Now()
	for _, b := range first {
		if err := Post(c, base, b); err != nil {
			return 0, err
		}
	}
	queue := make(chan Bundle)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range queue {
				if err := Post(c, base, b); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var failed error
feed:
	for _, b := range rest {
		select {
		case queue <- b:
		case failed = <-errs:
			break feed
		}
	}
	close(queue)
	wg.Wait()
	elapsed := time.Since(start)
	if failed == nil {
		select {
		case failed = <-errs:
		default:
		}
	}
	return elapsed, failed
}

// Post sends one transaction Bundle and checks the response.
func Post(c *http.Client, base string, b Bundle) error {
	resp, err := c.Post(base+"/fhir", "application/fhir+json", bytes.NewReader(b.Body))
	if err != nil {
		return fmt.Errorf("%s: %w", b.Name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"transaction-response"`)) {
		return fmt.Errorf("%s: status %d: %.500s", b.Name, resp.StatusCode, body)
	}
	return nil
}

func waitReady(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server at %s not ready after 30s", base)
}

// FreeAddr is a loopback address no one listens on (for a server's
// listener, or its profiling listener).
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// FreshSchema creates an empty schema with psql and returns a function
// that drops it.
func FreshSchema(dsn string) (string, func(), error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	if out, err := exec.Command("psql", dsn, "-q", "-c", "CREATE SCHEMA "+schema).CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("psql: %v: %s", err, out)
	}
	return schema, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = exec.CommandContext(ctx, "psql", dsn, "-q", "-c", "DROP SCHEMA "+schema+" CASCADE").Run()
	}, nil
}

// WithSearchPath sets the search_path of a PostgreSQL URL.
func WithSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// CloneBundles makes copy k of the patient bundles: the same clinical
// content under new identifiers (every identifier value gets a suffix)
// and new urn:uuid fullUrls and references (gpcloud import keeps a
// urn:uuid as the id, so an unchanged one would be the same resource);
// a server gives every resource a new id (the entries are POSTs).
func CloneBundles(bundles []Bundle, k int) ([]Bundle, error) {
	out := make([]Bundle, len(bundles))
	suffix := "-copy" + strconv.Itoa(k)
	for i, b := range bundles {
		var doc map[string]any
		if err := json.Unmarshal(b.Body, &doc); err != nil {
			return nil, err
		}
		entries, _ := doc["entry"].([]any)
		for _, e := range entries {
			res, _ := e.(map[string]any)["resource"].(map[string]any)
			ids, _ := res["identifier"].([]any)
			for _, id := range ids {
				if m, ok := id.(map[string]any); ok {
					if v, ok := m["value"].(string); ok {
						m["value"] = v + suffix
					}
				}
			}
		}
		renameUUIDs(doc, suffix)
		body, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		out[i] = Bundle{Name: b.Name + suffix, Body: body, Resources: b.Resources}
	}
	return out, nil
}

// renameUUIDs replaces every urn:uuid in v by one derived from it and
// suffix: the same in every Bundle of a copy, so that references between
// them hold.
func renameUUIDs(v any, suffix string) {
	rename := func(s string) string {
		u, ok := strings.CutPrefix(s, "urn:uuid:")
		if !ok {
			return s
		}
		h := sha256.Sum256([]byte(u + suffix))
		x := hex.EncodeToString(h[:16])
		return "urn:uuid:" + x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
	}
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok {
				t[k] = rename(s)
			} else {
				renameUUIDs(c, suffix)
			}
		}
	case []any:
		for i, c := range t {
			if s, ok := c.(string); ok {
				t[i] = rename(s)
			} else {
				renameUUIDs(c, suffix)
			}
		}
	}
}

// Common are the flags every benchmark command takes.
type Common struct {
	Data, Store, Database, Binary string
}

// Register adds -data, -store, -database and -binary to fs.
func (c *Common) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", "", "directory of the Synthea bundles (default: synthea-r4 in the shared test data)")
	fs.StringVar(&c.Store, "store", "sqlite", "sqlite, postgres or both")
	fs.StringVar(&c.Database, "database", os.Getenv("GPCLOUD_TEST_POSTGRES"), "PostgreSQL DSN; each run gets a fresh schema")
	fs.StringVar(&c.Binary, "binary", "", "gpcloud binary (default: go build ./cmd/gpcloud)")
}

// Setup is what the common flags resolve to.
type Setup struct {
	Dir         string // the Synthea directory
	First, Rest []Bundle
	Binary      string
	Stores      []string
}

// Resolve reads the bundles (at most limit patient bundles; 0: all),
// builds gpcloud unless a binary was given (as name in the temporary
// directory) and checks the store choice.
func (c *Common) Resolve(name string, limit int) (Setup, error) {
	var s Setup
	var err error
	if s.Dir, err = SyntheaDir(c.Data); err != nil {
		return s, err
	}
	if s.First, s.Rest, err = ReadBundles(s.Dir, limit); err != nil {
		return s, err
	}
	if s.Stores, err = Stores(c.Store); err != nil {
		return s, err
	}
	s.Binary, err = Build(c.Binary, name)
	return s, err
}

// Counts reads a comma-separated list of positive integers (-clients,
// -copies).
func Counts(flagName, v string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-%s %q: %q is not a positive number", flagName, v, part)
		}
		out = append(out, n)
	}
	return out, nil
}
