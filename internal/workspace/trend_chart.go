package workspace

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// A result's trend drawn on the server as SVG (no script, so it prints
// and works with JavaScript off): values over time, the reference range
// as a band, the result being read marked, values outside the range in
// red and as a diamond (shape as well as colour). The title and
// description say the same in words, and the page lists the values as a
// table beside it.

var trendFuncs = template.FuncMap{"trendChart": trendChart, "trendValue": num,
	"ukDate": func(t time.Time) string { return t.In(clinical.UKTime).Format("2 January 2006") }}

const (
	chartW, chartH                     = 480.0, 200.0
	padL, padR, padT, padB             = 52.0, 20.0, 16.0, 40.0
	nhsBlue, nhsRed, nhsGrey, bandTint = "#005eb8", "#d5281b", "#4c6272", "#cce2d8"
)

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// trendChart draws t; id makes its title and description ids unique on
// the page.
func trendChart(t clinical.Trend, id string) template.HTML {
	pts := t.Points
	if len(pts) == 0 {
		return ""
	}
	last := pts[len(pts)-1]
	lo, hi := pts[0].Value, pts[0].Value
	for _, p := range pts {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	if last.HasLow {
		lo = min(lo, last.Low)
	}
	if last.HasHigh {
		hi = max(hi, last.High)
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	span := hi - lo
	lo, hi = lo-span*0.1, hi+span*0.1
	y := func(v float64) float64 { return padT + (hi-v)/(hi-lo)*(chartH-padT-padB) }
	t0, t1 := pts[0].At, last.At
	x := func(i int) float64 {
		w := chartW - padL - padR
		if d := t1.Sub(t0); d > 0 {
			return padL + float64(pts[i].At.Sub(t0))/float64(d)*w
		}
		if len(pts) == 1 {
			return padL + w/2
		}
		return padL + float64(i)/float64(len(pts)-1)*w
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	title := fmt.Sprintf("%s (%s) over time", t.Name, t.Unit)
	var words []string
	for _, p := range pts {
		w := num(p.Value) + " on " + p.At.In(clinical.UKTime).Format("2 Jan 2006")
		if p.Abnormal {
			w += " (outside the range)"
		}
		if p.Current {
			w += " (this result)"
		}
		words = append(words, w)
	}
	desc := fmt.Sprintf("%d values, oldest first: %s.", len(pts), strings.Join(words, "; "))
	if last.HasLow && last.HasHigh {
		desc += " Range " + num(last.Low) + " to " + num(last.High) + "."
	}
	fmt.Fprintf(&b, `<svg class="gp-trend" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title %s-desc" xmlns="http://www.w3.org/2000/svg">`,
		num(chartW), num(chartH), esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
	// The reference range, as a band.
	if last.HasLow || last.HasHigh {
		top, bottom := padT, chartH-padB
		if last.HasHigh {
			top = y(last.High)
		}
		if last.HasLow {
			bottom = y(last.Low)
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, padL, top, chartW-padL-padR, bottom-top, bandTint)
	}
	// Axes and the value scale: the lowest and highest values drawn.
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, padL, padT, padL, chartH-padB, nhsGrey)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, padL, chartH-padB, chartW-padR, chartH-padB, nhsGrey)
	for _, v := range []float64{lo + span*0.1, hi - span*0.1} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="14" text-anchor="end" fill="%s">%s</text>`, padL-6, y(v)+4, nhsGrey, esc(trimNum(v)))
	}
	// First and last dates (times, when they are the same day).
	layout := "2 Jan 2006"
	if t0.In(clinical.UKTime).Format(layout) == t1.In(clinical.UKTime).Format(layout) {
		layout = "2 Jan 15:04"
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="14" text-anchor="start" fill="%s">%s</text>`, padL, chartH-padB+20, nhsGrey, esc(t0.In(clinical.UKTime).Format(layout)))
	if len(pts) > 1 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="14" text-anchor="end" fill="%s">%s</text>`, chartW-padR, chartH-padB+20, nhsGrey, esc(t1.In(clinical.UKTime).Format(layout)))
	}
	// The line and its points.
	var line []string
	for i, p := range pts {
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Value)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(line, " "), nhsBlue)
	for i, p := range pts {
		cx, cy := x(i), y(p.Value)
		r := 4.0
		if p.Current {
			r = 6
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="10" fill="none" stroke="%s" stroke-width="2"/>`, cx, cy, nhsGrey)
		}
		if p.Abnormal {
			fmt.Fprintf(&b, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s"/>`, cx, cy-r-1, cx+r+1, cy, cx, cy+r+1, cx-r-1, cy, nhsRed)
		} else {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>`, cx, cy, r, nhsBlue)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// trimNum is a scale label: at most three significant decimals.
func trimNum(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}
