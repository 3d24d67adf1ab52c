// Command loadsynthea is the load benchmark: it starts gpcloud serve on a
// fresh store, POSTs every Synthea transaction Bundle to /fhir with N
// concurrent clients, and reports resources per second and the server's
// peak resident memory (VmHWM), on SQLite and on PostgreSQL.
//
//	go run ./bench/loadsynthea -store both -clients 2,4
//
// The bundles are read and decompressed before the clock starts, so the
// figure is the server's: HTTP, JSON, validation, reference resolution and
// storage. The two *Information bundles (Organizations, Practitioners) go
// first, as Synthea intends; the patient bundles follow.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
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

type bundleFile struct {
	name      string
	body      []byte
	resources int
}

type result struct {
	store            string
	clients          int
	bundles          int
	resources        int
	elapsed          time.Duration
	peakRSS, lastRSS int64 // kB
}

func main() {
	dataDir := flag.String("data", "", "directory of the Synthea bundles (default: synthea-r4 in the shared test data)")
	clientsFlag := flag.String("clients", "2,4", "comma-separated concurrency levels; each is a separate run on a fresh store")
	storeFlag := flag.String("store", "sqlite", "sqlite, postgres or both")
	dsn := flag.String("database", os.Getenv("GPCLOUD_TEST_POSTGRES"), "PostgreSQL DSN; each run gets a fresh schema")
	binary := flag.String("binary", "", "gpcloud binary (default: go build ./cmd/gpcloud)")
	limit := flag.Int("limit", 0, "load only the first N patient bundles (0: all)")
	flag.Parse()
	log.SetFlags(0)

	dir := *dataDir
	if dir == "" {
		shared, ok := testdata.Find()
		if !ok {
			log.Fatal("synthea data not found: pass -data or set GPCLOUD_SHARED_DATA")
		}
		dir = filepath.Join(shared, "synthea-r4")
	}
	first, rest, err := readBundles(dir, *limit)
	if err != nil {
		log.Fatal(err)
	}
	total := 0
	for _, b := range append(append([]bundleFile(nil), first...), rest...) {
		total += b.resources
	}
	log.Printf("read %d bundles, %d resources, from %s", len(first)+len(rest), total, dir)

	bin := *binary
	if bin == "" {
		bin = filepath.Join(os.TempDir(), "gpcloud-loadsynthea")
		build := exec.Command("go", "build", "-o", bin, "./cmd/gpcloud")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("go build: %v (run from the repository root)", err)
		}
	}

	var stores []string
	switch *storeFlag {
	case "both":
		stores = []string{"sqlite", "postgres"}
	case "sqlite", "postgres":
		stores = []string{*storeFlag}
	default:
		log.Fatalf("-store %q: want sqlite, postgres or both", *storeFlag)
	}
	var results []result
	for _, st := range stores {
		if st == "postgres" && *dsn == "" {
			log.Fatal("postgres: set -database or GPCLOUD_TEST_POSTGRES")
		}
		for _, c := range strings.Split(*clientsFlag, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil || n < 1 {
				log.Fatalf("-clients %q: not a positive number", c)
			}
			r, err := run(bin, st, *dsn, n, first, rest)
			if err != nil {
				log.Fatalf("store=%s clients=%d: %v", st, n, err)
			}
			results = append(results, r)
			fmt.Println(r.line())
		}
	}
	fmt.Println()
	fmt.Println("| store | clients | bundles | resources | seconds | resources/s | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %d | %d | %d | %.1f | %.0f | %d MB |\n", r.store, r.clients, r.bundles, r.resources,
			r.elapsed.Seconds(), float64(r.resources)/r.elapsed.Seconds(), r.peakRSS/1024)
	}
}

func (r result) line() string {
	return fmt.Sprintf("store=%s clients=%d bundles=%d resources=%d seconds=%.2f resources/s=%.0f peakRSS=%dMB",
		r.store, r.clients, r.bundles, r.resources, r.elapsed.Seconds(), float64(r.resources)/r.elapsed.Seconds(), r.peakRSS/1024)
}

// readBundles decompresses every bundle into memory: the *Information
// bundles first, the patients after, in name order.
func readBundles(dir string, limit int) (first, rest []bundleFile, err error) {
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
		bf := bundleFile{name: filepath.Base(f), body: data, resources: len(b.Entry)}
		if strings.Contains(bf.name, "Information") {
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

// run starts a server on a fresh store, loads everything and stops it.
func run(bin, storeName, dsn string, clients int, first, rest []bundleFile) (result, error) {
	dataDir, err := os.MkdirTemp("", "loadsynthea-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dataDir)
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	args := []string{"serve", "--listen", addr, "--data", dataDir, "--log-level", "warn"}
	if storeName == "postgres" {
		schema, drop, err := freshSchema(dsn)
		if err != nil {
			return result{}, err
		}
		defer drop()
		args = append(args, "--database", withSearchPath(dsn, schema))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		return result{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 10 * time.Minute}

	start := time.Now()
	for _, b := range first {
		if err := post(client, base, b); err != nil {
			return result{}, err
		}
	}
	queue := make(chan bundleFile)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range queue {
				if err := post(client, base, b); err != nil {
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
	if failed != nil {
		return result{}, failed
	}
	r := result{store: storeName, clients: clients, bundles: len(first) + len(rest), elapsed: elapsed}
	for _, b := range append(append([]bundleFile(nil), first...), rest...) {
		r.resources += b.resources
	}
	r.peakRSS, r.lastRSS = memory(cmd.Process.Pid)
	if err := verify(client, base, r.resources); err != nil {
		return result{}, fmt.Errorf("verification after the load: %w", err)
	}
	return r, nil
}

// verify checks, after the clock stops, that the server holds one version
// per resource sent and that references were resolved (no urn:uuid left in
// the newest versions).
func verify(c *http.Client, base string, want int) error {
	resp, err := c.Get(base + "/fhir/_history?_count=200")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var hist struct {
		Total int `json:"total"`
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&hist); err != nil {
		return err
	}
	if hist.Total != want {
		return fmt.Errorf("system history holds %d versions, want %d", hist.Total, want)
	}
	for _, e := range hist.Entry {
		if bytes.Contains(e.Resource, []byte(`"reference":"urn:uuid:`)) {
			return fmt.Errorf("unresolved urn:uuid reference stored: %.300s", e.Resource)
		}
	}
	return nil
}

func post(c *http.Client, base string, b bundleFile) error {
	resp, err := c.Post(base+"/fhir", "application/fhir+json", bytes.NewReader(b.body))
	if err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"transaction-response"`)) {
		return fmt.Errorf("%s: status %d: %.500s", b.name, resp.StatusCode, body)
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

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// memory reads the peak and current resident set size (kB) of a process.
func memory(pid int) (peak, current int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
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

// freshSchema creates an empty schema with psql and returns a function
// that drops it.
func freshSchema(dsn string) (string, func(), error) {
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

func withSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
