package portal_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// create writes a resource as the system and returns its id.
func create(t *testing.T, s *testbrowser.Stack, res fhir.Resource) string {
	t.Helper()
	out, err := s.Service.Create(system, res.Type(), res, "")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := fhir.Unmarshal(out.Version.Body)
	return got.ID()
}

// consultationOf writes a consultation (Encounter, a note, its
// Composition) dated when, with the note's words.
func consultationOf(t *testing.T, s *testbrowser.Stack, patient string, when time.Time, words string) {
	t.Helper()
	subject := map[string]any{"reference": "Patient/" + patient}
	stamp := when.UTC().Format(time.RFC3339)
	enc := create(t, s, fhir.Resource{"resourceType": "Encounter", "status": "finished", "subject": subject,
		"class":  map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
		"period": map[string]any{"start": stamp, "end": stamp}})
	note := create(t, s, fhir.Resource{"resourceType": "Observation", "status": "final", "subject": subject, "effectiveDateTime": stamp,
		"encounter": map[string]any{"reference": "Encounter/" + enc}, "valueString": words,
		"code": map[string]any{"coding": []any{map[string]any{"system": clinical.SNOMED, "code": clinical.CommentNoteCode}}}})
	create(t, s, fhir.Resource{"resourceType": "Composition", "status": "final", "subject": subject, "date": stamp, "title": "Consultation",
		"type":      map[string]any{"coding": []any{map[string]any{"system": clinical.SNOMED, "code": clinical.ConsultationCode}}},
		"author":    []any{map[string]any{"display": "Dr Test"}},
		"encounter": map[string]any{"reference": "Encounter/" + enc},
		"section":   []any{map[string]any{"title": "History", "entry": []any{map[string]any{"reference": "Observation/" + note}}}}})
}

// letterOf writes a letter in the inbox state given.
func letterOf(t *testing.T, s *testbrowser.Stack, patient, title, state string) {
	t.Helper()
	create(t, s, clinical.WithInboxState(fhir.Resource{"resourceType": "DocumentReference", "status": "current",
		"subject": map[string]any{"reference": "Patient/" + patient}, "type": map[string]any{"text": title},
		"date":    time.Now().UTC().Format(time.RFC3339),
		"content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "data": "TGV0dGVy"}}}}, state))
}

// TestRecordAccessLevels: the practice sets a patient's level on the
// Online access tab and the portal's record shows only that: the
// summary; the coded record; the full record with consultation notes
// and filed letters (never an unfiled one, nor a hidden note);
// prospective access shows only new entries in full; none shows
// nothing; an enhanced-review entry after the decision closes it again.
// An identity proof too low shows nothing, whatever the level.
// SQLite and PostgreSQL (the setting is found by a search of two
// categories at once).
func TestRecordAccessLevels(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			testRecordAccessLevels(t, testbrowser.NewStackWith(t, testbrowser.StackOptions{Store: open(t)}))
		})
	}
}

func testRecordAccessLevels(t *testing.T, s *testbrowser.Stack) {
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 6, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := adultOf(t, s, practice.Patients)
	consultationOf(t, s, me, time.Now().AddDate(-2, 0, 0), "Old worry about sleep")
	consultationOf(t, s, me, time.Now() /* not an hour ago: just after midnight that is yesterday */, "Discussed knee pain today")
	letterOf(t, s, me, "Orthopaedic clinic letter", clinical.InboxFiled)
	letterOf(t, s, me, "Unreviewed discharge summary", clinical.InboxToFile)
	gp := signIn(t, s, &identity.User{ID: "gp@test", Name: "Dr GP", Role: auth.RoleGP, Practice: practice.OrganizationID})
	pat := signIn(t, s, &identity.User{ID: "pat", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}, FHIRUser: "Patient/" + me, IdentityProof: "P9"})
	low := signIn(t, s, &identity.User{ID: "low", Name: "Low", Role: auth.RolePatient, Patients: []string{me}, FHIRUser: "Patient/" + me})

	// The default: summary, and new entries in full from the account's day.
	_, body, _ := pat.get("/patient/record")
	if !strings.Contains(body, `id="allergies"`) || !strings.Contains(body, "Discussed knee pain today") || strings.Contains(body, "Old worry about sleep") {
		t.Fatal("default: the summary and today's consultation, not an old one")
	}
	if _, body, _ := low.get("/patient/record"); !strings.Contains(body, "no-access") || !strings.Contains(body, "photo ID") {
		t.Fatal("a linkage-key account sees the record, or is not told how to get access")
	}

	page := "/workspace/patients/" + me + "/proxies"
	version := ""
	set := func(level, from string) {
		t.Helper()
		f := url.Values{"patient": {me}, "version": {version}, "level": {level}}
		if from != "" {
			d, _ := time.Parse("2006-01-02", from)
			f.Set("from-day", d.Format("2"))
			f.Set("from-month", d.Format("1"))
			f.Set("from-year", d.Format("2006"))
		}
		if code, body, _ := gp.post("/workspace/patients/"+me+"/record-access", f); code != http.StatusSeeOther {
			t.Fatalf("set %s: %d\n%s", level, code, body)
		}
		rs := search(t, s, "Consent", url.Values{"patient": {"Patient/" + me}, "category": {clinical.RecordAccessSystem + "|record-access"}})
		if len(rs) != 1 {
			t.Fatalf("%d record-access Consents: each change should be a version of one", len(rs))
		}
		version = rs[0]["meta"].(map[string]any)["versionId"].(string)
	}
	shows := func(level string, want map[string]bool) {
		t.Helper()
		_, body, _ := pat.get("/patient/record")
		for marker, w := range want {
			if strings.Contains(body, marker) != w {
				t.Errorf("%s: %q shown = %v", level, marker, !w)
			}
		}
	}
	if code, _, _ := gp.post("/workspace/patients/"+me+"/record-access", url.Values{"patient": {me}, "version": {""}, "level": {"everything"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown level: %d", code)
	}
	if code, _, _ := gp.post("/workspace/patients/"+me+"/record-access", url.Values{"patient": {me}, "version": {""}, "level": {"full"}, "from-day": {"31"}, "from-month": {"2"}, "from-year": {"2026"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("a date that does not exist: %d", code)
	}
	set(clinical.RecordSummary, "")
	shows("summary", map[string]bool{`id="allergies"`: true, `id="vaccinations"`: false, `id="results"`: false, `id="consultations"`: false, "knee pain": false})
	set(clinical.RecordDetailed, "")
	shows("detailed", map[string]bool{`id="allergies"`: true, `id="vaccinations"`: true, `id="results"`: true, `id="consultations"`: false, "Orthopaedic": false})
	set(clinical.RecordFull, "")
	shows("full", map[string]bool{`id="consultations"`: true, "Old worry about sleep": true, "knee pain": true, "Orthopaedic clinic letter": true, "Unreviewed discharge summary": false})
	set(clinical.RecordNone, time.Now().AddDate(0, 0, -7).Format("2006-01-02"))
	shows("prospective only", map[string]bool{`no-access`: false, "knee pain": true, "Old worry about sleep": false, "Unreviewed discharge summary": false})
	set(clinical.RecordNone, "")
	shows("none", map[string]bool{`no-access`: true, `id="allergies"`: false})
	if _, body, _ := pat.get("/patient/record/views"); !strings.Contains(body, "no-access") {
		t.Error("record turned off, but who viewed it is shown")
	}
	set(clinical.RecordFull, "")
	if _, body, _ := gp.get(page); !strings.Contains(body, "Full record") {
		t.Error("the tab does not show the level")
	}
	// A stale form writes nothing.
	if code, _, _ := gp.post("/workspace/patients/"+me+"/record-access", url.Values{"patient": {me}, "version": {"1"}, "level": {"none"}}); code != http.StatusConflict {
		t.Fatalf("an old version: %d", code)
	}
	// An enhanced-review entry recorded after the decision closes the
	// record (without saying why); the entry itself is never shown.
	create(t, s, fhir.Resource{"resourceType": "Observation", "status": "final", "subject": map[string]any{"reference": "Patient/" + me},
		"effectiveDateTime": time.Now().Add(time.Minute).UTC().Format(time.RFC3339),
		"code":              map[string]any{"coding": []any{map[string]any{"system": clinical.SNOMED, "code": clinical.EnhancedReviewCodes[0], "display": "Enhanced review indicated"}}}})
	if _, body, _ := pat.get("/patient/record"); !strings.Contains(body, "no-access") || strings.Contains(strings.ToLower(body), "review") {
		t.Fatal("an enhanced review does not close the record, or names itself")
	}
}

// TestRegistrationLetters: the practice prints a letter for the patient
// and one for a proxy (granting services first); each registers once at
// /patient/register with the letter's details, surname and date of
// birth; a wrong part is refused with one message and nothing made; the
// patient then books but cannot read the record until the practice
// records photo ID; the proxy uses only what the grant gave. The 11th
// birthday worklist lists a proxy whose child turns 11 soon.
func TestRegistrationLetters(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			testRegistrationLetters(t, testbrowser.NewStackWith(t, testbrowser.StackOptions{Store: open(t)}))
		})
	}
}

func testRegistrationLetters(t *testing.T, s *testbrowser.Stack) {
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 6, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := adultOf(t, s, practice.Patients)
	patient := read(t, s, "Patient", me)
	surname, birth := clinical.FamilyName(patient), patient["birthDate"].(string)
	gp := signIn(t, s, &identity.User{ID: "gp@test", Name: "Dr GP", Role: auth.RoleGP, Practice: practice.OrganizationID})
	invite := "/workspace/patients/" + me + "/invitations"
	code, letter, _ := gp.post(invite, url.Values{"patient": {me}, "for": {"patient"}})
	if code != http.StatusCreated {
		t.Fatalf("letter: %d", code)
	}
	field := func(body, id string) string {
		m := regexp.MustCompile(`id="` + id + `">([^<]*)<`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s on the letter", id)
		}
		return m[1]
	}
	account, key, ods := field(letter, "letter-account"), field(letter, "letter-key"), field(letter, "letter-ods")
	if ods != practice.ODS || len(key) != 19 {
		t.Fatalf("letter: %s %s %s", account, key, ods)
	}

	// Registration, not signed in: a browser with cookies only.
	jar, _ := cookiejar.New(nil)
	anon := &client{t: t, base: s.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, form, _ := anon.get("/patient/register")
	anon.csrf = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)[1]
	reg := func(acc, k, o, sur, b string) (int, string) {
		d, _ := time.Parse("2006-01-02", b)
		code, body, _ := anon.post("/patient/register", url.Values{"account-id": {acc}, "key": {k}, "ods": {o}, "surname": {sur},
			"birth-day": {d.Format("2")}, "birth-month": {d.Format("1")}, "birth-year": {d.Format("2006")},
			"password": {"correct horse battery"}, "password-again": {"correct horse battery"}})
		return code, body
	}
	var refusals []string
	for _, bad := range [][5]string{{account, key, ods, "Wrongname", birth}, {account, key, ods, surname, "1901-01-01"}, {account, "ACDE-FGHJ-KMNP-QRTU", ods, surname, birth}} {
		code, body := reg(bad[0], bad[1], bad[2], bad[3], bad[4])
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") {
			t.Fatalf("wrong details: %d", code)
		}
		refusals = append(refusals, regexp.MustCompile(`<li><a href="#account-id">([^<]*)<`).FindStringSubmatch(body)[1])
	}
	if refusals[0] != refusals[1] || refusals[1] != refusals[2] {
		t.Fatal("the refusal says which part was wrong")
	}
	if code, body := reg(account, strings.ToLower(key), ods, strings.ToUpper(surname), birth); code != http.StatusCreated || !strings.Contains(body, account) {
		t.Fatalf("register: %d\n%s", code, body)
	}
	if code, _ := reg(account, key, ods, surname, birth); code != http.StatusUnprocessableEntity {
		t.Fatalf("the letter used twice: %d", code)
	}
	u, err := identity.GetUser(context.Background(), s.Store, account)
	if err != nil || u.IdentityProof != "" || u.Patients[0] != me {
		t.Fatalf("account %+v %v", u, err)
	}
	s.Trail.Flush()
	if ev := search(t, s, "AuditEvent", url.Values{"patient": {"Patient/" + me}, "_count": {"500"}}); !strings.Contains(fhirText(ev), "register") {
		t.Error("the registration is not in the audit trail")
	}

	// Signed in with the new account: appointments yes, the record no,
	// until the practice records photo ID.
	mine := sessionFor(t, s, u)
	if code, _, _ := mine.get("/patient/appointments"); code != 200 {
		t.Fatalf("appointments: %d", code)
	}
	if _, body, _ := mine.get("/patient/record"); !strings.Contains(body, "no-access") {
		t.Fatal("a linkage key alone opened the record")
	}
	if code, _, _ := gp.post("/workspace/patients/"+me+"/identity-proof", url.Values{"patient": {me}, "account": {account}, "proof": {"photo-id"}}); code != http.StatusSeeOther {
		t.Fatalf("photo ID: %d", code)
	}
	if _, body, _ := mine.get("/patient/record"); strings.Contains(body, "no-access") {
		t.Fatal("photo ID seen, but the record is still closed")
	}
	if code, _, _ := gp.post("/workspace/patients/"+practice.Patients[0]+"/identity-proof", url.Values{"patient": {practice.Patients[0]}, "account": {account}, "proof": {"photo-id"}}); code != http.StatusNotFound && me != practice.Patients[0] {
		t.Fatalf("an account of another patient: %d", code)
	}

	// A proxy's letter: the grant first, with its services.
	if code, body, _ := gp.post(invite, url.Values{"patient": {me}, "for": {"proxy"}, "invite-name": {"Sam Carer"}, "invite-surname": {"Carer"},
		"invite-birth-day": {"3"}, "invite-birth-month": {"4"}, "invite-birth-year": {"1970"}, "basis": {clinical.BasisParent}, "service": {clinical.ServiceMessages}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "16 or over") {
		t.Fatalf("parental responsibility for an adult: %d", code)
	}
	if n := len(search(t, s, "Consent", url.Values{"patient": {"Patient/" + me}, "category": {clinical.ProxyGrantSystem + "|proxy-access"}})); n != 0 {
		t.Fatalf("a refused letter wrote %d grants", n)
	}
	code, letter, _ = gp.post(invite, url.Values{"patient": {me}, "for": {"proxy"}, "invite-name": {"Sam Carer"}, "invite-surname": {"Carer"},
		"invite-birth-day": {"3"}, "invite-birth-month": {"4"}, "invite-birth-year": {"1970"}, "basis": {clinical.BasisLPA}, "service": {clinical.ServiceMessages}})
	if code != http.StatusCreated {
		t.Fatalf("proxy letter: %d", code)
	}
	paccount, pkey := field(letter, "letter-account"), field(letter, "letter-key")
	if code, _ := reg(paccount, pkey, ods, "Carer", "1970-04-03"); code != http.StatusCreated {
		t.Fatalf("proxy registers: %d", code)
	}
	pu, _ := identity.GetUser(context.Background(), s.Store, paccount)
	pu.IdentityProof = "photo-id"
	carer := sessionFor(t, s, pu)
	if code, _, _ := carer.get("/patient/messages"); code != 200 {
		t.Fatalf("granted messages: %d", code)
	}
	if code, _, _ := carer.get("/patient/appointments"); code != http.StatusForbidden {
		t.Fatalf("appointments not granted: %d", code)
	}
	if _, body, _ := gp.get("/workspace/patients/" + me + "/proxies"); !strings.Contains(body, "Sam Carer") || !strings.Contains(body, paccount) {
		t.Fatal("the tab does not list the proxy and the letters")
	}
}

// TestProxyReviewWorklist: a proxy for a child who turns 11 within 30
// days is listed; after the practice's decision on or after the
// birthday (here: refusal) the child leaves the list.
func TestProxyReviewWorklist(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	soon := time.Now().AddDate(-11, 0, 10).Format("2006-01-02")
	child := create(t, s, fhir.Resource{"resourceType": "Patient", "birthDate": soon, "gender": "female",
		"name":                []any{map[string]any{"use": "official", "family": "Young", "given": []any{"Amy"}}},
		"generalPractitioner": []any{map[string]any{"reference": "Organization/" + practice.OrganizationID}}})
	signIn(t, s, &identity.User{ID: "parent", Name: "Pat Parent", Role: auth.RoleProxy, Patients: []string{child}, IdentityProof: "P9"})
	gp := signIn(t, s, &identity.User{ID: "gp@test", Name: "Dr GP", Role: auth.RoleGP, Practice: practice.OrganizationID})
	code, body, _ := gp.get("/workspace/proxies/review")
	if code != 200 || !strings.Contains(body, "Pat Parent") || !strings.Contains(body, "YOUNG, Amy") {
		t.Fatalf("worklist: %d\n%s", code, body)
	}
	decide(t, s, child, "parent", clinical.GrantChange{Do: "refuse", Note: "Reviewed"}, nil)
	if _, body, _ := gp.get("/workspace/proxies/review"); strings.Contains(body, "Pat Parent") {
		t.Fatal("a decided proxy is still listed")
	}
}

func fhirText(rs []fhir.Resource) string {
	var b strings.Builder
	for _, r := range rs {
		body, _ := fhir.Marshal(r)
		b.Write(body)
	}
	return b.String()
}
