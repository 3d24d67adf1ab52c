// Command portalbench measures the patient portal with -sessions
// patients signed in at once, over HTTP, on the Synthea set registered
// at one practice: each signed-in patient opens a page after a think
// time (together -rate pages a second, arriving at random), for the
// home page, the record page and sending an online consultation.
//
//	go run ./bench/portalbench -store both
//
// Targets (issue 19): with 1,000 patients signed in, home page
// p95 < 100 ms, record page p95 < 150 ms for the largest Synthea record,
// sending an online consultation p95 < 100 ms.
//
// Each session is a patient account (identity proof P9) with a session
// made in the store as the sign-in page makes one: signing 1,000 people
// in through the page from one address would take the sign-in throttle
// (10 a minute per address) 100 minutes. Accounts are spread over the
// living Synthea patients; -largest of them are the living patient with
// the largest record, whose record page is the one measured against its
// target while the others open the home page; then every session opens
// its own record page.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gpcloud/gpcloud/bench/internal/benchserver"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/postgres"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
)

const practice = "bench-practice"

func main() {
	var common benchserver.Common
	common.Register(flag.CommandLine)
	sessions := flag.Int("sessions", 1000, "patients signed in at once")
	largest := flag.Int("largest", 50, "of them, accounts of the patient with the largest record")
	rate := flag.Float64("rate", 100, "pages a second, from all sessions together")
	seconds := flag.Int("seconds", 20, "how long each measurement runs")
	limit := flag.Int("limit", 0, "load only the first N patient bundles (0: all)")
	flag.Parse()
	setup, err := common.Resolve("gpcloud-portalbench", *limit)
	if err == nil {
		for _, st := range setup.Stores {
			if err = runOne(setup, st, common.Database, *sessions, *largest, *rate, time.Duration(*seconds)*time.Second); err != nil {
				err = fmt.Errorf("%s: %w", st, err)
				break
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portalbench:", err)
		os.Exit(1)
	}
}

// session is one signed-in patient.
type session struct {
	c       *http.Client
	csrf    string
	patient string
	largest bool
}

func runOne(setup benchserver.Setup, storeName, dsn string, n, nLargest int, rate float64, d time.Duration) error {
	srv, err := benchserver.Start(setup.Binary, storeName, dsn)
	if err != nil {
		return err
	}
	defer srv.Stop()
	api := srv.Client(4)
	org := `{"resourceType":"Organization","id":"` + practice + `","name":"Bench Practice"}`
	if err := benchserver.Put(api, srv.Base+"/fhir/Organization/"+practice, org); err != nil {
		return err
	}
	var rest []benchserver.Bundle
	largestIdent, largestSize := "", 0
	for _, b := range setup.Rest {
		reg, ident, living, err := register(b)
		if err != nil {
			return err
		}
		rest = append(rest, reg)
		if living && b.Resources > largestSize { // a deceased patient's record is closed to the portal
			largestIdent, largestSize = ident, b.Resources
		}
	}
	start := time.Now()
	if _, err := benchserver.Load(api, srv.Base, 4, setup.First, rest); err != nil {
		return err
	}
	fmt.Printf("%s: loaded %d bundles in %s\n", storeName, len(rest)+len(setup.First), time.Since(start).Round(time.Second))
	ids, err := patientIDs(api, srv.Base)
	if err != nil {
		return err
	}
	big, err := patientID(api, srv.Base, largestIdent)
	if err != nil {
		return err
	}

	st, err := openStore(srv.StoreArgs)
	if err != nil {
		return err
	}
	defer st.Close()
	start = time.Now()
	ss, err := signIn(st, srv.Base, ids, big, n, nLargest)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d patients signed in (%d of them the largest record, %d resources) in %s\n", storeName, n, nLargest, largestSize, time.Since(start).Round(time.Second))

	get := func(path string) func(s *session) error {
		return func(s *session) error { return expect(s.c, http.MethodGet, srv.Base+path, nil, http.StatusOK) }
	}
	home := measure(ss, rate, d, get("/patient/"))
	report(storeName, n, "home page (GET /patient/)", home.all)
	// The largest record's sessions open the record page while everyone
	// else keeps opening the home page, at the same overall rate.
	rec := measure(ss, rate, d, func(s *session) error {
		if s.largest {
			return get("/patient/record")(s)
		}
		return get("/patient/")(s)
	})
	report(storeName, n, fmt.Sprintf("record page, the largest living record (%d resources)", largestSize), rec.largest)
	send := measure(ss, rate, d, func(s *session) error {
		form := url.Values{"csrf": {s.csrf}, "patient": {s.patient}, "kind": {clinical.RequestMedical}, "how-long": {"weeks"},
			"details": {"A dry cough for three weeks that keeps me awake at night"}}
		for _, f := range clinical.RedFlags {
			form.Set(f.ID, "no")
		}
		return expect(s.c, http.MethodPost, srv.Base+"/patient/help/send", form, http.StatusSeeOther)
	})
	report(storeName, n, "send an online consultation (POST /patient/help/send)", send.all)
	// Last, as it may overload the server (its backlog, the audit trail's
	// writes included, would slow whatever ran next): every session opens
	// its own record page.
	all := measure(ss, rate, d, get("/patient/record"))
	report(storeName, n, "record page, every session its own (GET /patient/record)", all.all)
	return nil
}

// openStore opens the server's store beside it, for the accounts and
// their sessions.
func openStore(args []string) (store.Store, error) {
	ctx := context.Background()
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "--database" {
			return postgres.OpenExisting(ctx, args[i+1])
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "--data" {
			return sqlite.OpenExisting(ctx, args[i+1])
		}
	}
	return nil, fmt.Errorf("no store in %v", args)
}

// signIn makes n patient accounts and a session for each (in parallel:
// each password is hashed).
func signIn(st store.Store, base string, ids []string, big string, n, nLargest int) ([]*session, error) {
	ctx := context.Background()
	ss := make([]*session, n)
	u, _ := url.Parse(base)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				patient, largest := ids[i%len(ids)], i < nLargest
				if largest {
					patient = big
				}
				user := &identity.User{ID: fmt.Sprintf("bench-patient-%d", i), Name: fmt.Sprintf("Patient %d", i), Role: auth.RolePatient,
					Patients: []string{patient}, FHIRUser: "Patient/" + patient, IdentityProof: "P9"}
				if err := identity.CreateUser(ctx, st, user, "a long enough password"); err != nil {
					errs <- err
					return
				}
				cookie, sess, err := identity.StartSession(ctx, st, user, time.Now())
				if err != nil {
					errs <- err
					return
				}
				jar, _ := cookiejar.New(nil)
				jar.SetCookies(u, []*http.Cookie{{Name: "gpcloud_session", Value: cookie, Path: "/"}})
				ss[i] = &session{c: &http.Client{Jar: jar, Timeout: time.Minute, Transport: transport,
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
					csrf: sess.CSRF, patient: patient, largest: largest}
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case work <- i:
		case err := <-errs:
			close(work)
			return nil, err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return ss, nil
}

// transport is shared by every session, as browsers on many machines
// would each keep their own connection: enough idle connections that
// none is opened per request.
var transport = &http.Transport{MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: time.Minute}

// result are a measurement's latencies: all, and the largest record's.
type result struct{ all, largest []time.Duration }

// measure runs every session for d: each waits a random think time
// (exponential, so that together they open rate pages a second) and
// then does its request. The first tenth of d warms up.
func measure(ss []*session, rate float64, d time.Duration, do func(*session) error) result {
	time.Sleep(5 * time.Second) // the audit trail's writes of the last measurement drain
	var mu sync.Mutex
	var out result
	var failed error
	start := time.Now()
	warm, end := start.Add(d/10), start.Add(d)
	mean := float64(len(ss)) / rate // seconds between one session's pages
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				think := time.Duration(rand.ExpFloat64() * mean * float64(time.Second))
				if time.Now().Add(think).After(end) {
					return
				}
				time.Sleep(think)
				t0 := time.Now()
				err := do(s)
				lat := time.Since(t0)
				mu.Lock()
				if err != nil && failed == nil {
					failed = err
				}
				if t0.After(warm) && err == nil {
					out.all = append(out.all, lat)
					if s.largest {
						out.largest = append(out.largest, lat)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		fmt.Fprintln(os.Stderr, "portalbench: a request failed:", failed)
	}
	return out
}

// expect sends a request and checks its status.
func expect(c *http.Client, method, u string, form url.Values, want int) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %.300s", method, req.URL.Path, resp.StatusCode, want, b)
	}
	return nil
}

// register sets the Patient of a bundle at the practice, and returns the
// bundle and the Patient's first identifier (system|value).
func register(b benchserver.Bundle) (benchserver.Bundle, string, bool, error) {
	var doc map[string]any
	if err := json.Unmarshal(b.Body, &doc); err != nil {
		return b, "", false, err
	}
	ident, living := "", true
	entries, _ := doc["entry"].([]any)
	for _, e := range entries {
		res, _ := e.(map[string]any)["resource"].(map[string]any)
		if res["resourceType"] != "Patient" {
			continue
		}
		res["managingOrganization"] = map[string]any{"reference": "Organization/" + practice}
		if ids, _ := res["identifier"].([]any); len(ids) > 0 {
			m, _ := ids[0].(map[string]any)
			ident = fmt.Sprint(m["system"]) + "|" + fmt.Sprint(m["value"])
		}
		_, died := res["deceasedDateTime"]
		dead, _ := res["deceasedBoolean"].(bool)
		living = !died && !dead
	}
	body, err := json.Marshal(doc)
	b.Body = body
	return b, ident, living, err
}

// patientIDs lists the living patients' ids (a deceased patient's
// record is closed to the portal).
func patientIDs(c *http.Client, base string) ([]string, error) {
	resp, err := c.Get(base + "/fhir/Patient?_count=1000")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range b.Entry {
		_, dt := e.Resource["deceasedDateTime"]
		active, set := e.Resource["active"].(bool)
		if dead, _ := e.Resource["deceasedBoolean"].(bool); dead || dt || set && !active {
			continue
		}
		if id, _ := e.Resource["id"].(string); id != "" {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no living patients")
	}
	return out, nil
}

// patientID finds the server's id of the Patient with an identifier.
func patientID(c *http.Client, base, ident string) (string, error) {
	ids, err := benchserver.SearchIDs(c, base+"/fhir/Patient?_elements=id&identifier="+url.QueryEscape(ident))
	if err != nil || len(ids) == 0 {
		return "", fmt.Errorf("no Patient with identifier %s (%v)", ident, err)
	}
	return ids[0], nil
}

func report(storeName string, sessions int, what string, lat []time.Duration) {
	if len(lat) == 0 {
		fmt.Printf("%-8s %5d signed in  %-58s no requests\n", storeName, sessions, what)
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%-8s %5d signed in  %-58s p50 %7.1f ms  p95 %7.1f ms  p99 %7.1f ms  (%d requests)\n", storeName, sessions, what, p(0.5), p(0.95), p(0.99), len(lat))
}
