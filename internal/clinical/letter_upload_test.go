package clinical

import (
	"strings"
	"testing"
	"time"
)

func TestUploadedLetter(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	pdf := []byte("%PDF-1.4\n...")
	ok := UploadedLetter{Kind: "discharge", From: "Leeds General Infirmary", Day: "28", Month: "11", Year: "2026", FileName: "scan 001.pdf", Data: pdf}
	for _, tc := range []struct {
		name  string
		edit  func(*UploadedLetter)
		field string // "" for valid
	}{
		{"valid", func(*UploadedLetter) {}, ""},
		{"no file", func(u *UploadedLetter) { u.Data = nil }, "file"},
		{"too large", func(u *UploadedLetter) { u.TooLarge = true }, "file"},
		{"a Word file named .pdf", func(u *UploadedLetter) { u.Data = []byte("PK\x03\x04word") }, "file"},
		{"HTML named .pdf", func(u *UploadedLetter) { u.Data = []byte("<html><script>") }, "file"},
		{"PNG", func(u *UploadedLetter) { u.Data = []byte("\x89PNG\r\n\x1a\nxxxx") }, ""},
		{"JPEG", func(u *UploadedLetter) { u.Data = []byte("\xff\xd8\xff\xe0xxxx") }, ""},
		{"no kind", func(u *UploadedLetter) { u.Kind = "" }, "kind"},
		{"made-up kind", func(u *UploadedLetter) { u.Kind = "poem" }, "kind"},
		{"no author", func(u *UploadedLetter) { u.From = "  " }, "from"},
		{"no date", func(u *UploadedLetter) { u.Day, u.Month, u.Year = "", "", "" }, "date"},
		{"31 February", func(u *UploadedLetter) { u.Day, u.Month = "31", "2" }, "date"},
		{"tomorrow", func(u *UploadedLetter) { u.Day = "2"; u.Month = "12" }, "date"},
	} {
		u := ok
		tc.edit(&u)
		errs := u.Check(now)
		if tc.field == "" && len(errs) > 0 || tc.field != "" && errs[tc.field] == "" {
			t.Errorf("%s: errors %v, want one for %q", tc.name, errs, tc.field)
		}
	}
	res := ok.Resource(Banner{ID: "p1", Name: "JONES, Olivia"}, Ref{Reference: "Practitioner/a", Display: "Ann Admin"}, now)
	in := IncomingOf(res)
	if in.State != InboxToFile || in.Patient.Reference != "Patient/p1" || in.Kind != "Letter" || in.From != "Leeds General Infirmary" || !strings.HasPrefix(in.Date, "2026-11-28") || !Ranked(res) {
		t.Errorf("scanned letter: %+v", in)
	}
	a := res["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	if a["contentType"] != "application/pdf" || a["title"] != "scan 001.pdf" {
		t.Errorf("attachment: %v %v", a["contentType"], a["title"])
	}
}
