package clinical

import (
	"testing"
	"time"
)

func TestPhotoKeep(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	adult := PhotoKeep{BirthDate: "1980-01-01", Intimate: "no", Consent: true, Description: "Rash on left forearm", ContentType: "image/jpeg", Data: []byte{0xff, 0xd8}}
	for _, tc := range []struct {
		name   string
		change func(*PhotoKeep)
		field  string
	}{
		{"an adult's rash, with consent", func(*PhotoKeep) {}, ""},
		{"an adult's intimate photo, asked for and consented", func(p *PhotoKeep) { p.Intimate, p.Requested = "yes", true }, ""},
		{"an adult's intimate photo not asked for", func(p *PhotoKeep) { p.Intimate = "yes" }, "photo-requested"},
		{"no consent", func(p *PhotoKeep) { p.Consent = false }, "photo-consent"},
		{"intimate not said", func(p *PhotoKeep) { p.Intimate = "" }, "photo-intimate-yes"},
		{"a 17-year-old's intimate photo, even asked for", func(p *PhotoKeep) { p.Intimate, p.Requested, p.BirthDate = "yes", true, "2009-01-01" }, "photo-intimate-yes"},
		{"a child's birthday tomorrow: still 17", func(p *PhotoKeep) { p.Intimate, p.Requested, p.BirthDate = "yes", true, "2008-06-02" }, "photo-intimate-yes"},
		{"18 today", func(p *PhotoKeep) { p.Intimate, p.Requested, p.BirthDate = "yes", true, "2008-06-01" }, ""},
		{"no birth date: treated as a child", func(p *PhotoKeep) { p.Intimate, p.Requested, p.BirthDate = "yes", true, "" }, "photo-intimate-yes"},
		{"a child's non-intimate photo (a rash on the arm)", func(p *PhotoKeep) { p.BirthDate = "2015-01-01" }, ""},
		{"not an image", func(p *PhotoKeep) { p.ContentType = "text/html" }, "photo-description"},
		{"too large", func(p *PhotoKeep) { p.Data = make([]byte, PhotoMaxBytes+1) }, "photo-description"},
		{"no description", func(p *PhotoKeep) { p.Description = " " }, "photo-description"},
	} {
		p := adult
		tc.change(&p)
		errs := p.Check(now)
		if tc.field == "" && len(errs) > 0 || tc.field != "" && errs[tc.field] == "" {
			t.Errorf("%s: %v", tc.name, errs)
		}
	}
	d := adult.DocumentReference("p1", "e1", Ref{"Practitioner/d1", "Dr A"}, now)
	if !HiddenFromPatient(d) {
		t.Fatal("a kept photo is not hidden from online access")
	}
}
