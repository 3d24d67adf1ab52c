package clinical

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestRecalls(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	ok := NewRecall{Kind: "review", What: "Asthma review", DueDay: "10", DueMonth: "9", DueYear: "2026", Patient: Ref{Reference: "Patient/p1"}}
	cases := []struct {
		name  string
		edit  func(*NewRecall)
		field string
	}{
		{"valid", func(*NewRecall) {}, ""},
		{"due today", func(n *NewRecall) { n.DueDay, n.DueMonth, n.DueYear = "10", "3", "2026" }, ""},
		{"no kind", func(n *NewRecall) { n.Kind = "" }, "kind"},
		{"nothing due", func(n *NewRecall) { n.What = " " }, "what"},
		{"no date", func(n *NewRecall) { n.DueDay, n.DueMonth, n.DueYear = "", "", "" }, "due-day"},
		{"in the past", func(n *NewRecall) { n.DueYear = "2025" }, "due-day"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := ok
			c.edit(&n)
			errs := n.Check(now)
			if (c.field == "") != (len(errs) == 0) || (c.field != "" && errs[c.field] == "") {
				t.Fatalf("errors %v", errs)
			}
		})
	}
	n := ok
	n.Check(now)
	res := n.Resource(now)
	r := RecallOf(res)
	if r.What != "Asthma review" || r.Kind != "Disease review" || r.Due != "2026-09-10" || r.StatusLabel() != "Due" || res["intent"] != "plan" {
		t.Fatalf("recall %+v", r)
	}
	if r.Overdue(now) || !r.Overdue(now.AddDate(0, 7, 0)) || r.DueSoon(now, 30) || !r.DueSoon(now.AddDate(0, 5, 15), 30) {
		t.Error("overdue or due soon wrong")
	}
	if _, errs := EndRecall(res, "cancel", ""); errs["note"] == "" {
		t.Error("cancelled without a reason")
	}
	done, errs := EndRecall(res, "done", "")
	if len(errs) > 0 || RecallOf(done).Status != "completed" {
		t.Fatalf("done: %v", errs)
	}
	if _, errs := EndRecall(done, "cancel", "x"); errs["do"] == "" {
		t.Error("an ended recall ended again")
	}
	_ = fhir.Resource{}
}
