package clinical

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestRecordAccessOf(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.ParseInLocation("2006-01-02", s, UKTime); return d }
	oldAccount := time.Date(2020, 5, 1, 9, 0, 0, 0, time.UTC)
	newAccount := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	full := &RecordAccessSetting{Level: RecordFull, Given: day("2026-01-10")}
	off := &RecordAccessSetting{Level: RecordNone, Given: day("2026-01-10")}
	prospectiveOnly := &RecordAccessSetting{Level: RecordNone, From: day("2026-02-01"), Given: day("2026-01-10")}
	parent := &ProxyGrant{Basis: BasisParent, Services: []string{ServiceRecord}, Given: day("2020-01-01")}
	tests := []struct {
		name     string
		in       RecordAccessInput
		level    string
		from     string // "" none
		whyEmpty bool
	}{
		{"adult, P5 only", RecordAccessInput{Proof: "P5", BirthDate: "1980-01-01"}, RecordNone, "", false},
		{"adult, no proof recorded", RecordAccessInput{BirthDate: "1980-01-01"}, RecordNone, "", false},
		{"adult, linkage key alone (no proof)", RecordAccessInput{Proof: "", BirthDate: "1980-01-01", AccountCreated: newAccount}, RecordNone, "", false},
		{"adult, vouched, account before Oct 2023: prospective from 31 Oct 2023", RecordAccessInput{Proof: "vouched", BirthDate: "1980-01-01", AccountCreated: oldAccount}, RecordSummary, "2023-10-31", true},
		{"adult, P9, account made in 2026: prospective from that day", RecordAccessInput{Proof: "P9", BirthDate: "1980-01-01", AccountCreated: newAccount}, RecordSummary, "2026-03-15", true},
		{"16 today", RecordAccessInput{Proof: "photo-id", BirthDate: "2010-12-01"}, RecordSummary, "2023-10-31", true},
		{"15: not automatic", RecordAccessInput{Proof: "P9", BirthDate: "2010-12-02"}, RecordNone, "", false},
		{"15 with the practice's decision", RecordAccessInput{Proof: "P9", BirthDate: "2010-12-02", Setting: full}, RecordFull, "", true},
		{"adult, practice turned it off", RecordAccessInput{Proof: "P9", BirthDate: "1980-01-01", Setting: off}, RecordNone, "", false},
		{"adult, prospective only", RecordAccessInput{Proof: "P9", BirthDate: "1980-01-01", Setting: prospectiveOnly}, RecordNone, "2026-02-01", true},
		{"adult, enhanced review: default stops", RecordAccessInput{Proof: "P9", BirthDate: "1980-01-01", EnhancedReview: day("2025-06-01")}, RecordNone, "", false},
		{"adult, enhanced review after the decision", RecordAccessInput{Proof: "P9", BirthDate: "1980-01-01", Setting: full, EnhancedReview: day("2026-06-01")}, RecordNone, "", false},
		{"adult, decision after the enhanced review", RecordAccessInput{Proof: "P9", BirthDate: "1980-01-01", Setting: full, EnhancedReview: day("2025-06-01")}, RecordFull, "", true},
		{"no birth date", RecordAccessInput{Proof: "P9"}, RecordNone, "", false},
		{"proxy, child 10, no grant recorded", RecordAccessInput{Proxy: true, Proof: "photo-id", BirthDate: "2016-12-02"}, RecordSummary, "", true},
		{"proxy, child 10, P0", RecordAccessInput{Proxy: true, Proof: "P0", BirthDate: "2016-12-02"}, RecordNone, "", false},
		{"proxy, child 10, the practice's level", RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: "2016-12-02", Grant: parent, Setting: full}, RecordFull, "", true},
		{"proxy, child 11 today", RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: "2015-12-01", Grant: parent}, RecordNone, "", false},
		{"proxy, adult without a grant", RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: "1950-01-01"}, RecordNone, "", false},
		{"proxy, child 10, enhanced review", RecordAccessInput{Proxy: true, Proof: "P9", BirthDate: "2016-12-02", EnhancedReview: day("2026-01-01")}, RecordNone, "", false},
	}
	for _, tt := range tests {
		got := RecordAccessOf(tt.in, now)
		from := ""
		if !got.From.IsZero() {
			from = got.From.Format("2006-01-02")
		}
		if got.Level != tt.level || from != tt.from || (got.Why == "") != tt.whyEmpty {
			t.Errorf("%s: %+v; want %s from %q", tt.name, got, tt.level, tt.from)
		}
	}
}

func TestRecordScopeShows(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.ParseInLocation("2006-01-02", s, UKTime); return d }
	from := day("2024-01-01")
	tests := []struct {
		scope RecordScope
		part  string
		when  string
		want  bool
	}{
		{RecordScope{Level: RecordNone}, PartSummary, "2025-01-01", false},
		{RecordScope{Level: RecordSummary}, PartSummary, "2000-01-01", true},
		{RecordScope{Level: RecordSummary}, PartCoded, "2000-01-01", false},
		{RecordScope{Level: RecordSummary}, PartFull, "2000-01-01", false},
		{RecordScope{Level: RecordDetailed}, PartCoded, "2000-01-01", true},
		{RecordScope{Level: RecordDetailed}, PartFull, "2000-01-01", false},
		{RecordScope{Level: RecordFull}, PartFull, "2000-01-01", true},
		{RecordScope{Level: RecordSummary, From: from}, PartFull, "2023-12-31", false},
		{RecordScope{Level: RecordSummary, From: from}, PartFull, "2024-01-01", true},
		{RecordScope{Level: RecordSummary, From: from}, PartCoded, "2024-06-01", true},
		{RecordScope{Level: RecordNone, From: from}, PartSummary, "2023-06-01", false},
		{RecordScope{Level: RecordNone, From: from}, PartSummary, "2024-06-01", true},
		{RecordScope{Level: RecordSummary, From: from}, PartFull, "", false}, // no date: by level only
	}
	for i, tt := range tests {
		var when time.Time
		if tt.when != "" {
			when = day(tt.when)
		}
		if got := tt.scope.Shows(tt.part, when); got != tt.want {
			t.Errorf("%d: %+v shows %s of %s = %v", i, tt.scope, tt.part, tt.when, got)
		}
	}
	if !(RecordScope{Level: RecordNone}).None() || (RecordScope{Level: RecordNone, From: from}).None() || (RecordScope{Level: RecordSummary}).None() {
		t.Error("None")
	}
}

func TestRecordAccessChange(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if errs := (RecordAccessChange{Level: "everything"}).Check(); errs["level-none"] == "" {
		t.Error("an unknown level is accepted")
	}
	if errs := (RecordAccessChange{Level: RecordFull, From: "2026-02-30"}).Check(); errs["from-day"] == "" {
		t.Error("a date that does not exist is accepted")
	}
	c := RecordAccessChange{Level: RecordDetailed, From: "2026-02-01"}
	if errs := c.Check(); len(errs) != 0 {
		t.Fatal(errs)
	}
	res := c.Resource(nil, "p1", "org1", now)
	res["id"], res["meta"] = "c1", map[string]any{"versionId": "1"}
	s := RecordAccessSettingOf([]fhir.Resource{res})
	if s == nil || s.Level != RecordDetailed || s.From.Format("2006-01-02") != "2026-02-01" || !s.Given.Equal(now) || s.Version != "1" {
		t.Fatalf("read back %+v", s)
	}
	off := RecordAccessChange{Level: RecordNone}.Resource(res, "p1", "org1", now.Add(time.Hour))
	if s := RecordAccessSettingOf([]fhir.Resource{off}); s.Level != RecordNone || !s.From.IsZero() || mapOf(off["provision"])["type"] != "deny" {
		t.Fatalf("none: %+v", s)
	}
	if IsProxyGrant(res) || !IsRecordAccess(res) {
		t.Error("category")
	}
}

func TestLatestEnhancedReview(t *testing.T) {
	obs := func(code, date, status string) fhir.Resource {
		return fhir.Resource{"resourceType": "Observation", "status": status, "effectiveDateTime": date,
			"code": map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": code}}}}
	}
	rs := []fhir.Resource{obs("1364731000000104", "2025-01-01", "final"), obs("1364751000000106", "2026-03-01", "final"),
		obs("1364731000000104", "2026-09-01", "entered-in-error"), obs("271649006", "2026-10-01", "final")}
	if got := LatestEnhancedReview(rs); got.Format("2006-01-02") != "2026-03-01" {
		t.Errorf("latest %v", got)
	}
	if got := LatestEnhancedReview(rs[3:]); !got.IsZero() {
		t.Errorf("none %v", got)
	}
	if len(ForPatient(rs)) != 1 {
		t.Error("enhanced-review entries are shown to the patient")
	}
}
