package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

var entriesNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestParseDay(t *testing.T) {
	for _, c := range []struct {
		d, m, y  string
		optional bool
		want     string
		err      bool
	}{
		{"27", "3", "2025", false, "2025-03-27", false},
		{" 1 ", "12", "2026", false, "2026-12-01", false},
		{"", "", "", true, "", false},
		{"", "", "", false, "", true},
		{"31", "2", "2025", false, "", true},
		{"x", "2", "2025", false, "", true},
		{"1", "13", "2025", false, "", true},
		{"1", "1", "25", false, "", true},
		{"1", "", "2025", true, "", true},
	} {
		got, msg := ParseDay(c.d, c.m, c.y, "the date", c.optional)
		if got != c.want || (msg != "") != c.err {
			t.Errorf("ParseDay(%q, %q, %q) = %q, %q", c.d, c.m, c.y, got, msg)
		}
	}
}

func TestNewProblemCheck(t *testing.T) {
	code := Concept{"38341003", "Hypertension"}
	for _, c := range []struct {
		name   string
		p      NewProblem
		fields []string
	}{
		{"active", NewProblem{Code: code, Significance: "major", Status: "active", Onset: "2020-01-02"}, nil},
		{"past", NewProblem{Code: code, Significance: "minor", Status: "past", Onset: "2020-01-02", Ended: "2021-01-02"}, nil},
		{"no code", NewProblem{Significance: "minor", Status: "active"}, []string{"code"}},
		{"no significance", NewProblem{Code: code, Status: "active"}, []string{"significance"}},
		{"past without end", NewProblem{Code: code, Significance: "minor", Status: "past"}, []string{"ended-day"}},
		{"ends before it began", NewProblem{Code: code, Significance: "minor", Status: "past", Onset: "2021-01-02", Ended: "2020-01-02"}, []string{"ended-day"}},
		{"begins in the future", NewProblem{Code: code, Significance: "minor", Status: "active", Onset: "2027-01-01"}, []string{"onset-day"}},
	} {
		errs := c.p.Check(entriesNow)
		if len(errs) != len(c.fields) {
			t.Errorf("%s: errors %v, want %v", c.name, errs, c.fields)
		}
		for _, f := range c.fields {
			if errs[f] == "" {
				t.Errorf("%s: no error for %s", c.name, f)
			}
		}
	}
	cond := NewProblem{Code: code, Significance: "minor", Status: "active", Onset: "2020-01-02"}.Resource("p1", Ref{"Practitioner/dr", "Dr A"}, entriesNow)
	cond["id"] = "c1"
	if significant(cond) || clinicalStatus(cond) != "active" {
		t.Errorf("new problem: %v", cond)
	}
	major := SetProblemSignificance(cond, "major")
	if !significant(major) || significant(cond) {
		t.Error("SetProblemSignificance: not major, or changed its argument")
	}
	if n := len(list(major, "extension")); n != 2 {
		t.Errorf("significance twice: %d extensions", n)
	}
	ended := EndProblem(major, "2026-11-30")
	if clinicalStatus(ended) != "resolved" || ended["abatementDateTime"] != "2026-11-30" {
		t.Errorf("EndProblem: %v", ended)
	}
	enc := fhir.Resource{"resourceType": "Encounter", "id": "e1", "status": "finished", "period": map[string]any{"start": "2026-11-01T09:00:00Z"},
		"diagnosis": []any{map[string]any{"condition": map[string]any{"reference": "Condition/c1"}}}}
	minor := NewProblem{Code: Concept{"1", "Eczema"}, Significance: "minor", Status: "active", Onset: "2024-01-01"}.Resource("p1", Ref{}, entriesNow)
	minor["id"] = "c2"
	past := ended
	past["id"] = "c3"
	major["id"] = "c4"
	err := cloneResource(minor)
	err["id"] = "c5"
	MarkEnteredInError(err)
	rows := ProblemList([]fhir.Resource{err, past, minor, cond, major}, []fhir.Resource{enc})
	var order []string
	for _, r := range rows {
		order = append(order, r.ID)
	}
	want := []string{"c4", "c2", "c1", "c3", "c5"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	for _, r := range rows {
		if r.ID == "c1" && (len(r.Consultations) != 1 || r.Consultations[0].ID != "e1") {
			t.Errorf("linked consultations of c1: %v", r.Consultations)
		}
	}
}

func TestNewImmunisationCheck(t *testing.T) {
	flu := Concept{"1181000221105", "Influenza vaccine"}
	for _, c := range []struct {
		name   string
		im     NewImmunisation
		fields []string
	}{
		{"given", NewImmunisation{Vaccine: flu, Given: true, Date: "2026-11-30", Batch: "AB123", Expiry: "2027-03-01", Route: "IM", Site: "LA", Dose: 1, Consent: "patient"}, nil},
		{"declined", NewImmunisation{Vaccine: flu, Date: "2026-11-30"}, nil},
		{"given without batch", NewImmunisation{Vaccine: flu, Given: true, Date: "2026-11-30", Route: "IM", Consent: "patient"}, []string{"batch"}},
		{"expired", NewImmunisation{Vaccine: flu, Given: true, Date: "2026-11-30", Batch: "A", Expiry: "2026-11-01", Route: "IM", Consent: "patient"}, []string{"expiry-day"}},
		{"no consent", NewImmunisation{Vaccine: flu, Given: true, Date: "2026-11-30", Batch: "A", Route: "IM"}, []string{"consent"}},
		{"future", NewImmunisation{Vaccine: flu, Date: "2026-12-30"}, []string{"date-day"}},
		{"no vaccine", NewImmunisation{Date: "2026-11-30"}, []string{"vaccine"}},
	} {
		errs := c.im.Check(entriesNow)
		if len(errs) != len(c.fields) {
			t.Errorf("%s: errors %v, want %v", c.name, errs, c.fields)
		}
		for _, f := range c.fields {
			if errs[f] == "" {
				t.Errorf("%s: no error for %s", c.name, f)
			}
		}
	}
	declined := NewImmunisation{Vaccine: flu, Date: "2026-11-30", DeclinedNote: "Does not want it"}.Resource("p1", Ref{}, entriesNow)
	if declined["status"] != "not-done" || conceptCode(declined["statusReason"]) != "PATOBJ" {
		t.Errorf("declined: %v", declined)
	}
	rows := ImmunisationRows([]fhir.Resource{declined})
	if len(rows) != 1 || rows[0].Given || rows[0].Detail != "Not given: declined, Does not want it" {
		t.Errorf("rows: %+v", rows)
	}
}

func TestAlerts(t *testing.T) {
	for _, c := range []struct {
		a      NewAlert
		fields []string
	}{
		{NewAlert{Kind: "staff-safety"}, nil},
		{NewAlert{Kind: "communication", Detail: "Polish interpreter"}, nil},
		{NewAlert{Kind: "communication"}, []string{"detail"}},
		{NewAlert{Kind: "other"}, []string{"detail"}},
		{NewAlert{Kind: "nonsense"}, []string{"kind"}},
	} {
		errs := c.a.Check()
		if len(errs) != len(c.fields) {
			t.Errorf("%+v: errors %v, want %v", c.a, errs, c.fields)
		}
	}
	f := NewAlert{Kind: "communication", Detail: "Polish interpreter"}.Resource("p1", Ref{"Practitioner/dr", "Dr A"}, entriesNow)
	if conceptText(f["code"]) != "Communication needs (interpreter, language): Polish interpreter" || f["status"] != "active" {
		t.Errorf("alert: %v", f)
	}
	ended := EndAlert(f, entriesNow)
	if ended["status"] != "inactive" || str(mapOf(ended["period"]), "end") == "" || str(mapOf(f["period"]), "end") != "" {
		t.Errorf("EndAlert: %v (argument %v)", ended, f)
	}
	banner := BannerRecordOf(nil, []fhir.Resource{f, ended}, true, false)
	if len(banner.Alerts) != 1 || banner.Allergies.Text() != "Allergies not recorded" {
		t.Errorf("banner: %+v", banner)
	}
}

func TestRetractEntry(t *testing.T) {
	for _, c := range []struct {
		typ  string
		ok   bool
		test func(fhir.Resource) bool
	}{
		{"Flag", true, func(r fhir.Resource) bool { return r["status"] == "entered-in-error" }},
		{"Condition", true, func(r fhir.Resource) bool { return verification(r) == "entered-in-error" && r["clinicalStatus"] == nil }},
		{"AllergyIntolerance", true, func(r fhir.Resource) bool { return verification(r) == "entered-in-error" && r["clinicalStatus"] == nil }},
		{"Immunization", true, func(r fhir.Resource) bool { return r["status"] == "entered-in-error" }},
		{"MedicationAdministration", true, func(r fhir.Resource) bool { return r["status"] == "entered-in-error" }},
		{"Patient", false, nil},
	} {
		res := fhir.Resource{"resourceType": c.typ, "status": "active", "clinicalStatus": map[string]any{"coding": []any{map[string]any{"code": "active"}}}}
		out, ok := RetractEntry(res)
		if ok != c.ok || ok && !c.test(out) {
			t.Errorf("%s: %v %v", c.typ, ok, out)
		}
		if res["status"] != "active" {
			t.Errorf("%s: changed its argument", c.typ)
		}
	}
	for reason, ok := range map[string]bool{"": false, "   ": false, "abc": true, "Wrong patient": true} {
		if (CheckRetractReason(reason) == "") != ok {
			t.Errorf("CheckRetractReason(%q)", reason)
		}
	}
	for reason, ok := range map[string]bool{"": false, "ok": false, "Seeing the patient today": true} {
		if (CheckBreakGlassReason(reason) == "") != ok {
			t.Errorf("CheckBreakGlassReason(%q)", reason)
		}
	}
}

// FuzzParseDay: any input gives a real date (2006-01-02) and no message,
// or no date and a message (or nothing at all, for an optional date left
// empty).
func FuzzParseDay(f *testing.F) {
	f.Add("27", "3", "2025", false)
	f.Add("", "", "", true)
	f.Add("31", "2", "2025", false)
	f.Add("1e3", "-1", "99999", false)
	f.Fuzz(func(t *testing.T, d, m, y string, optional bool) {
		got, msg := ParseDay(d, m, y, "the date", optional)
		switch {
		case got != "" && msg != "":
			t.Fatalf("both a date %q and a message %q", got, msg)
		case got != "":
			if _, err := time.Parse("2006-01-02", got); err != nil {
				t.Fatalf("%q is not a date", got)
			}
		case msg == "" && !(optional && strings.TrimSpace(d) == "" && strings.TrimSpace(m) == "" && strings.TrimSpace(y) == ""):
			t.Fatalf("no date and no message for %q %q %q", d, m, y)
		}
	})
}
