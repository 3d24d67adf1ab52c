package workspace_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
	"github.com/gpcloud/gpcloud/internal/workspace"
)

// desk is a receptionist signed in over plain HTTP.
type desk struct {
	s            *testbrowser.Stack
	cookie, csrf string
	practice     *demo.Practice
	principal    *auth.Principal
}

func signedInDesk(t testing.TB, s *testbrowser.Stack, practice *demo.Practice, name string) *desk {
	t.Helper()
	ctx := context.Background()
	s.Staff(t, name, auth.RoleReceptionist, practice.OrganizationID, "")
	u, err := identity.GetUser(ctx, s.Store, name)
	if err != nil {
		t.Fatal(err)
	}
	cookie, sess, err := identity.StartSession(ctx, s.Store, u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sess.Verified = true
	if err := sess.Save(ctx, s.Store); err != nil {
		t.Fatal(err)
	}
	return &desk{s: s, cookie: cookie, csrf: sess.CSRF, practice: practice,
		principal: &auth.Principal{Subject: name, Role: auth.RoleReceptionist, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleReceptionist)}}
}

// do sends a request as the receptionist (a form when form is not nil)
// and returns the status, the redirect and the body.
func (d *desk) do(t testing.TB, path string, form url.Values) (int, string, string) {
	t.Helper()
	method, body := "GET", io.Reader(nil)
	if form != nil {
		form.Set("csrf", d.csrf)
		method, body = "POST", strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, d.s.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: d.cookie})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// search runs a search as the receptionist, through the service.
func (d *desk) search(t testing.TB, typ string, params url.Values) []fhir.Resource {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), d.principal)
	params.Set("_count", "100")
	out, err := d.s.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	var res []fhir.Resource
	entries, _ := out.Resource["entry"].([]any)
	for _, e := range entries {
		em := e.(map[string]any)
		if em["search"].(map[string]any)["mode"] != "match" {
			continue
		}
		switch r := em["resource"].(type) {
		case map[string]any:
			res = append(res, r)
		default:
			b, _ := fhir.Marshal(r)
			p, _ := fhir.Unmarshal(b)
			res = append(res, p)
		}
	}
	return res
}

func (d *desk) read(t testing.TB, typ, id string) fhir.Resource {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), d.principal)
	out, err := d.s.Service.Read(ctx, typ, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func registrationForm(d *desk, nhs, given string) url.Values {
	return url.Values{"nhs": {nhs}, "title": {"Ms"}, "given": {given}, "family": {"Okonkwo"}, "birth-day": {"4"}, "birth-month": {"7"}, "birth-year": {"1988"},
		"sex": {"female"}, "address1": {"14 Canal Street"}, "town": {"Leeds"}, "postcode": {"ls11 5dd"}, "mobile": {"07700 900123"}, "sms-consent": {"yes"},
		"type": {"regular"}, "gp": {"Practitioner/" + d.practice.Clinicians[1].ID}, "previous-practice": {"Hillside Surgery, Bradford"},
		"ethnicity": {"N"}, "language": {"English"}}
}

// TestRegisterFlow: the form over HTTP, as a receptionist: a wrong NHS
// number is refused and nothing is written; a good registration writes
// the Patient and the EpisodeOfCare; the same NHS number again is shown,
// not registered; the same name, date of birth and postcode is shown
// until confirmed as a different person; deduction, registering again,
// changed details (a stale version refused) and a death.
func TestRegisterFlow(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { registerFlow(t, testbrowser.NewStack(t)) })
	t.Run("postgres", func(t *testing.T) { registerFlow(t, stackOn(t, storetest.OpenPostgres(t))) })
}

func registerFlow(t *testing.T, s *testbrowser.Stack) {
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	d := signedInDesk(t, s, practice, "desk@http")
	nhs := demo.NHSNumber(500)
	family := url.Values{"family": {"Okonkwo"}}

	if code, _, body := d.do(t, "/workspace/register", nil); code != 200 || !strings.Contains(body, "PDS is not connected") {
		t.Fatalf("form: %d", code)
	}
	form := registrationForm(d, nhs[:9]+fmt.Sprint((int(nhs[9]-'0')+1)%10), "Ada")
	code, _, body := d.do(t, "/workspace/register", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#nhs"`) || !strings.Contains(body, "not a valid NHS number") {
		t.Fatalf("wrong NHS number: %d\n%s", code, body)
	}
	if got := d.search(t, "Patient", family); len(got) != 0 {
		t.Fatalf("a refused form wrote %d patients", len(got))
	}

	code, loc, _ := d.do(t, "/workspace/register", registrationForm(d, nhs, "Ada"))
	if code != http.StatusSeeOther || !strings.HasSuffix(loc, "/registration?done=registered") {
		t.Fatalf("register: %d %s", code, loc)
	}
	id := strings.Split(strings.TrimPrefix(loc, "/workspace/patients/"), "/")[0]
	patient := d.read(t, "Patient", id)
	b := clinical.BannerOf(patient, time.Now())
	if b.Name != "OKONKWO, Ada (Ms)" || b.Postcode != "LS11 5DD" || b.UsualGP != practice.Clinicians[1].Name || b.Deducted {
		t.Errorf("banner %+v", b)
	}
	eps := d.search(t, "EpisodeOfCare", url.Values{"patient": {id}})
	if len(eps) != 1 || !clinical.ViewRegistration(eps[0], time.Now()).Current {
		t.Fatalf("episodes %v", eps)
	}
	code, _, body = d.do(t, loc, nil)
	if code != 200 || !strings.Contains(body, "Patient registered") || !strings.Contains(body, "Not traced (PDS is not connected)") {
		t.Errorf("registration page %d", code)
	}

	// The number typed is looked up (the htmx fragment).
	if code, _, body := d.do(t, "/workspace/register/check", url.Values{"nhs": {clinical.FormatNHSNumber(nhs)}}); code != 200 ||
		!strings.Contains(body, "Already on the practice") || !strings.Contains(body, "/workspace/patients/"+id+"/registration") {
		t.Errorf("NHS number check: %d %s", code, body)
	}
	if code, _, body := d.do(t, "/workspace/register/check", url.Values{"nhs": {demo.NHSNumber(501)}}); code != 200 || !strings.Contains(body, "No patient of the practice") {
		t.Errorf("NHS number check of an unknown number: %d %s", code, body)
	}

	// The same NHS number again: shown, never a second patient.
	code, _, body = d.do(t, "/workspace/register", registrationForm(d, nhs, "Adaeze"))
	if code != http.StatusConflict || !strings.Contains(body, "already on the practice") || !strings.Contains(body, "/workspace/patients/"+id+"/registration") {
		t.Fatalf("same NHS number: %d", code)
	}
	// The same name, date of birth and postcode, no NHS number: shown
	// until confirmed.
	noNHS := registrationForm(d, "", "Ada")
	code, _, body = d.do(t, "/workspace/register", noNHS)
	if code != http.StatusConflict || !strings.Contains(body, "Same name, date of birth and postcode") || !strings.Contains(body, `name="checked" value="`+id+`"`) {
		t.Fatalf("likely duplicate: %d", code)
	}
	noNHS.Set("different", "yes")
	noNHS.Set("checked", id)
	if code, loc, _ := d.do(t, "/workspace/register", noNHS); code != http.StatusSeeOther {
		t.Fatalf("confirmed different person: %d %s", code, loc)
	}
	if got := d.search(t, "Patient", family); len(got) != 2 {
		t.Fatalf("%d patients, want 2", len(got))
	}

	// Deduct: the registration ends, the patient stays findable, marked.
	base := "/workspace/patients/" + id + "/registration"
	patient = d.read(t, "Patient", id)
	ep := clinical.ViewRegistration(eps[0], time.Now())
	today := time.Now().In(clinical.London)
	deduct := url.Values{"patient": {id}, "version": {versionID(patient)}, "episode-version": {ep.Version}, "reason": {"moved-away"},
		"date-day": {fmt.Sprint(today.Day())}, "date-month": {fmt.Sprint(int(today.Month()))}, "date-year": {fmt.Sprint(today.Year())}}
	wrong := url.Values{}
	for k, v := range deduct {
		wrong[k] = v
	}
	wrong.Set("patient", practice.Patients[0])
	if code, _, _ := d.do(t, base+"/deduct", wrong); code != http.StatusConflict {
		t.Errorf("a deduction for another patient's form: %d", code)
	}
	if code, loc, body := d.do(t, base+"/deduct", deduct); code != http.StatusSeeOther {
		t.Fatalf("deduct: %d %s %s", code, loc, body)
	}
	if p := d.read(t, "Patient", id); p["active"] != false {
		t.Errorf("deducted patient active %v", p["active"])
	}
	code, _, body = d.do(t, "/workspace/search", url.Values{"q": {nhs}})
	if code != 200 || !strings.Contains(body, "Deducted") {
		t.Errorf("search does not mark the deducted patient: %d", code)
	}
	// The same form again (a double click): the versions moved on.
	if code, _, _ := d.do(t, base+"/deduct", deduct); code != http.StatusConflict {
		t.Errorf("a second deduction: %d", code)
	}

	// Register again: a new EpisodeOfCare.
	patient = d.read(t, "Patient", id)
	again := url.Values{"patient": {id}, "version": {versionID(patient)}, "type": {"temporary"}, "gp": {"Practitioner/" + practice.Clinicians[0].ID}}
	if code, loc, body := d.do(t, base+"/new", again); code != http.StatusSeeOther {
		t.Fatalf("register again: %d %s %s", code, loc, body)
	}
	eps = d.search(t, "EpisodeOfCare", url.Values{"patient": {id}})
	views := clinical.ViewRegistrations(eps, time.Now())
	if len(views) != 2 || !views[0].Current || views[0].TypeKey != "temporary" || views[1].Current {
		t.Errorf("registrations %+v", views)
	}
	if p := d.read(t, "Patient", id); p["active"] != true {
		t.Error("re-registered patient not active")
	}

	// Changed details: the version shown must still be current.
	patient = d.read(t, "Patient", id)
	details := registrationForm(d, nhs, "Ada")
	details.Set("patient", id)
	details.Set("version", versionID(patient))
	details.Set("address1", "2 New Street")
	stale := url.Values{}
	for k, v := range details {
		stale[k] = v
	}
	stale.Set("address1", "9 Stale Road")
	if code, _, body := d.do(t, base+"/details", details); code != http.StatusSeeOther {
		t.Fatalf("details: %d %s", code, body)
	}
	code, _, body = d.do(t, base+"/details", stale)
	if code != http.StatusConflict || !strings.Contains(body, "Someone else changed") || !strings.Contains(body, "2 New Street") {
		t.Errorf("a stale edit: %d", code)
	}
	if b := clinical.BannerOf(d.read(t, "Patient", id), time.Now()); !strings.HasPrefix(b.Address, "2 New Street") {
		t.Errorf("address after a stale edit %q", b.Address)
	}
	// Another patient's NHS number is refused.
	details.Set("version", versionID(d.read(t, "Patient", id)))
	details.Set("nhs", demo.NHSNumber(0))
	if code, _, body := d.do(t, base+"/details", details); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Another patient") {
		t.Errorf("another patient's NHS number: %d", code)
	}

	// A death: marked, future appointments cancelled.
	ctx := auth.WithPrincipal(context.Background(), d.principal)
	appt := fhir.Resource{"resourceType": "Appointment", "status": "booked", "start": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
		"end": time.Now().Add(49 * time.Hour).UTC().Format(time.RFC3339), "participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + id}, "status": "accepted"}}}
	if _, err := s.Service.Create(ctx, "Appointment", appt, ""); err != nil {
		t.Fatal(err)
	}
	patient = d.read(t, "Patient", id)
	death := url.Values{"patient": {id}, "version": {versionID(patient)}, "death-day": {fmt.Sprint(today.Day())}, "death-month": {fmt.Sprint(int(today.Month()))}, "death-year": {fmt.Sprint(today.Year())}, "informant": {"Son, at the desk"}}
	if code, loc, body := d.do(t, base+"/death", death); code != http.StatusSeeOther {
		t.Fatalf("death: %d %s %s", code, loc, body)
	}
	if b := clinical.BannerOf(d.read(t, "Patient", id), time.Now()); !b.Deceased {
		t.Error("not marked deceased")
	}
	for _, a := range d.search(t, "Appointment", url.Values{"patient": {id}}) {
		if a["status"] != "cancelled" {
			t.Errorf("an appointment after death is %v", a["status"])
		}
	}
	code, _, body = d.do(t, "/workspace/search", url.Values{"q": {nhs}})
	if !strings.Contains(body, "Deceased") {
		t.Errorf("search does not mark the deceased patient: %d", code)
	}
}

func versionID(r fhir.Resource) string {
	v, _ := r["meta"].(map[string]any)["versionId"].(string)
	return v
}

// TestRegisterConcurrently: receptionists registering the same NHS
// number at the same moment make one patient with one registration, on
// SQLite and on PostgreSQL; each of the others is told.
func TestRegisterConcurrently(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { registerRace(t, testbrowser.NewStack(t)) })
	t.Run("postgres", func(t *testing.T) { registerRace(t, stackOn(t, storetest.OpenPostgres(t))) })
}

// stackOn serves the workspace on a store (the browser stack is SQLite
// only).
func stackOn(t testing.TB, st store.Store) *testbrowser.Stack {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	svc := service.New(st, service.Options{BaseURL: srv.URL + "/fhir"})
	ws := workspace.New(workspace.Options{Store: st, Service: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux.Handle("/workspace/", ws)
	return &testbrowser.Stack{URL: srv.URL, Store: st, Service: svc}
}

func registerRace(t *testing.T, s *testbrowser.Stack) {
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 0, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	const desks, rounds = 6, 3
	var ds []*desk
	for i := 0; i < desks; i++ {
		ds = append(ds, signedInDesk(t, s, practice, fmt.Sprintf("desk%d@race", i)))
	}
	for round := 0; round < rounds; round++ {
		nhs := demo.NHSNumber(700 + round)
		var wg sync.WaitGroup
		codes := make([]int, desks)
		start := make(chan struct{})
		for i, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[i], _, _ = d.do(t, "/workspace/register", registrationForm(d, nhs, fmt.Sprintf("Racer%c", 'A'+i)))
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for _, c := range codes {
			switch c {
			case http.StatusSeeOther:
				created++
			case http.StatusConflict:
			default:
				t.Errorf("round %d: a desk was answered %d", round, c)
			}
		}
		patients := ds[0].search(t, "Patient", url.Values{"identifier": {clinical.NHSNumberSystem + "|" + nhs}})
		if len(patients) != 1 || created != 1 {
			t.Fatalf("round %d: %d patients, %d desks told they registered (%v)", round, len(patients), created, codes)
		}
		if eps := ds[0].search(t, "EpisodeOfCare", url.Values{"patient": {patients[0].ID()}}); len(eps) != 1 {
			t.Fatalf("round %d: %d registrations of the one patient", round, len(eps))
		}
	}
}
