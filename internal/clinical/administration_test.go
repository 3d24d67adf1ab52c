package clinical

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/validate"
)

// b12 is hydroxocobalamin injection as dm+d gives it: a pack PADM.
var b12 = Medicine{Code: "90321999999103", Name: "Hydroxocobalamin 1mg/1ml solution for injection ampoules", VTM: "90311999999109",
	Ingredients: []string{"409258004"}, Unit: "ampoule", Kind: "VMP", PersonallyAdministered: true}

func goodAdministration() Administration {
	return Administration{Medicine: b12, Date: "2026-06-10", Dose: "1", Route: "78421000", Site: "LG", Batch: "AB1234", Expiry: "2027-01-31"}
}

func TestAdministrationCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Administration)
		field  string // "" for none
		want   string
	}{
		{"valid", func(*Administration) {}, "", ""},
		{"no product", func(a *Administration) { a.Medicine = Medicine{} }, "medicine", "Choose the medicine"},
		{"inactive product", func(a *Administration) { a.Medicine.Inactive = true }, "medicine", "no longer a current dm+d product"},
		{"tomorrow", func(a *Administration) { a.Date = "2026-06-11" }, "date-day", "today or in the past"},
		{"no dose", func(a *Administration) { a.Dose = " " }, "dose", "Enter the dose"},
		{"dose not a number", func(a *Administration) { a.Dose = "one" }, "dose", "must be a number"},
		{"dose nothing", func(a *Administration) { a.Dose = "0" }, "dose", "greater than 0"},
		{"half a ml", func(a *Administration) { a.Dose = "0.5" }, "", ""},
		{"no route", func(a *Administration) { a.Route = "" }, "route", "Select the route"},
		{"unknown route", func(a *Administration) { a.Route = "IV" }, "route", "Select the route"},
		{"unknown site", func(a *Administration) { a.Site = "XX" }, "site", "Select the site"},
		{"other site in words", func(a *Administration) { a.Site, a.SiteText = "other", "Left knee" }, "", ""},
		{"other site without words", func(a *Administration) { a.Site = "other" }, "site-text", "Left knee"},
		{"injection without batch", func(a *Administration) { a.Batch = "" }, "batch", "batch number"},
		{"implant without batch", func(a *Administration) { a.Route, a.Batch = "263887005", "" }, "batch", "batch number"},
		{"oral without batch", func(a *Administration) { a.Route, a.Batch, a.Site = "26643006", "", "" }, "", ""},
		{"expired when given", func(a *Administration) { a.Expiry = "2026-06-09" }, "expiry-day", "expired"},
		{"no site", func(a *Administration) { a.Site = "" }, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := goodAdministration()
			tc.change(&a)
			errs := a.Check(rxNow)
			if tc.field == "" {
				if len(errs) > 0 {
					t.Fatalf("errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[tc.field], tc.want) {
				t.Errorf("got %v, want %s: %q", errs, tc.field, tc.want)
			}
		})
	}
}

func TestAdministrationResource(t *testing.T) {
	a := goodAdministration()
	a.Encounter, a.Request, a.Note = "Encounter/e1", "MedicationRequest/r1", "Tolerated well"
	r := roundTrip(t, a.Resource("p1", Ref{Reference: "Practitioner/n1", Display: "Nurse Ann"}, rxNow))
	if issues := validate.Resource(r); fhir.HasErrors(issues) {
		t.Fatalf("not valid against R4 and UKCore-MedicationAdministration: %v", issues)
	}
	for path, want := range map[string]any{
		"status": "completed", "effectiveDateTime": "2026-06-10T11:00:00+01:00",
		"subject": map[string]any{"reference": "Patient/p1"}, "context": map[string]any{"reference": "Encounter/e1"},
		"request": map[string]any{"reference": "MedicationRequest/r1"},
	} {
		if g, _ := json.Marshal(r[path]); string(g) != jsonOf(want) {
			t.Errorf("%s = %s, want %s", path, g, jsonOf(want))
		}
	}
	if c := codesOf(r["medicationCodeableConcept"]); len(c) != 1 || c[0] != b12.Code {
		t.Errorf("medication: %v", r["medicationCodeableConcept"])
	}
	dosage := mapOf(r["dosage"])
	if str(dosage, "text") != "1 ampoule, intramuscular, left buttock (gluteal)" || conceptCode(dosage["route"]) != "78421000" || conceptCode(dosage["site"]) != "LG" ||
		floatOf(mapOf(dosage["dose"])["value"]) != 1 || str(mapOf(dosage["dose"]), "unit") != "ampoule" {
		t.Errorf("dosage: %v", dosage)
	}
	// Every route and site choice has its code system's display.
	for _, c := range AdministrationRoutes {
		if routeDisplays[c.Key] == "" {
			t.Errorf("route %s has no display", c.Key)
		}
	}
	for _, c := range AdministrationSites {
		if siteDisplays[c.Key] == "" && c.Key != "other" {
			t.Errorf("site %s has no display", c.Key)
		}
	}
	if conceptText(dosage["site"]) != "Left buttock (gluteal)" || str(list(mapOf(dosage["site"]), "coding")[0], "display") != "left gluteus medius" {
		t.Errorf("site: %v", dosage["site"])
	}
	if lot, exp := BatchOf(r); lot != "AB1234" || exp != "2027-01-31" {
		t.Errorf("batch %q %q", lot, exp)
	}
	if !personallyAdministered(r) {
		t.Error("a PADM product's dose is not marked claimable")
	}
	if str(list(r, "performer")[0], "actor") != "" || refDisplay(list(r, "performer")[0]["actor"]) != "Nurse Ann" {
		t.Errorf("performer: %v", r["performer"])
	}
	// A dose recorded for an earlier day carries the day; not PADM.
	a = goodAdministration()
	a.Date, a.Medicine.PersonallyAdministered, a.Batch, a.Expiry = "2026-06-01", false, "", ""
	r = roundTrip(t, a.Resource("p1", Ref{Reference: "Practitioner/n1"}, rxNow))
	if str(r, "effectiveDateTime") != "2026-06-01" || personallyAdministered(r) || r["context"] != nil {
		t.Errorf("earlier day: %v", r)
	}
	if lot, _ := BatchOf(r); lot != "" {
		t.Errorf("batch %q", lot)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// given is a stored administration of m on when.
func given(t *testing.T, id string, m Medicine, when, dose string, status string) fhir.Resource {
	a := goodAdministration()
	a.Medicine, a.Date, a.Dose = m, when, dose
	r := roundTrip(t, a.Resource("p1", Ref{Reference: "Practitioner/n1"}, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	r["id"], r["status"] = id, status
	return r
}

// TestAdministrationInChecks: a depot given at the practice is current
// for AdministrationEffectDays: prescribing the same product warns of
// duplicate therapy, and an allergy to its ingredient is checked as for
// any medicine; a dose given under the authorisation being issued is not
// a duplicate of it.
func TestAdministrationInChecks(t *testing.T) {
	now := rxNow
	for _, tc := range []struct {
		name, when, status string
		dup                bool
	}{
		{"given last week", "2026-06-03", "completed", true},
		{"given 13 weeks ago", now.AddDate(0, 0, -91).Format("2006-01-02"), "completed", true},
		{"given 15 weeks ago", now.AddDate(0, 0, -105).Format("2006-01-02"), "completed", false},
		{"entered in error", "2026-06-03", "entered-in-error", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := SafetyInput{Medicine: b12, Dose: "1 ampoule every 3 months", Quantity: 1, Days: 90, Now: now,
				Medications: []fhir.Resource{given(t, "a1", b12, tc.when, "1", tc.status)}, Known: map[string]Medicine{b12.Code: b12}}
			ws := SafetyChecks(in, LocalInteractions{})
			got := false
			for _, w := range ws {
				if w.Kind == "duplicate" && strings.Contains(w.Text, "given at the practice on") {
					got = true
				}
			}
			if got != tc.dup {
				t.Errorf("duplicate warning %v, want %v: %v", got, tc.dup, ws)
			}
		})
	}
	// Under its authorisation: the issue is not a duplicate of the dose.
	dose := given(t, "a1", b12, "2026-06-03", "1", "completed")
	dose["request"] = map[string]any{"reference": "MedicationRequest/r1"}
	if left := WithoutCourse([]fhir.Resource{dose}, "MedicationRequest/r1"); len(left) != 0 {
		t.Errorf("the dose given under r1 is kept: %v", left)
	}
}

func TestAdministeredUnder(t *testing.T) {
	auth := func(id, code string) fhir.Resource {
		return fhir.Resource{"resourceType": "MedicationRequest", "id": id, "status": "active", "intent": "plan",
			"courseOfTherapyType":       codeable(CourseSystem, "continuous", "", ""),
			"medicationCodeableConcept": codeable(SNOMED, code, "", "")}
	}
	for _, tc := range []struct {
		name string
		meds []fhir.Resource
		want string
	}{
		{"none", nil, ""},
		{"one", []fhir.Resource{auth("r1", b12.Code), auth("r2", "323509004")}, "MedicationRequest/r1"},
		{"two: no guess", []fhir.Resource{auth("r1", b12.Code), auth("r2", b12.Code)}, ""},
	} {
		if got := AdministeredUnder(tc.meds, b12.Code, rxNow); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestAdministrationRows(t *testing.T) {
	old := given(t, "a0", b12, "2025-05-01", "1", "completed")
	a1 := given(t, "a1", b12, "2026-03-01", "1", "completed")
	a2 := given(t, "a2", b12, "2026-06-01", "1", "completed")
	gone := given(t, "a3", b12, "2026-06-02", "1", "entered-in-error")
	rows := AdministrationRows([]fhir.Resource{a1, old, a2, gone}, rxNow)
	if len(rows) != 2 || rows[0].ID != "a2" || rows[1].ID != "a1" {
		t.Fatalf("rows: %+v", rows)
	}
	if !rows[0].Claimable || !rows[0].Current || rows[1].Current || !strings.HasPrefix(rows[0].Batch, "AB1234, expires") || rows[0].Date != "01-Jun-2026" {
		t.Errorf("row: %+v %+v", rows[0], rows[1])
	}
}

func TestPAClaim(t *testing.T) {
	from, to, msg := ParseClaimMonth("2026-05", rxNow)
	if msg != "" {
		t.Fatal(msg)
	}
	notPADM := b12
	notPADM.Code, notPADM.Name, notPADM.PersonallyAdministered = "323509004", "Amoxicillin 500mg capsules", false
	may1 := given(t, "m1", b12, "2026-05-01", "1", "completed")
	may31 := given(t, "m2", b12, "2026-05-31", "2", "completed")
	june := given(t, "m3", b12, "2026-06-01", "1", "completed")
	april := given(t, "m4", b12, "2026-04-30", "1", "completed")
	wrong := given(t, "m5", b12, "2026-05-10", "1", "entered-in-error")
	other := given(t, "m6", notPADM, "2026-05-10", "1", "completed")
	vaccine := fhir.Resource{"resourceType": "Immunization", "id": "i1", "status": "completed", "occurrenceDateTime": "2026-05-12",
		"vaccineCode": codeable(SNOMED, "90999999999100", "A PADM vaccine", "")}
	vaccineNot := fhir.Resource{"resourceType": "Immunization", "id": "i2", "status": "completed", "occurrenceDateTime": "2026-05-12",
		"vaccineCode": codeable(SNOMED, "1119349007", "COVID-19 mRNA vaccine", "")}
	known := map[string]Medicine{"90999999999100": {Code: "90999999999100", Name: "A PADM vaccine", Unit: "dose", PersonallyAdministered: true}}
	// may1 passed twice (a search read twice) counts once.
	c := PAClaimFor("2026-05", from, to, []fhir.Resource{may1, may31, june, april, wrong, other, may1}, []fhir.Resource{vaccine, vaccineNot, vaccine}, known)
	if c.Items != 3 || len(c.Lines) != 2 {
		t.Fatalf("claim: %+v", c)
	}
	l := c.Lines[0] // sorted by name: "A PADM vaccine", then hydroxocobalamin
	if l.Name != "A PADM vaccine" || l.Items != 1 || l.Quantity != 1 {
		t.Errorf("vaccine line: %+v", l)
	}
	l = c.Lines[1]
	if l.Code != b12.Code || l.Items != 2 || l.Quantity != 3 || l.QuantityText() != "3 ampoules" {
		t.Errorf("b12 line: %+v", l)
	}
	csv := c.CSV()
	if len(csv) != 4 || strings.Join(csv[2], ",") != "2026-05,90321999999103,Hydroxocobalamin 1mg/1ml solution for injection ampoules,2,3,ampoule" || csv[3][3] != "3" {
		t.Errorf("csv: %v", csv)
	}
	for _, bad := range []string{"", "2026-13", "May 2026", "2026-07"} {
		if _, _, msg := ParseClaimMonth(bad, rxNow); msg == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestAdministrationWarnings: recording a dose checks the patient's
// allergies (an allergy to its ingredient) and what is current, not a
// prescription's quantity.
func TestAdministrationWarnings(t *testing.T) {
	allergy := fhir.Resource{"resourceType": "AllergyIntolerance", "clinicalStatus": codeable("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "", ""),
		"code": codeable(SNOMED, "409258004", "Hydroxocobalamin", "")}
	in := SafetyInput{Medicine: b12, Now: rxNow, Allergies: []fhir.Resource{allergy}, Quantity: 100, Days: 1, Dose: "1 ampoule",
		Medications: []fhir.Resource{given(t, "a1", b12, "2026-05-20", "1", "completed")}, Known: map[string]Medicine{b12.Code: b12}}
	kinds := map[string]bool{}
	for _, w := range AdministrationWarnings(in, LocalInteractions{}) {
		kinds[w.Kind] = true
	}
	if !kinds["allergy"] || !kinds["duplicate"] || kinds["dose"] {
		t.Errorf("warnings: %v", kinds)
	}
}
