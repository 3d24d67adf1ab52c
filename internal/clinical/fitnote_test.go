package clinical

import (
	"fmt"
	"testing"
	"time"
)

func TestFitNoteCheck(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, London) }
	good := func() FitNote {
		return FitNote{Condition: "Low back pain", Fitness: "may-be-fit", Adjustments: []string{"amended-duties"},
			From: day(1), To: day(14), Assessment: "face-to-face", Profession: "doctor", AssessAgain: "yes"}
	}
	for _, tc := range []struct {
		name   string
		change func(f *FitNote)
		want   map[string]string
	}{
		{"good", func(f *FitNote) {}, map[string]string{}},
		{"not fit drops adjustments", func(f *FitNote) { f.Fitness = "not-fit" }, map[string]string{}},
		{"no condition", func(f *FitNote) { f.Condition = " " }, map[string]string{"condition": "Enter the condition that affects the patient's fitness for work"}},
		{"may be fit, nothing said", func(f *FitNote) { f.Adjustments = nil },
			map[string]string{"adjustments": "Select the adjustments that may help, or say in the comments how the patient may be fit for work"}},
		{"may be fit, comments", func(f *FitNote) { f.Adjustments, f.Comments = nil, "Avoid lifting" }, map[string]string{}},
		{"no fitness", func(f *FitNote) { f.Fitness = "" }, map[string]string{"fitness": "Select whether the patient is not fit for work or may be fit for work"}},
		{"ends before it starts", func(f *FitNote) { f.To = day(1).AddDate(0, 0, -1) }, map[string]string{"to-day": "The end date must be the same as or after the start date"}},
		{"over three months", func(f *FitNote) { f.To = day(1).AddDate(0, 4, 0) }, map[string]string{"to-day": "A fit note may cover at most three months"}},
		{"a physiotherapist by video", func(f *FitNote) { f.Profession, f.Assessment = "physiotherapist", "video" }, map[string]string{}},
		{"unknown profession", func(f *FitNote) { f.Profession = "receptionist" }, map[string]string{"profession": "Select your profession"}},
		{"assess again unanswered", func(f *FitNote) { f.AssessAgain = "" },
			map[string]string{"assess-again": "Select whether you will need to assess the patient's fitness for work again"}},
	} {
		f := good()
		tc.change(&f)
		if got := f.Check(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	f := good()
	doc, err := f.DocumentReference([]byte("<p>note</p>"))
	if err != nil {
		t.Fatal(err)
	}
	back, ok := FitNoteOf(doc)
	if !ok || back.Condition != f.Condition || !back.To.Equal(f.To) {
		t.Errorf("read back %+v", back)
	}
	if p := mapOf(mapOf(doc["context"])["period"]); p["start"] != "2025-03-01" || p["end"] != "2025-03-14" {
		t.Errorf("period %v", p)
	}
}
