package clinical

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The specification's matching table (Slot availability management),
// row by row, for slots released to nobody in particular, to an
// organisation, to a type, and to both.
func TestGPConnectReleasedTo(t *testing.T) {
	all := GPConnectRelease{}
	org := GPConnectRelease{Organisations: []string{"A81001", "RYA"}}
	typ := GPConnectRelease{Types: []string{"urgent-care"}}
	both := GPConnectRelease{Organisations: []string{"RYA"}, Types: []string{"urgent-care"}}
	none := GPConnectConsumer{}
	odsRYA := GPConnectConsumer{ODS: "RYA"}
	odsOther := GPConnectConsumer{ODS: "B82002"}
	uc := GPConnectConsumer{Type: "urgent-care"}
	gp := GPConnectConsumer{Type: "gp-practice"}
	ryaUC := GPConnectConsumer{ODS: "RYA", Type: "urgent-care"}
	ryaGP := GPConnectConsumer{ODS: "RYA", Type: "gp-practice"}
	otherUC := GPConnectConsumer{ODS: "B82002", Type: "urgent-care"}
	for _, c := range []struct {
		name string
		r    GPConnectRelease
		c    GPConnectConsumer
		want bool
	}{
		{"no filter, unrestricted", all, none, true},
		{"no filter, org restricted", org, none, false},
		{"no filter, type restricted", typ, none, false},
		{"no filter, both restricted", both, none, false},
		{"type, unrestricted", all, uc, true},
		{"type, matching type", typ, uc, true},
		{"type, other type", typ, gp, false},
		{"type only, org restricted", org, uc, false},
		{"ods, unrestricted", all, odsRYA, true},
		{"ods, listed", org, odsRYA, true},
		{"ods lower case, listed", org, GPConnectConsumer{ODS: "rya"}, true},
		{"ods, not listed", org, odsOther, false},
		{"ods only, type restricted", typ, odsRYA, false},
		{"both, unrestricted", all, ryaUC, true},
		{"both, org restricted and listed", org, ryaGP, true},
		{"both, type restricted and matching", typ, otherUC, true},
		{"both, both match", both, ryaUC, true},
		{"both, type does not match", both, ryaGP, false},
		{"both, org does not match", both, otherUC, false},
	} {
		if got := c.r.ReleasedTo(c.c); got != c.want {
			t.Errorf("%s: released %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseSearchFilters(t *testing.T) {
	for _, c := range []struct {
		in      []string
		want    GPConnectConsumer
		wantErr string
	}{
		{nil, GPConnectConsumer{}, ""},
		{[]string{ODSOrganizationSystem + "|rya"}, GPConnectConsumer{ODS: "RYA"}, ""},
		{[]string{GPConnectOrganisationTypeSystem + "|urgent-care", ODSOrganizationSystem + "|A81001"}, GPConnectConsumer{ODS: "A81001", Type: "urgent-care"}, ""},
		// Filters the provider does not support are ignored, not refused.
		{[]string{"https://directoryofservices.nhs.uk/Id/serviceId|124459850", "https://fhir.nhs.uk/STU3/ValueSet/GPConnect-OrganisationType-1|Urgent Care"}, GPConnectConsumer{}, ""},
		{[]string{"no-bar"}, GPConnectConsumer{}, "system|code"},
		{[]string{ODSOrganizationSystem + "|"}, GPConnectConsumer{}, "system|code"},
		{[]string{ODSOrganizationSystem + "|A8 1001"}, GPConnectConsumer{}, "not an ODS code"},
		{[]string{ODSOrganizationSystem + "|RYA", ODSOrganizationSystem + "|A81001"}, GPConnectConsumer{}, "more than one ODS code"},
		{[]string{GPConnectOrganisationTypeSystem + "|nhs-111"}, GPConnectConsumer{}, "not a code"},
		{[]string{GPConnectOrganisationTypeSystem + "|gp-practice", GPConnectOrganisationTypeSystem + "|urgent-care"}, GPConnectConsumer{}, "more than one organisation type"},
	} {
		got, err := ParseSearchFilters(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: error %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%v: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
}

// FuzzParseSearchFilters: any filters parse without panic, and what is
// accepted is a valid ODS code and a GP Connect organisation type.
func FuzzParseSearchFilters(f *testing.F) {
	f.Add(ODSOrganizationSystem+"|RYA", GPConnectOrganisationTypeSystem+"|urgent-care")
	f.Add("|", "a|b|c")
	f.Fuzz(func(t *testing.T, a, b string) {
		c, err := ParseSearchFilters([]string{a, b})
		if err != nil {
			return
		}
		if c.ODS != "" && (!ValidODSCode(c.ODS) || c.ODS != strings.ToUpper(c.ODS)) {
			t.Fatalf("accepted ODS %q", c.ODS)
		}
		if c.Type != "" && len(CheckGPConnectRelease(GPConnectRelease{Types: []string{c.Type}})) > 0 {
			t.Fatalf("accepted type %q", c.Type)
		}
	})
}

func TestCheckGPConnectReleaseAndSession(t *testing.T) {
	base := Session{Days: []time.Weekday{time.Monday}, Start: "08:30", End: "09:00", Minutes: 10, Mode: "telephone",
		Category: NationalSlotCategories[0], BookableBy: []string{BookedByGPConnect}}
	for _, c := range []struct {
		name  string
		by    []string
		r     GPConnectRelease
		field string
	}{
		{"unrestricted", nil, GPConnectRelease{}, ""},
		{"listed", nil, GPConnectRelease{Organisations: ParseODSCodes("a81001, rya\nRYA"), Types: []string{"urgent-care"}}, ""},
		{"bad ODS code", nil, GPConnectRelease{Organisations: []string{"A81-001"}}, "gpConnectOrganisations"},
		{"short ODS code", nil, GPConnectRelease{Organisations: []string{"AB"}}, "gpConnectOrganisations"},
		{"unknown type", nil, GPConnectRelease{Types: []string{"nhs-111"}}, "gpConnectTypes"},
		{"restricted but not offered to GP Connect", []string{BookedByPractice}, GPConnectRelease{Types: []string{"gp-practice"}}, "gpConnectRelease"},
	} {
		s := base
		if c.by != nil {
			s.BookableBy = c.by
		}
		s.GPConnect = c.r
		errs := s.Check()
		if c.field == "" && len(errs) > 0 || c.field != "" && errs[c.field] == "" {
			t.Errorf("%s: %v, want an error on %q", c.name, errs, c.field)
		}
	}
	if got := ParseODSCodes(" a81001,RYA;rya\n\tB82002 "); strings.Join(got, ",") != "A81001,RYA,B82002" {
		t.Errorf("ParseODSCodes: %v", got)
	}
}

// A session's release survives the Schedule (SetRota, RotaOf), reaches
// every Slot it generates, and is read back from the Slot.
func TestGPConnectReleaseRoundTrip(t *testing.T) {
	se := Session{Days: []time.Weekday{time.Tuesday}, Start: "09:00", End: "09:20", Minutes: 10, Mode: "face-to-face",
		Category: NationalSlotCategories[1], BookableBy: []string{BookedByPractice, BookedByGPConnect},
		GPConnect: GPConnectRelease{Organisations: []string{"RYA"}, Types: []string{"urgent-care"}}}
	sched := fhir.Resource{"resourceType": "Schedule", "id": "s1"}
	SetRota(sched, []Session{se}, nil)
	got, _ := RotaOf(sched)
	if len(got) != 1 || strings.Join(got[0].GPConnect.Organisations, ",") != "RYA" || strings.Join(got[0].GPConnect.Types, ",") != "urgent-care" {
		t.Fatalf("rota read back: %+v", got)
	}
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, UKTime) // a Tuesday
	planned := PlanSlots(got, nil, from, from.AddDate(0, 0, 1))
	if len(planned) != 2 {
		t.Fatalf("%d slots planned", len(planned))
	}
	slot := SlotResource("s1", planned[0])
	r := GPConnectReleaseOf(slot)
	if !r.ReleasedTo(GPConnectConsumer{ODS: "RYA", Type: "urgent-care"}) || r.ReleasedTo(GPConnectConsumer{ODS: "RYA"}) {
		t.Errorf("slot release %+v", r)
	}
	plain := se
	plain.GPConnect = GPConnectRelease{}
	open := SlotResource("s1", PlannedSlot{Start: planned[0].Start, End: planned[0].End, Session: plain})
	if GPConnectReleaseOf(open).Restricted() || !SlotReleaseChanged(slot, open) || SlotReleaseChanged(slot, slot) {
		t.Errorf("an unrestricted slot: %v", open["extension"])
	}
}

// Booking re-checks the release with the consumer's organisation (the
// JWT's requesting organisation) and type (the booking organisation's);
// staff and patients are not GP Connect consumers and are not judged by it.
func TestMayBookGPConnectRelease(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	slot := fhir.Resource{"resourceType": "Slot", "status": "free", "start": now.Add(time.Hour).Format(time.RFC3339),
		"extension": []any{
			map[string]any{"url": SlotBookableByURL, "valueCode": BookedByGPConnect},
			map[string]any{"url": SlotBookableByURL, "valueCode": BookedByPractice},
			gpConnectReleaseExtension(GPConnectRelease{Organisations: []string{"RYA"}, Types: []string{"urgent-care"}})}}
	consumer := func(ods, typ string) *auth.Principal {
		return &auth.Principal{Role: auth.RoleConsumer, Consumer: &auth.Consumer{Organization: ods, OrganizationType: typ}}
	}
	for _, c := range []struct {
		name string
		p    *auth.Principal
		ok   bool
	}{
		{"the organisation and type released to", consumer("RYA", "urgent-care"), true},
		{"another organisation", consumer("B82002", "urgent-care"), false},
		{"no type given", consumer("RYA", ""), false},
		{"a consumer with no details", &auth.Principal{Role: auth.RoleConsumer}, false},
		{"practice staff", &auth.Principal{Role: auth.RoleReceptionist}, true},
	} {
		err := BookingRules{}.MayBook(context.Background(), c.p, slot, now)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "not released") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
