package clinical

import (
	"testing"
	"time"
)

func TestElevenReview(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.ParseInLocation("2006-01-02", s, UKTime); return d }
	before := &ProxyGrant{Basis: BasisParent, Services: []string{ServiceRecord}, Given: day("2020-01-01")}
	tests := []struct {
		name  string
		g     *ProxyGrant
		birth string
		want  bool
	}{
		{"turns 11 in 29 days, no grant recorded", nil, "2015-12-30", true},
		{"turns 11 in 29 days, parental grant", before, "2015-12-30", true},
		{"turns 11 in 31 days", before, "2016-01-01", false},
		{"turned 11 today", before, "2015-12-01", true},
		{"aged 14, never reviewed", before, "2012-06-01", true},
		{"aged 14, reviewed after the birthday", &ProxyGrant{Basis: BasisChildConsent, Services: []string{ServiceRecord}, Given: day("2024-01-01")}, "2012-06-01", false},
		{"aged 16: access ended, not an 11 review", before, "2010-11-30", false},
		{"refused", &ProxyGrant{Refused: true, Given: day("2020-01-01")}, "2015-12-30", false},
		{"ended", &ProxyGrant{Ended: true, Basis: BasisParent, Given: day("2020-01-01")}, "2015-12-30", false},
		{"aged 5", nil, "2021-05-05", false},
		{"no birth date", nil, "", false},
	}
	for _, tt := range tests {
		if got, _ := ElevenReview(tt.g, tt.birth, now); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		// The worklist agrees with the access rule: a child of 11 to 15
		// listed is one whose proxy the rule restricts.
		if got, eleventh := ElevenReview(tt.g, tt.birth, now); got && !now.Before(eleventh) {
			if ok, _ := ProxyAccess(tt.g, tt.birth, ServiceRecord, now); ok {
				t.Errorf("%s: listed for review but access is still open", tt.name)
			}
		}
	}
}
