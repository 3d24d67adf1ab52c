package clinical

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

var regNow = time.Date(2026, 12, 1, 10, 0, 0, 0, London)

var regPractice = Practice{ID: "org-y12345", Name: "Riverside Medical Practice", Lines: []string{"1 River Road"}, Town: "Leeds", Postcode: "LS1 4AP"}

var regGP = Ref{Reference: "Practitioner/pr-1", Display: "Dr Anita Patel"}

func goodRegistration() Registration {
	return Registration{Demographics: Demographics{Title: "Mrs", Given: "Jane  Anne", Family: "Smith", BirthDay: "12", BirthMonth: "3", BirthYear: "1970",
		Sex: "female", Address1: "2 Park Lane", Town: "Leeds", Postcode: "ls27ab", Mobile: "+44 7700 900982", SMSConsent: true,
		Email: "jane@example.com", NHSNumber: "943 476 5919", Ethnicity: "A", Language: "Polish", Interpreter: true, ArmedForces: "veteran",
		PlaceOfBirth: "Krakow, Poland", AccessibleFormat: "large-print"},
		Type: "regular", UsualGP: regGP.Reference, PreviousPractice: "Hillside Surgery, Bradford", PreviousAddress: "5 Old Road, Bradford", PreviousPostcode: "bd1 1aa"}
}

func TestRegistrationCheck(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*Registration)
		errs   map[string]string // field: part of the message
	}{
		{"good", func(*Registration) {}, nil},
		{"wrong check digit", func(r *Registration) { r.NHSNumber = "943 476 5918" }, map[string]string{"nhs": "not a valid NHS number"}},
		{"nine digits", func(r *Registration) { r.NHSNumber = "943 476 591" }, map[string]string{"nhs": "10 digits"}},
		{"no NHS number is allowed", func(r *Registration) { r.NHSNumber = "" }, nil},
		{"nothing", func(r *Registration) { *r = Registration{} }, map[string]string{"given": "Enter the patient's first name", "family": "Enter the patient's last name",
			"birth-day": "Enter the date of birth", "sex": "Select", "address1": "Enter the first line", "town": "Enter the town", "postcode": "Enter the postcode",
			"type": "Select the type", "gp": "usual GP"}},
		{"digits in a name", func(r *Registration) { r.Family = "Sm1th" }, map[string]string{"family": "only include letters"}},
		{"accented and hyphenated names", func(r *Registration) { r.Family, r.Given = "O'Brien-Ñúñez", "Zoë" }, nil},
		{"born tomorrow", func(r *Registration) { r.BirthDay, r.BirthMonth, r.BirthYear = "2", "12", "2026" }, map[string]string{"birth-day": "today or in the past"}},
		{"31 February", func(r *Registration) { r.BirthDay, r.BirthMonth = "31", "2" }, map[string]string{"birth-day": "real date"}},
		{"two-digit year", func(r *Registration) { r.BirthYear = "70" }, map[string]string{"birth-day": "real date"}},
		{"missing month", func(r *Registration) { r.BirthMonth = "" }, map[string]string{"birth-day": "must include a month"}},
		{"month by name", func(r *Registration) { r.BirthMonth = "March" }, nil},
		{"1850", func(r *Registration) { r.BirthYear = "1850" }, map[string]string{"birth-day": "after 1890"}},
		{"bad postcode", func(r *Registration) { r.Postcode = "LS1 4A" }, map[string]string{"postcode": "real postcode"}},
		{"no fixed abode needs no address", func(r *Registration) { r.NoFixedAbode, r.Address1, r.Town, r.Postcode = true, "", "", "" }, nil},
		{"bad phone", func(r *Registration) { r.Phone = "12345" }, map[string]string{"phone": "UK phone number"}},
		{"text consent without a mobile", func(r *Registration) { r.Mobile = "" }, map[string]string{"mobile": "mobile number"}},
		{"bad email", func(r *Registration) { r.Email = "jane@example" }, map[string]string{"email": "correct format"}},
		{"email with a name", func(r *Registration) { r.Email = "Jane <jane@example.com>" }, map[string]string{"email": "correct format"}},
		{"email consent without email", func(r *Registration) { r.Email, r.EmailConsent = "", true }, map[string]string{"email": "untick"}},
		{"unknown type", func(r *Registration) { r.Type = "private" }, map[string]string{"type": "Select"}},
		{"GP of another practice", func(r *Registration) { r.UsualGP = "Practitioner/elsewhere" }, map[string]string{"gp": "usual GP"}},
		{"registered before birth", func(r *Registration) { r.StartDay, r.StartMonth, r.StartYear = "1", "1", "1960" }, map[string]string{"start-day": "on or after the date of birth"}},
		{"registered tomorrow", func(r *Registration) { r.StartDay, r.StartMonth, r.StartYear = "2", "12", "2026" }, map[string]string{"start-day": "today or in the past"}},
		{"bad previous postcode", func(r *Registration) { r.PreviousPostcode = "nowhere" }, map[string]string{"previous-postcode": "real postcode"}},
		{"unknown ethnicity", func(r *Registration) { r.Ethnicity = "Q" }, map[string]string{"ethnicity": "Select"}},
		{"unknown format", func(r *Registration) { r.AccessibleFormat = "smoke-signals" }, map[string]string{"accessible-format": "Select"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := goodRegistration()
			c.change(&r)
			errs := r.Check(regNow, []Ref{regGP})
			for f, want := range c.errs {
				if !strings.Contains(errs[f], want) {
					t.Errorf("%s: error %q, want one saying %q", f, errs[f], want)
				}
			}
			for f, got := range errs {
				if _, ok := c.errs[f]; !ok {
					t.Errorf("unexpected error on %s: %s", f, got)
				}
			}
		})
	}
}

func TestRegistrationNormalises(t *testing.T) {
	r := goodRegistration()
	if errs := r.Check(regNow, []Ref{regGP}); len(errs) > 0 {
		t.Fatal(errs)
	}
	if r.Postcode != "LS2 7AB" || r.NHS != "9434765919" || r.NHSNumber != "943 476 5919" || r.Mobile != "07700900982" || r.Given != "Jane Anne" {
		t.Errorf("normalised: %q %q %q %q %q", r.Postcode, r.NHS, r.NHSNumber, r.Mobile, r.Given)
	}
	if r.Start.Format("2006-01-02") != "2026-12-01" || r.GP != regGP || r.PreviousPostcode != "BD1 1AA" {
		t.Errorf("start %v, GP %v, previous postcode %q", r.Start, r.GP, r.PreviousPostcode)
	}
}

// TestRegistrationBundle: what a registration writes, shaped to UK Core.
func TestRegistrationBundle(t *testing.T) {
	r := goodRegistration()
	r.Type = "temporary"
	if errs := r.Check(regNow, []Ref{regGP}); len(errs) > 0 {
		t.Fatal(errs)
	}
	b := RegistrationBundle(r, regPractice)
	entries := b["entry"].([]any)
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	pe, ee := entries[0].(map[string]any), entries[1].(map[string]any)
	if got := pe["request"].(map[string]any)["ifNoneExist"]; got != "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919" {
		t.Errorf("patient ifNoneExist %v", got)
	}
	if got := ee["request"].(map[string]any)["ifNoneExist"]; got != "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919" {
		t.Errorf("episode ifNoneExist %v", got)
	}
	p := fhir.Resource(pe["resource"].(map[string]any))
	js, _ := json.Marshal(p)
	for _, want := range []string{
		`"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"`,
		`"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"coding":[{"code":"02"`,
		`"family":"Smith","given":["Jane","Anne"],"prefix":["Mrs"],"use":"official"`,
		`"birthDate":"1970-03-12"`, `"gender":"female"`,
		`"city":"Leeds","line":["2 Park Lane"],"postalCode":"LS2 7AB","use":"home"`,
		`"period":{"end":"2026-12-01"},"postalCode":"BD1 1AA","text":"5 Old Road, Bradford","use":"old"`,
		`"system":"sms","use":"mobile","value":"07700 900982"`,
		`"url":"https://gpcloud.dev/fhir/StructureDefinition/contact-consent","valueBoolean":true`,
		`"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"code":"A"`,
		`"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueAddress":{"text":"Krakow, Poland"}`,
		`"url":"http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired","valueBoolean":true`,
		`"communication":[{"language":{"text":"Polish"},"preferred":true}]`,
		`"generalPractitioner":[{"display":"Dr Anita Patel","reference":"Practitioner/pr-1"}]`,
		`"managingOrganization":{"display":"Riverside Medical Practice","reference":"Organization/org-y12345"}`,
		`"active":true`,
		`"url":"https://gpcloud.dev/fhir/StructureDefinition/accessible-format","valueCodeableConcept":{"coding":[{"code":"large-print"`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the Patient lacks %s:\n%s", want, js)
		}
	}
	ep := fhir.Resource(ee["resource"].(map[string]any))
	js, _ = json.Marshal(ep)
	for _, want := range []string{
		`"status":"active"`, `"code":"T","display":"Temporary resident","system":"https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-RegistrationType-1"`,
		`"period":{"end":"2027-03-01","start":"2026-12-01"}`, `"careManager":{"display":"Dr Anita Patel","reference":"Practitioner/pr-1"}`,
		`"patient":{"reference":"` + pe["fullUrl"].(string) + `"}`, `"managingOrganization":{"display":"Riverside Medical Practice"`,
		`"valueString":"Hillside Surgery, Bradford"`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the EpisodeOfCare lacks %s:\n%s", want, js)
		}
	}
	// Immediately necessary ends after 14 days; regular does not end.
	for typ, end := range map[string]string{"immediately-necessary": "2026-12-15", "regular": ""} {
		r.Type = typ
		ep := EpisodeOf(r, "Patient/x", regPractice)
		if got := str(mapOf(ep["period"]), "end"); got != end {
			t.Errorf("%s ends %q, want %q", typ, got, end)
		}
	}
	// Without an NHS number nothing is conditional.
	r.NHSNumber, r.NHS = "", ""
	b = RegistrationBundle(r, regPractice)
	if _, ok := b["entry"].([]any)[0].(map[string]any)["request"].(map[string]any)["ifNoneExist"]; ok {
		t.Error("a patient without an NHS number was created conditionally")
	}
}

// TestNoFixedAbode: registered at the practice's address.
func TestNoFixedAbode(t *testing.T) {
	r := goodRegistration()
	r.NoFixedAbode, r.Address1, r.Town, r.Postcode = true, "", "", ""
	if errs := r.Check(regNow, []Ref{regGP}); len(errs) > 0 {
		t.Fatal(errs)
	}
	p := PatientOf(nil, r.Demographics, regPractice, regGP, "")
	a := list(p, "address")[0]
	if a["use"] != "temp" || a["postalCode"] != "LS1 4AP" || !strings.Contains(str(a, "text"), "No fixed abode") {
		t.Errorf("address %v", a)
	}
	if b := BannerOf(p, regNow); b.Postcode != "LS1 4AP" || !strings.HasPrefix(b.Address, "No fixed abode") {
		t.Errorf("banner %q %q", b.Address, b.Postcode)
	}
}

// TestPatientOfKeeps: editing details keeps what the form does not hold,
// and the NHS number's verification while the number is the same.
func TestPatientOfKeeps(t *testing.T) {
	existing := fhir.Resource{"resourceType": "Patient", "id": "p1", "meta": map[string]any{"versionId": "3", "security": []any{map[string]any{"code": "R"}}},
		"identifier": []any{
			map[string]any{"system": NHSNumberSystem, "value": "9434765919", "extension": []any{map[string]any{"url": NHSVerificationURL,
				"valueCodeableConcept": codeable(NHSVerificationSystem, NHSVerified, "Number present and verified", "")}}},
			map[string]any{"system": "https://example.org/mrn", "value": "M1"}},
		"name":      []any{map[string]any{"use": "official", "family": "Smith"}, map[string]any{"use": "maiden", "family": "Jones"}},
		"extension": []any{map[string]any{"url": "https://example.org/other", "valueString": "kept"}},
		"address":   []any{map[string]any{"use": "home", "line": []any{"old"}}, map[string]any{"use": "old", "text": "before"}},
		"active":    false}
	r := goodRegistration()
	r.Check(regNow, []Ref{regGP})
	p := PatientOf(existing, r.Demographics, regPractice, Ref{}, "")
	js, _ := json.Marshal(p)
	for _, want := range []string{`"code":"01"`, `"value":"M1"`, `"family":"Jones"`, `"valueString":"kept"`, `"text":"before"`, `"active":false`, `"security"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("lost %s: %s", want, js)
		}
	}
	if strings.Contains(string(js), `"line":["old"]`) {
		t.Error("the old home address was kept beside the new one")
	}
	// A changed number is not verified.
	r.NHS = "9000000009"
	p = PatientOf(existing, r.Demographics, regPractice, Ref{}, "")
	if got := nhsStatusOf(list(p, "identifier")[0]); got != NHSNotTraced {
		t.Errorf("a changed NHS number has status %q", got)
	}
	if existing["active"] != false || len(list(existing, "identifier")) != 2 {
		t.Error("PatientOf changed the resource it was given")
	}
}

func TestLikelyDuplicates(t *testing.T) {
	r := goodRegistration()
	r.Check(regNow, []Ref{regGP})
	patient := func(id, nhs, family, given, birth, postcode string) fhir.Resource {
		p := fhir.Resource{"resourceType": "Patient", "id": id, "birthDate": birth,
			"name":    []any{map[string]any{"family": family, "given": []any{given}}},
			"address": []any{map[string]any{"postalCode": postcode}}}
		if nhs != "" {
			p["identifier"] = []any{map[string]any{"system": NHSNumberSystem, "value": nhs}}
		}
		return p
	}
	candidates := []fhir.Resource{
		patient("name-match", "9000000009", "SMITH", "jane", "1970-03-12", "ls2 7ab"),
		patient("nhs-match", "9434765919", "Brown", "Ann", "1980-01-01", "M1 1AA"),
		patient("other-dob", "", "Smith", "Jane", "1971-03-12", "LS2 7AB"),
		patient("other-postcode", "", "Smith", "Jane", "1970-03-12", "LS2 7AC"),
		patient("other-given", "", "Smith", "Joan", "1970-03-12", "LS2 7AB"),
		patient("name-match", "9000000009", "SMITH", "jane", "1970-03-12", "ls2 7ab"), // found by both searches
	}
	dups := LikelyDuplicates(r.Demographics, regPractice, candidates, regNow)
	if len(dups) != 2 || dups[0].ID != "nhs-match" || !dups[0].SameNHS || dups[1].ID != "name-match" || dups[1].SameNHS {
		t.Fatalf("duplicates %+v", dups)
	}
	if dups[1].Why != "Same name, date of birth and postcode" {
		t.Errorf("why %q", dups[1].Why)
	}
	qs := DuplicateSearches(r.Demographics, regPractice)
	if len(qs) != 2 || qs[0].Get("identifier") != NHSNumberSystem+"|9434765919" || qs[1].Get("address-postalcode") != "LS2 7AB" || qs[1].Get("birthdate") != "1970-03-12" {
		t.Errorf("searches %v", qs)
	}
}

func TestDeductionAndReregistration(t *testing.T) {
	r := goodRegistration()
	r.Check(regNow, []Ref{regGP})
	ep := EpisodeOf(r, "Patient/p1", regPractice)
	ep["id"], ep["meta"] = "e1", map[string]any{"versionId": "1"}
	patient := PatientOf(nil, r.Demographics, regPractice, regGP, "")
	patient["id"], patient["meta"] = "p1", map[string]any{"versionId": "4", "security": []any{map[string]any{"code": "R"}}}

	for _, c := range []struct {
		d    Deduction
		errs []string
	}{
		{Deduction{Reason: "moved-away", Day: "1", Month: "12", Year: "2026"}, nil},
		{Deduction{Reason: "", Day: "1", Month: "12", Year: "2026"}, []string{"reason"}},
		{Deduction{Reason: "other", Day: "1", Month: "12", Year: "2026"}, []string{"other"}},
		{Deduction{Reason: "died", Day: "2", Month: "12", Year: "2026"}, []string{"date-day"}},
		{Deduction{Reason: "died", Day: "30", Month: "11", Year: "2025"}, []string{"date-day"}}, // before the registration
	} {
		errs := c.d.Check(regNow, "2026-12-01")
		if len(errs) != len(c.errs) {
			t.Errorf("%+v: errors %v, want on %v", c.d, errs, c.errs)
		}
		for _, f := range c.errs {
			if errs[f] == "" {
				t.Errorf("%+v: no error on %s", c.d, f)
			}
		}
	}
	d := Deduction{Reason: "moved-away", Day: "1", Month: "12", Year: "2026"}
	d.Check(regNow, "2026-12-01")
	b := DeductionBundle(patient, ep, d)
	entries := b["entry"].([]any)
	epe, pe := entries[0].(map[string]any), entries[1].(map[string]any)
	if got := epe["request"].(map[string]any); got["method"] != "PUT" || got["url"] != "EpisodeOfCare/e1" || got["ifMatch"] != `W/"1"` {
		t.Errorf("episode request %v", got)
	}
	if got := pe["request"].(map[string]any); got["url"] != "Patient/p1" || got["ifMatch"] != `W/"4"` {
		t.Errorf("patient request %v", got)
	}
	ended := fhir.Resource(epe["resource"].(map[string]any))
	ended["meta"] = map[string]any{"versionId": "2"}
	v := ViewRegistration(ended, regNow)
	if v.Current || v.Status != "Deducted 01-Dec-2026: Moved out of the practice area" {
		t.Errorf("deducted view %+v", v)
	}
	pr := fhir.Resource(pe["resource"].(map[string]any))
	if pr["active"] != false || mapOf(pr["meta"])["security"] == nil || mapOf(pr["meta"])["versionId"] != nil {
		t.Errorf("deducted patient active %v meta %v", pr["active"], pr["meta"])
	}
	if !BannerOf(pr, regNow).Deducted {
		t.Error("the banner does not say deducted")
	}
	if ep["status"] != "active" || patient["active"] != true {
		t.Error("DeductionBundle changed what it was given")
	}

	// Registering again: a new EpisodeOfCare, the Patient active.
	r.Type = "regular"
	b = ReregistrationBundle(pr, r, regPractice, []fhir.Resource{ended}, regNow)
	entries = b["entry"].([]any)
	if len(entries) != 2 {
		t.Fatalf("registering again after a deduction: %d entries", len(entries))
	}
	if got := entries[1].(map[string]any)["request"].(map[string]any)["method"]; got != "POST" {
		t.Errorf("the new registration is %v", got)
	}
	if fhir.Resource(entries[0].(map[string]any)["resource"].(map[string]any))["active"] != true {
		t.Error("re-registered patient not active")
	}
	if v := ViewRegistration(EpisodeOf(r, "Patient/p1", regPractice), regNow); !v.Current || v.Status != "Registered" || v.Type != "Regular" {
		t.Errorf("new registration view %+v", v)
	}
}

func TestRegistrationExpiry(t *testing.T) {
	r := goodRegistration()
	r.Type, r.StartDay, r.StartMonth, r.StartYear = "immediately-necessary", "1", "11", "2026"
	if errs := r.Check(regNow, []Ref{regGP}); len(errs) > 0 {
		t.Fatal(errs)
	}
	v := ViewRegistration(EpisodeOf(r, "Patient/p", regPractice), regNow)
	if v.Current || v.Status != "Ended 15-Nov-2026 (immediately necessary treatment)" {
		t.Errorf("an immediately necessary registration of a month ago: %+v", v)
	}
	// Registering again finishes the one that ran out.
	ran := EpisodeOf(r, "Patient/p", regPractice)
	ran["id"], ran["meta"] = "e0", map[string]any{"versionId": "1"}
	b := ReregistrationBundle(fhir.Resource{"resourceType": "Patient", "id": "p"}, r, regPractice, []fhir.Resource{ran}, regNow)
	entries := b["entry"].([]any)
	if len(entries) != 3 || entries[1].(map[string]any)["resource"].(map[string]any)["status"] != "finished" ||
		entries[1].(map[string]any)["request"].(map[string]any)["ifMatch"] != `W/"1"` {
		t.Errorf("registering again after an ended registration: %v", entries)
	}
	r.Type = "temporary"
	v = ViewRegistration(EpisodeOf(r, "Patient/p", regPractice), regNow)
	if !v.Current || v.Status != "Registered until 01-Feb-2027" {
		t.Errorf("a temporary registration of a month ago: %+v", v)
	}
}

func TestDeath(t *testing.T) {
	patient := fhir.Resource{"resourceType": "Patient", "id": "p1", "meta": map[string]any{"versionId": "2"}, "birthDate": "1970-03-12", "deceasedBoolean": false}
	for _, c := range []struct {
		d, m, y string
		err     string
	}{{"30", "11", "2026", ""}, {"2", "12", "2026", "today or in the past"}, {"1", "1", "1960", "on or after the date of birth"}, {"", "", "", "Enter the date of death"}} {
		d := Death{Day: c.d, Month: c.m, Year: c.y, Informant: "Daughter, by phone"}
		if got := d.Check(regNow, "1970-03-12")["death-day"]; !strings.Contains(got, c.err) || (c.err == "") != (got == "") {
			t.Errorf("%s/%s/%s: %q, want %q", c.d, c.m, c.y, got, c.err)
		}
	}
	if errs := (&Death{Day: "30", Month: "11", Year: "2026"}).Check(regNow, ""); errs["informant"] == "" {
		t.Error("a death without who told the practice was accepted")
	}
	d := Death{Day: "30", Month: "11", Year: "2026", Place: "St James's Hospital, Leeds", Informant: " Leeds Teaching Hospitals "}
	d.Check(regNow, "")
	appts := []fhir.Resource{
		{"resourceType": "Appointment", "id": "a1", "status": "booked", "meta": map[string]any{"versionId": "1"}},
		{"resourceType": "Appointment", "id": "a2", "status": "fulfilled"},
	}
	b := DeathBundle(patient, d, appts)
	entries := b["entry"].([]any)
	if len(entries) != 2 {
		t.Fatalf("%d entries, want the patient and the one booked appointment", len(entries))
	}
	p := fhir.Resource(entries[0].(map[string]any)["resource"].(map[string]any))
	if p["deceasedDateTime"] != "2026-11-30" || p["deceasedBoolean"] != nil || !BannerOf(p, regNow).Deceased {
		t.Errorf("patient %v", p)
	}
	if js, _ := json.Marshal(p["extension"]); !strings.Contains(string(js), `{"url":"informant","valueString":"Leeds Teaching Hospitals"},{"url":"place","valueString":"St James's Hospital, Leeds"}`) {
		t.Errorf("death notification %s", js)
	}
	a := entries[1].(map[string]any)
	if a["resource"].(map[string]any)["status"] != "cancelled" || a["request"].(map[string]any)["ifMatch"] != `W/"1"` {
		t.Errorf("appointment %v", a)
	}
}

func TestDemographicsParsers(t *testing.T) {
	for in, want := range map[string]string{"ls14ap": "LS1 4AP", " LS1  4AP ": "LS1 4AP", "SW1A 1AA": "SW1A 1AA", "m11aa": "M1 1AA", "gir0aa": "GIR 0AA",
		"LS1": "", "LS1 4A": "", "1LS 4AP": "", "": "", "LS1 4AP X": ""} {
		got, ok := NormalizePostcode(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePostcode(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{"0113 496 0000": "01134960000", "(0113) 4960000": "01134960000", "+44 7700 900982": "07700900982",
		"+44 (0)7700 900982": "07700900982", "0044 20 7946 0000": "02079460000", "07700-900-982": "07700900982",
		"12345": "", "+1 212 555 0100": "", "0113 496 0000 ext 2": "", "00000000000": "", "": ""} {
		got, ok := NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{"01134960000": "0113 496 0000", "07700900982": "07700 900982", "02079460000": "020 7946 0000"} {
		if got := FormatPhone(in); got != want {
			t.Errorf("FormatPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseDateInput(f *testing.F) {
	for _, s := range [][3]string{{"12", "3", "1970"}, {"31", "2", "2000"}, {"1", "mar", "1999"}, {"", "", ""}, {"-1", "13", "99999"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, d, m, y string) {
		got, msg := ParseDateInput(d, m, y, "date of birth", regNow)
		if (msg == "") == got.IsZero() {
			t.Fatalf("%q %q %q: %v with message %q", d, m, y, got, msg)
		}
		if msg == "" && (got.Year() < 1890 || got.Year() > 9999) {
			t.Fatalf("%q %q %q: accepted %v", d, m, y, got)
		}
	})
}

func FuzzNormalizePostcode(f *testing.F) {
	for _, s := range []string{"LS1 4AP", "ls14ap", "GIR 0AA", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pc, ok := NormalizePostcode(s)
		if !ok {
			return
		}
		again, ok2 := NormalizePostcode(pc)
		if !ok2 || again != pc || strings.Count(pc, " ") != 1 {
			t.Fatalf("%q gave %q, which gives %q %v", s, pc, again, ok2)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0113 496 0000", "+44 7700 900982", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := NormalizePhone(s)
		if !ok {
			return
		}
		again, ok2 := NormalizePhone(FormatPhone(n))
		if !ok2 || again != n || n[0] != '0' {
			t.Fatalf("%q gave %q, which gives %q %v", s, n, again, ok2)
		}
	})
}

// TestDemographicsRoundTrip: what PatientOf writes, DemographicsOf reads
// back (the change-details form starts from it).
func TestDemographicsRoundTrip(t *testing.T) {
	r := goodRegistration()
	r.Phone, r.EmailConsent = "0113 496 0000", true
	if errs := r.Check(regNow, []Ref{regGP}); len(errs) > 0 {
		t.Fatal(errs)
	}
	got := DemographicsOf(PatientOf(nil, r.Demographics, regPractice, regGP, ""))
	if errs := got.Check(regNow); len(errs) > 0 {
		t.Fatalf("read back, the details do not check: %v", errs)
	}
	want := r.Demographics
	if got != want {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	r.NoFixedAbode, r.Address1, r.Town, r.Postcode = true, "", "", ""
	r.Check(regNow, []Ref{regGP})
	if got := DemographicsOf(PatientOf(nil, r.Demographics, regPractice, regGP, "")); !got.NoFixedAbode || got.Address1 != "" {
		t.Errorf("no fixed abode read back as %+v", got)
	}
}

func TestRestrictedAddress(t *testing.T) {
	r := goodRegistration()
	r.Check(regNow, []Ref{regGP})
	p := PatientOf(nil, r.Demographics, regPractice, regGP, "")
	if b := BannerOf(p, regNow); RestrictedAddress(p) || b.Postcode != "LS2 7AB" {
		t.Fatalf("an unrestricted patient: %v %+v", RestrictedAddress(p), b)
	}
	for code, restricted := range map[string]bool{"U": false, "R": true, "V": true} {
		p["meta"] = map[string]any{"security": []any{map[string]any{"system": ConfidentialitySystem, "code": code}}}
		b := BannerOf(p, regNow)
		if RestrictedAddress(p) != restricted || (b.Postcode == "") != restricted || strings.Contains(b.Address, "Park Lane") == restricted {
			t.Errorf("%s: restricted %v, banner address %q %q", code, RestrictedAddress(p), b.Address, b.Postcode)
		}
	}
}
