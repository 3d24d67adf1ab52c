package workspace

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// TestTrendChart: the chart is well-formed SVG whatever the values (one,
// equal, at the same moment), names itself in words, and escapes a
// lab's test name.
func TestTrendChart(t *testing.T) {
	day := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	p := func(d int, v float64, cur bool) clinical.TrendPoint {
		return clinical.TrendPoint{At: day.AddDate(0, 0, d), Value: v, Low: 115, High: 165, HasLow: true, HasHigh: true, Abnormal: v < 115, Current: cur}
	}
	for name, tr := range map[string]clinical.Trend{
		"falling":  {Name: "Haemoglobin", Unit: "g/L", Points: []clinical.TrendPoint{p(0, 140, false), p(10, 120, false), p(20, 98, true)}},
		"one":      {Name: "Haemoglobin", Unit: "g/L", Points: []clinical.TrendPoint{p(0, 140, true)}},
		"equal":    {Name: "Haemoglobin", Unit: "g/L", Points: []clinical.TrendPoint{{At: day, Value: 5}, {At: day, Value: 5, Current: true}}},
		"odd name": {Name: `<b>"K+" & Na</b>`, Unit: "mmol/L", Points: []clinical.TrendPoint{p(0, 4, false), p(1, 5, true)}},
		"no range": {Name: "eGFR", Unit: "mL/min", Points: []clinical.TrendPoint{{At: day, Value: 80}, {At: day.Add(time.Hour), Value: 60, Current: true}}},
	} {
		svg := string(trendChart(tr, "c"))
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("%s: not well-formed: %v\n%s", name, err, svg)
		}
		if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "<title id=\"c-title\">") || strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Errorf("%s: %s", name, svg)
		}
		if strings.Contains(svg, "<b>") {
			t.Errorf("%s: the test name is not escaped", name)
		}
	}
}
