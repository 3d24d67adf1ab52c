package clinical

import (
	"testing"
	"time"
)

func TestTrends(t *testing.T) {
	hb := func(v float64, abnormal bool) ResultLine {
		return ResultLine{Name: "Haemoglobin", Unit: "g/L", Numeric: true, Number: v, Low: 115, High: 165, HasLow: true, HasHigh: true, Abnormal: abnormal}
	}
	day := func(d int) string { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC).Format(time.RFC3339) }
	current := Incoming{Type: "DiagnosticReport", ID: "now", Date: day(20), Lines: []ResultLine{hb(98, true),
		{Name: "Platelets", Unit: "10*9/L", Numeric: true, Number: 250}, {Name: "Film", Value: "Normal"}}}
	earlier := []Incoming{
		{Type: "DiagnosticReport", ID: "b", Date: day(10), Lines: []ResultLine{hb(120, false)}},
		{Type: "DiagnosticReport", ID: "a", Date: day(1), Lines: []ResultLine{hb(140, false), {Name: "HAEMOGLOBIN", Unit: "g/dL", Numeric: true, Number: 14}}},
		{Type: "DiagnosticReport", ID: "now", Date: day(20), Lines: []ResultLine{hb(98, true)}}, // itself, found by the search
		{Type: "DiagnosticReport", ID: "undated", Lines: []ResultLine{hb(50, true)}},
	}
	got := Trends(current, earlier)
	if len(got) != 1 {
		t.Fatalf("trends: %+v (want haemoglobin only: platelets have no earlier value, the film is text)", got)
	}
	tr := got[0]
	var values []float64
	for _, p := range tr.Points {
		values = append(values, p.Value)
	}
	if tr.Name != "Haemoglobin" || tr.Unit != "g/L" || len(values) != 3 || values[0] != 140 || values[1] != 120 || values[2] != 98 {
		t.Errorf("haemoglobin trend: %s %s %v (want 140, 120, 98 in g/L, oldest first)", tr.Name, tr.Unit, values)
	}
	if !tr.Points[2].Current || tr.Points[0].Current || !tr.Points[2].Abnormal {
		t.Errorf("current and abnormal marks: %+v", tr.Points)
	}
	// At most MaxTrendPoints, the latest.
	var many []Incoming
	for d := 1; d <= 19; d++ {
		many = append(many, Incoming{Type: "DiagnosticReport", ID: day(d), Date: day(d), Lines: []ResultLine{hb(float64(100+d), false)}})
	}
	tr = Trends(current, many)[0]
	if len(tr.Points) != MaxTrendPoints || tr.Points[0].Value != 100+19-MaxTrendPoints+2 || !tr.Points[len(tr.Points)-1].Current {
		t.Errorf("bounded trend: %d points from %v", len(tr.Points), tr.Points[0].Value)
	}
}
