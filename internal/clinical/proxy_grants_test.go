package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The proxy age and capacity rules, per service.
func TestProxyAccess(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, UKTime)
	all := []string{ServiceAppointments, ServiceRequests, ServiceRepeats, ServiceRecord, ServiceMessages}
	grant := func(basis string, given string, services ...string) *ProxyGrant {
		g, _ := time.Parse("2006-01-02", given)
		if len(services) == 0 {
			services = all
		}
		return &ProxyGrant{Basis: basis, Given: g, Services: services}
	}
	const (
		child5    = "2021-06-01"
		turned11  = "2015-11-20" // 11 on 20 November 2026
		child13   = "2013-03-01"
		turned16  = "2010-11-30" // 16 yesterday
		adult     = "1950-01-01"
		tomorrow  = "2015-12-02" // 11 tomorrow
		recent    = "2026-11-25"
		years2018 = "2018-01-01"
	)
	tests := []struct {
		name    string
		g       *ProxyGrant
		birth   string
		service string
		ok      bool
	}{
		{"no grant, child under 11: parental responsibility", nil, child5, ServiceRecord, true},
		{"no grant, the day before the 11th birthday", nil, tomorrow, ServiceMessages, true},
		{"no grant, turned 11: restricted pending review", nil, turned11, ServiceAppointments, false},
		{"no grant, adult: needs consent or authority", nil, adult, ServiceAppointments, false},
		{"parent, granted before 11, now 11", grant(BasisParent, years2018), turned11, ServiceRecord, false},
		{"parent, reviewed after 11", grant(BasisParent, recent), turned11, ServiceRecord, true},
		{"child consented at 13", grant(BasisChildConsent, "2026-06-01"), child13, ServiceMessages, true},
		{"child's consent, service not granted", grant(BasisChildConsent, "2026-06-01", ServiceAppointments), child13, ServiceRecord, false},
		{"turned 16: parent's access ends", grant(BasisParent, "2026-06-01"), turned16, ServiceAppointments, false},
		{"turned 16: re-consented after", grant(BasisConsent, "2026-12-01"), turned16, ServiceAppointments, true},
		{"turned 16: consent given before 16 does not count", grant(BasisConsent, "2026-06-01"), turned16, ServiceAppointments, false},
		{"adult: consent", grant(BasisConsent, years2018), adult, ServiceRepeats, true},
		{"adult: LPA", grant(BasisLPA, years2018), adult, ServiceRecord, true},
		{"adult: court deputy", grant(BasisCourtDeputy, years2018), adult, ServiceRecord, true},
		{"adult: best interests", grant(BasisBestInterests, years2018), adult, ServiceRecord, true},
		{"adult: parental responsibility is no basis", grant(BasisParent, years2018), adult, ServiceRecord, false},
		{"adult: appointments only", grant(BasisConsent, years2018, ServiceAppointments), adult, ServiceMessages, false},
		{"refused for safeguarding", &ProxyGrant{Refused: true, Given: now}, child5, ServiceAppointments, false},
		{"ended", &ProxyGrant{Ended: true, Basis: BasisParent, Services: all}, child5, ServiceAppointments, false},
		{"no date of birth", nil, "", ServiceAppointments, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := ProxyAccess(tc.g, tc.birth, tc.service, now)
			if ok != tc.ok {
				t.Fatalf("ok %v (%s), want %v", ok, why, tc.ok)
			}
			if !ok && why == "" {
				t.Fatal("refused without a reason")
			}
			if tc.g != nil && tc.g.Refused && strings.Contains(why, "safeguard") {
				t.Fatal("a refusal tells the proxy it was for safeguarding")
			}
		})
	}
}

// The practice's decisions: the basis must fit the patient's age, a
// refusal needs a reason; the Consent reads back as it was written.
func TestGrantChange(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, UKTime)
	tests := []struct {
		name  string
		c     GrantChange
		birth string
		errs  []string
	}{
		{"parent of a child", GrantChange{Do: "grant", Basis: BasisParent, Services: []string{ServiceAppointments}}, "2020-01-01", nil},
		{"child consent under 11", GrantChange{Do: "grant", Basis: BasisChildConsent, Services: []string{ServiceAppointments}}, "2020-01-01", []string{"basis-" + BasisParent}},
		{"LPA for a child", GrantChange{Do: "grant", Basis: BasisLPA, Services: []string{ServiceAppointments}}, "2020-01-01", []string{"basis-" + BasisParent}},
		{"parent of an adult", GrantChange{Do: "grant", Basis: BasisParent, Services: []string{ServiceAppointments}}, "1980-01-01", []string{"basis-" + BasisParent}},
		{"LPA for an adult", GrantChange{Do: "grant", Basis: BasisLPA, Services: []string{ServiceRecord, ServiceMessages}}, "1940-01-01", nil},
		{"no services", GrantChange{Do: "grant", Basis: BasisLPA}, "1940-01-01", []string{"service-" + ServiceAppointments}},
		{"unknown service", GrantChange{Do: "grant", Basis: BasisLPA, Services: []string{"everything"}}, "1940-01-01", []string{"service-" + ServiceAppointments}},
		{"refuse without a reason", GrantChange{Do: "refuse"}, "2020-01-01", []string{"note"}},
		{"refuse", GrantChange{Do: "refuse", Note: "Safeguarding concern, see record"}, "2020-01-01", nil},
		{"end", GrantChange{Do: "end"}, "2020-01-01", nil},
		{"nothing", GrantChange{}, "2020-01-01", []string{"do"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.c.Check(tc.birth, now)
			if len(errs) != len(tc.errs) {
				t.Fatalf("errs %v, want %v", errs, tc.errs)
			}
			for _, f := range tc.errs {
				if errs[f] == "" {
					t.Fatalf("no error for %s: %v", f, errs)
				}
			}
		})
	}
	granted := GrantChange{Do: "grant", Basis: BasisLPA, Services: []string{ServiceMessages, ServiceRecord}}.Resource(nil, "p1", "org1", "carer@x", "Sam Carer", "", now)
	granted["id"] = "c1"
	g := ProxyGrantOf(granted)
	if !IsProxyGrant(granted) || g.Proxy != "carer@x" || g.Basis != BasisLPA || len(g.Services) != 2 || g.Services[0] != ServiceRecord || g.Refused || g.Ended {
		t.Fatalf("grant read back as %+v", g)
	}
	refused := GrantChange{Do: "refuse", Note: "concern"}.Resource(granted, "p1", "org1", "carer@x", "Sam Carer", "", now.Add(time.Hour))
	if r := ProxyGrantOf(refused); !r.Refused || r.Note != "concern" || len(r.Services) != 0 {
		t.Fatalf("refusal read back as %+v", r)
	}
	ended := GrantChange{Do: "end"}.Resource(granted, "p1", "org1", "carer@x", "Sam Carer", "", now.Add(time.Hour))
	if e := ProxyGrantOf(ended); !e.Ended {
		t.Fatalf("end read back as %+v", e)
	}
	other := GrantChange{Do: "grant", Basis: BasisLPA, Services: []string{ServiceMessages}}.Resource(nil, "p1", "org1", "someone@x", "Someone", "", now)
	if got := GrantFor([]fhir.Resource{other, granted}, "carer@x"); got == nil || got.ID != "c1" {
		t.Fatalf("GrantFor found %+v", got)
	}
	if GrantFor([]fhir.Resource{other}, "carer@x") != nil {
		t.Fatal("another proxy's grant found")
	}
}
