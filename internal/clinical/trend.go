package clinical

import (
	"slices"
	"strings"
	"time"
)

// A result's trend: the patient's earlier values of the same test beside
// this one, so that a clinician filing a result sees whether it is new,
// rising or as it always is. Tests are the same when their names agree
// (ignoring case) and their units agree: a lab's report names its tests,
// and a value in another unit is another measure.

// Trend is one test's values over time, oldest first.
type Trend struct {
	Name, Unit string
	Points     []TrendPoint
}

// TrendPoint is one value: when (the report's date), the value, its
// range, whether outside it, and whether it is the result being read.
type TrendPoint struct {
	At                time.Time
	Value, Low, High  float64
	HasLow, HasHigh   bool
	Abnormal, Current bool
}

// MaxTrendPoints bounds a trend to the most recent values.
const MaxTrendPoints = 12

// Trends are the trends of current's numeric tests over earlier items of
// the same record (current itself among them is ignored): only tests with
// an earlier value, each with at most MaxTrendPoints, oldest first.
func Trends(current Incoming, earlier []Incoming) []Trend {
	var out []Trend
	for _, l := range current.Lines {
		if !l.Numeric {
			continue
		}
		t := Trend{Name: l.Name, Unit: l.Unit}
		for _, in := range earlier {
			if in.ID == current.ID && in.Type == current.Type {
				continue
			}
			at, ok := itemTime(in)
			if !ok {
				continue
			}
			for _, e := range in.Lines {
				if e.Numeric && sameTest(e, l) {
					t.Points = append(t.Points, pointOf(e, at, false))
				}
			}
		}
		if len(t.Points) == 0 {
			continue
		}
		at, ok := itemTime(current)
		if !ok {
			at = time.Now()
		}
		t.Points = append(t.Points, pointOf(l, at, true))
		slices.SortStableFunc(t.Points, func(a, b TrendPoint) int { return a.At.Compare(b.At) })
		if len(t.Points) > MaxTrendPoints {
			t.Points = t.Points[len(t.Points)-MaxTrendPoints:]
		}
		out = append(out, t)
	}
	return out
}

func sameTest(a, b ResultLine) bool {
	return strings.EqualFold(strings.TrimSpace(a.Name), strings.TrimSpace(b.Name)) && strings.EqualFold(a.Unit, b.Unit)
}

func pointOf(l ResultLine, at time.Time, current bool) TrendPoint {
	return TrendPoint{At: at, Value: l.Number, Low: l.Low, High: l.High, HasLow: l.HasLow, HasHigh: l.HasHigh, Abnormal: l.Abnormal, Current: current}
}

// itemTime is when a report was issued (or, failing that, received).
func itemTime(in Incoming) (time.Time, bool) {
	for _, s := range []string{in.Date, in.Received} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, true
		}
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
