package clinical

import (
	"strings"
	"testing"
)

// TestFP10OfInstalments: an instalment issue prints on the FP10MDA-SS
// with its schedule: the number of instalments, each one's amount in
// words and figures, the interval with the Home Office's closure wording,
// the first and last dates, supervision, and a collection for each visit
// (the Saturday's with the Sunday's: two days); the total in words and
// figures; no directions repeated on the item. An acute prints on the
// FP10SS without a schedule.
func TestFP10OfInstalments(t *testing.T) {
	gp, _ := PrescriberTypeOf("doctor")
	by := Prescriber{Ref: Ref{Reference: "PractitionerRole/r", Display: "Dr A"}, Type: gp, CodeSystem: GMCSystem, Code: "7654321"}
	auth := instalmentRx().Authorisation("pt", by.Ref, 1, nil, rxNow)
	issue := EPSReady(IssueBy(auth, "urn:uuid:a", by, rxNow), "A7F3C2-Y12345-9B1E4K", nil)
	f, refusal := FP10Of(issue, fp10Patient8(), testPractice)
	if refusal != "" {
		t.Fatal(refusal)
	}
	in := f.Instalments
	if f.Form != FormFP10MDA || in == nil {
		t.Fatalf("form %q, instalments %+v", f.Form, in)
	}
	if in.Count != 14 || in.Amount != "60 (sixty) ml" || !in.Supervised || in.Start != "Friday 12/06/2026" || in.End != "Thursday 25/06/2026" ||
		!strings.Contains(in.Interval, "collected on Monday, Tuesday, Wednesday, Thursday, Friday and Saturday") ||
		!strings.Contains(in.Interval, "dispensed on the day before the closure") {
		t.Errorf("instalments %+v", in)
	}
	if it := f.Items[0]; it.Quantity != "840 (eight hundred and forty) ml" || len(it.Directions) != 0 {
		t.Errorf("item %+v: the total in words and figures, the schedule in its own box", it)
	}
	// Fri 12, Sat 13 (+ Sun 14), Mon 15 ... Sat 20 (+ Sun 21), Mon 22 ... Thu 25.
	var got []string
	handed := 0
	for _, c := range in.Collections {
		got = append(got, c.Day+" "+c.Date+" "+c.Amount)
		handed += c.Days
	}
	want := []string{"Fri 12/06/2026 60 ml", "Sat 13/06/2026 120 ml", "Mon 15/06/2026 60 ml", "Tue 16/06/2026 60 ml", "Wed 17/06/2026 60 ml",
		"Thu 18/06/2026 60 ml", "Fri 19/06/2026 60 ml", "Sat 20/06/2026 120 ml", "Mon 22/06/2026 60 ml", "Tue 23/06/2026 60 ml",
		"Wed 24/06/2026 60 ml", "Thu 25/06/2026 60 ml"}
	if strings.Join(got, "|") != strings.Join(want, "|") || handed != 14 {
		t.Errorf("collections\n%q\nwant\n%q (%d days handed)", got, want, handed)
	}

	daily := instalmentRx()
	daily.Instalments.Interval, daily.Instalments.Days, daily.Instalments.Supervised = "daily", nil, "no"
	d, _ := FP10Of(EPSReady(IssueBy(daily.Authorisation("pt", by.Ref, 1, nil, rxNow), "urn:uuid:a", by, rxNow), "A7F3C2-Y12345-9B1E4K", nil), fp10Patient8(), testPractice)
	if d.Instalments == nil || d.Instalments.Supervised || len(d.Instalments.Collections) != 14 || !strings.HasPrefix(d.Instalments.Interval, "Daily") {
		t.Errorf("daily, unsupervised: %+v", d.Instalments)
	}

	bup := instalmentRx()
	bup.Medicine, bup.Quantity, bup.Instalments.Amount, bup.Instalments.Interval = buprenorphine, "28", "2", "daily"
	if b, _ := FP10Of(EPSReady(IssueBy(bup.Authorisation("pt", by.Ref, 1, nil, rxNow), "urn:uuid:a", by, rxNow), "A7F3C2-Y12345-9B1E4K", nil), fp10Patient8(), testPractice); b.Instalments == nil ||
		b.Instalments.Amount != "2 (two) tablets" || b.Instalments.Collections[0].Amount != "2 tablets" {
		t.Errorf("buprenorphine's instalments: %+v", b.Instalments)
	}

	acute := Prescription{Medicine: med(amoxicillin), Dose: "One capsule three times a day", Quantity: "15", Days: "5", Course: "acute"}.Authorisation("pt", by.Ref, 1, nil, rxNow)
	if a, _ := FP10Of(EPSReady(IssueBy(acute, "urn:uuid:a", by, rxNow), "A7F3C2-Y12345-9B1E4K", nil), fp10Patient8(), testPractice); a.Form != FormFP10SS || a.Instalments != nil {
		t.Errorf("an acute: form %q, instalments %+v", a.Form, a.Instalments)
	}
}
