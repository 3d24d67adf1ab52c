package clinical

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	methadone     = Medicine{Code: "90171999999104", Name: "Methadone 1mg/ml oral solution sugar free", Unit: "ml", Schedule: 2}
	buprenorphine = Medicine{Code: "90181999999101", Name: "Buprenorphine 2mg sublingual tablets", Unit: "tablet", Schedule: 3}
	diazepam      = Medicine{Code: "90081999999102", Name: "Diazepam 2mg tablets", Unit: "tablet", Schedule: 4}
	// Made-up codes: the rule goes by the schedule and the moiety.
	buprenorphineNaloxone = Medicine{Code: "1", Name: "Suboxone 2mg/0.5mg sublingual tablets", Moiety: "Buprenorphine + Naloxone", Unit: "tablet", Schedule: 3}
	pregabalin            = Medicine{Code: "2", Name: "Pregabalin 75mg capsules", Moiety: "Pregabalin", Unit: "capsule", Schedule: 3}
	temazepam             = Medicine{Code: "3", Name: "Temazepam 10mg tablets", Moiety: "Temazepam", Unit: "tablet", Schedule: 3}
	lorazepam             = Medicine{Code: "4", Name: "Lorazepam 1mg tablets", Moiety: "Lorazepam", Unit: "tablet", Schedule: 4}
)

// instalmentRx is a valid instalment prescription: 60 ml of methadone a
// day for 14 days from Friday 12 June 2026 (rxNow is Wednesday 10 June),
// collected Monday to Saturday, supervised.
func instalmentRx() Prescription {
	return Prescription{Medicine: methadone, Dose: "Take 60ml once a day", Quantity: "840", Days: "14", Course: InstalmentCourse,
		Instalments: Instalments{Amount: "60", Interval: "days", Days: []string{"mon", "tue", "wed", "thu", "fri", "sat"}, Start: "2026-06-12", Supervised: "yes"}}
}

func TestInstalmentCheck(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*Prescription)
		field  string // "" when valid
		says   string
	}{
		"valid": {func(*Prescription) {}, "", ""},
		"daily buprenorphine": {func(p *Prescription) {
			p.Medicine, p.Quantity, p.Instalments.Amount, p.Instalments.Interval = buprenorphine, "28", "2", "daily"
		}, "", ""},
		"starts today": {func(p *Prescription) { p.Instalments.Start, p.Instalments.Days = "2026-06-10", []string{"wed"} }, "", ""},
		"diazepam (schedule 4)": {func(p *Prescription) {
			p.Medicine, p.Dose, p.Quantity, p.Instalments.Amount = diazepam, "Take two tablets once a day", "56", "4"
		}, "", ""},
		"buprenorphine by its moiety": {func(p *Prescription) {
			p.Medicine, p.Quantity, p.Instalments.Amount = buprenorphineNaloxone, "28", "2"
		}, "", ""},
		"pregabalin (schedule 3)": {func(p *Prescription) { p.Medicine = pregabalin }, "course", "only for Schedule 2"},
		"temazepam (schedule 3)":  {func(p *Prescription) { p.Medicine = temazepam }, "course", "only for Schedule 2"},
		"other schedule 4":        {func(p *Prescription) { p.Medicine = lorazepam }, "course", "only for Schedule 2"},
		"not a controlled drug":   {func(p *Prescription) { p.Medicine = med(amoxicillin) }, "course", "only for Schedule 2"},
		"15 days":                 {func(p *Prescription) { p.Days, p.Quantity = "15", "900" }, "days", "1 to 14 days"},
		"total not days×amount":   {func(p *Prescription) { p.Quantity = "800" }, "quantity", "14 days of 60 is 840"},
		"no amount":               {func(p *Prescription) { p.Instalments.Amount = "" }, "instalment-amount", "each day's instalment"},
		"fractional amount":       {func(p *Prescription) { p.Instalments.Amount = "2.5" }, "instalment-amount", "whole number"},
		"no interval":             {func(p *Prescription) { p.Instalments.Interval = "" }, "instalment-interval", "when the patient collects"},
		"no collection days":      {func(p *Prescription) { p.Instalments.Days = nil }, "instalment-days", "Choose the days"},
		"unknown day":             {func(p *Prescription) { p.Instalments.Days = []string{"fri", "xyz"} }, "instalment-days", "from the list"},
		"first day closed":        {func(p *Prescription) { p.Instalments.Days = []string{"mon", "tue"} }, "instalment-days", "Friday"},
		"no start":                {func(p *Prescription) { p.Instalments.Start = "" }, "instalment-start", "date of the first"},
		"start in the past":       {func(p *Prescription) { p.Instalments.Start = "2026-06-09" }, "instalment-start", "past"},
		"start after 28 days":     {func(p *Prescription) { p.Instalments.Start = "2026-07-09" }, "instalment-start", "28 days"},
		"supervision not said":    {func(p *Prescription) { p.Instalments.Supervised = "" }, "instalment-supervised", "supervision"},
		"delayed":                 {func(p *Prescription) { p.Delayed = true }, "delayed", "acute"},
		"as directed":             {func(p *Prescription) { p.Dose = "As directed" }, "dose", "as directed"},
	} {
		p := instalmentRx()
		tc.change(&p)
		errs := p.Check(rxNow)
		if tc.field == "" {
			if len(errs) > 0 {
				t.Errorf("%s: refused %v", name, errs)
			}
			continue
		}
		if !strings.Contains(errs[tc.field], tc.says) {
			t.Errorf("%s: %s error %q, want it to say %q (all: %v)", name, tc.field, errs[tc.field], tc.says, errs)
		}
	}
}

func TestCollections(t *testing.T) {
	fri := time.Date(2026, 6, 12, 0, 0, 0, 0, London)
	for name, tc := range map[string]struct {
		days     int
		interval string
		on       []string
		want     string // date:days of each collection
	}{
		"daily":                   {3, "daily", nil, "12:1 13:1 14:1"},
		"closed on Sunday":        {7, "days", []string{"mon", "tue", "wed", "thu", "fri", "sat"}, "12:1 13:2 15:1 16:1 17:1 18:1"},
		"closed at the weekend":   {4, "days", []string{"mon", "tue", "wed", "thu", "fri"}, "12:3 15:1"},
		"collected twice a week":  {7, "days", []string{"mon", "fri"}, "12:3 15:4"},
		"ends on a closed day":    {2, "days", []string{"fri"}, "12:2"},
		"14 days, all handed out": {14, "days", []string{"mon", "wed", "fri"}, "12:3 15:2 17:2 19:3 22:2 24:2"},
	} {
		var got []string
		total := 0
		for _, c := range Collections(fri, tc.days, tc.interval, tc.on) {
			got = append(got, c.Date.Format("2")+":"+strconv.Itoa(c.Days))
			total += c.Days
		}
		if strings.Join(got, " ") != tc.want || total != tc.days {
			t.Errorf("%s: %v (total %d), want %s", name, got, total, tc.want)
		}
	}
}

func TestInstalmentPrescription(t *testing.T) {
	gp := Ref{Reference: "PractitionerRole/r", Display: "Dr A"}
	p := instalmentRx()
	auth := p.Authorisation("pt", gp, 1, nil, rxNow)
	in, ok := InstalmentsOf(auth)
	if !ok || in.Amount != "60" || in.Interval != "days" || len(in.Days) != 6 || in.Start != "2026-06-12" || in.Supervised != "yes" {
		t.Fatalf("instalments read back %+v", in)
	}
	dr := auth["dispenseRequest"].(map[string]any)
	if iv := dr["dispenseInterval"].(map[string]any); iv["value"] != 1 || iv["code"] != "d" {
		t.Errorf("dispenseInterval %v", iv)
	}
	if q := dr["quantity"].(map[string]any); q["value"] != 840 || q["unit"] != "ml" {
		t.Errorf("the total %v", q)
	}
	if ScheduleOfPrescription(auth) != 2 {
		t.Error("the controlled-drug extension is missing")
	}
	issue := IssueOf(auth, "urn:uuid:a", gp, rxNow)
	if !IsInstalment(issue) {
		t.Fatal("the issue lost its instalments")
	}
	if iv := mapOf(mapOf(issue["dispenseRequest"])["dispenseInterval"]); intOf(iv["value"]) != 1 {
		t.Errorf("the issue's dispenseInterval %v", iv)
	}
	dirs := InstalmentDirections(issue)
	want := []string{"Instalments: 60 ml daily for 14 days, starting Friday 12/06/2026",
		"Collect on Monday, Tuesday, Wednesday, Thursday, Friday and Saturday; instalments due on days the pharmacy is closed to be dispensed on the day before the closure",
		"Supervised consumption: each dose to be taken under the pharmacist's supervision"}
	if strings.Join(dirs, "|") != strings.Join(want, "|") {
		t.Errorf("directions\n%q\nwant\n%q", dirs, want)
	}
	if !strings.Contains(str(list(issue, "note")[0], "text"), "Supervised consumption") {
		t.Errorf("the note %v", issue["note"])
	}
	tok, _ := TokenOf(issue)
	if len(tok.Instalments) != 3 || tok.QuantityWords != "eight hundred and forty ml" {
		t.Errorf("token %+v", tok)
	}
	daily := instalmentRx()
	daily.Instalments.Interval, daily.Instalments.Supervised = "daily", "no"
	d := InstalmentDirections(daily.Authorisation("pt", gp, 1, nil, rxNow))
	if d[1] != "Collect every day" || !strings.Contains(d[2], "taken home") {
		t.Errorf("daily, unsupervised: %q", d)
	}
	if InstalmentDirections(Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.Authorisation("pt", gp, 1, nil, rxNow)) != nil {
		t.Error("an acute has instalment directions")
	}
	// A prepared instalment prescription comes back as one.
	back := PrescriptionFromPrepared(p.Prepared("pt", gp, rxNow))
	if back.Course != InstalmentCourse || back.Instalments.Amount != "60" || len(back.Instalments.Days) != 6 {
		t.Errorf("prepared and read back: %+v", back)
	}
}

// FuzzInstalments: any instalment form checks without panic; one the
// checks pass is written and read back as the same instalments, with a
// collection schedule handing out every day exactly once.
func FuzzInstalments(f *testing.F) {
	f.Add("840", "14", "60", "days", "mon,tue,fri", "2026-06-12", "yes")
	f.Add("28", "14", "2", "daily", "", "2026-06-10", "no")
	f.Add("-1", "0", "x", "weekly", "sun", "2026-02-30", "")
	f.Fuzz(func(t *testing.T, total, days, amount, interval, on, start, supervised string) {
		p := Prescription{Medicine: methadone, Dose: "Take 60ml once a day", Quantity: total, Days: days, Course: InstalmentCourse,
			Instalments: Instalments{Amount: amount, Interval: interval, Start: start, Supervised: supervised}}
		if on != "" {
			p.Instalments.Days = strings.Split(on, ",")
		}
		if errs := p.Check(rxNow); len(errs) > 0 {
			return
		}
		back, ok := InstalmentsOf(p.Authorisation("pt", Ref{Display: "Dr A"}, 1, nil, rxNow))
		if !ok || back.Amount != strings.TrimSpace(amount) || back.Interval != interval || back.Start != start || back.Supervised != supervised {
			t.Fatalf("read back %+v from %+v", back, p.Instalments)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(days))
		first, _ := time.ParseInLocation("2006-01-02", start, London)
		handed := 0
		for _, c := range Collections(first, n, interval, p.Instalments.Days) {
			handed += c.Days
		}
		if handed != n {
			t.Fatalf("%d days handed out of %d", handed, n)
		}
	})
}
