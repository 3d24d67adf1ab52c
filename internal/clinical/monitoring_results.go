package clinical

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The latest results of a high-risk drug's monitoring (CLINICAL.md
// Prescribing 1: methotrexate, lithium, warfarin and DOACs, DMARDs). The
// monitoring warning said which tests a drug needs and left the
// prescriber to go and look; now it reads them: for each test, the
// newest result in the record and whether it is within the test's
// interval. An overdue or missing test raises the warning to high, so
// that it stands out from the reminder every issue of such a drug gets
// (alert tiers, not more alerts: the results go into the one monitoring
// warning). The text names how many weeks ago the last result was, so a
// repeat's override recorded at one issue does not silence the warning
// at the next once the test has fallen further behind (IssueWarnings
// drops warnings whose text was overridden before).

// MonitoringTest is a test a high-risk drug needs: the results that
// answer it, by LOINC code or by the words of the result's name, and
// how often, in weeks.
type MonitoringTest struct {
	Name  string
	LOINC []string
	// Terms are lower-case words or phrases, matched as whole words in
	// the result's name (its text, or a coding's display).
	Terms []string
	Weeks int
}

// MonitoringTester is a KnowledgeBase that names the tests of a
// high-risk drug, so that the checks can read their latest results.
type MonitoringTester interface {
	MonitoringTests(m Medicine) []MonitoringTest
}

// MonitoringTestsOf are the tests the knowledge base names for the
// medicines, nil when none is high-risk: the caller reads the patient's
// results only then (SafetyInput.Results).
func MonitoringTestsOf(ix Interactions, ms ...Medicine) []MonitoringTest {
	mt, ok := ix.(MonitoringTester)
	if !ok {
		return nil
	}
	var out []MonitoringTest
	for _, m := range ms {
		out = append(out, mt.MonitoringTests(m)...)
	}
	return out
}

// LatestResult is the newest result answering a test, zero when none.
type LatestResult struct {
	Value string
	When  time.Time
}

// latestResultOf finds the newest final result answering the test.
// Results entered in error, cancelled or preliminary do not answer it.
func latestResultOf(t MonitoringTest, results []fhir.Resource) LatestResult {
	var best LatestResult
	for _, o := range results {
		if !slices.Contains([]string{"final", "amended", "corrected"}, str(o, "status")) || !answers(t, o["code"]) {
			continue
		}
		when := resultTime(o)
		if when.IsZero() || !when.After(best.When) {
			continue
		}
		best = LatestResult{Value: resultValue(o), When: when}
	}
	return best
}

// answers reports a result's code answering the test: a LOINC code of
// the test, or a name with one of its terms as whole words.
func answers(t MonitoringTest, code any) bool {
	c := mapOf(code)
	names := []string{str(c, "text")}
	for _, cd := range list(c, "coding") {
		if str(cd, "system") == "http://loinc.org" && slices.Contains(t.LOINC, str(cd, "code")) {
			return true
		}
		names = append(names, str(cd, "display"))
	}
	for _, n := range names {
		words := " " + strings.Join(strings.FieldsFunc(strings.ToLower(n), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}), " ") + " "
		for _, term := range t.Terms {
			if strings.Contains(words, " "+term+" ") {
				return true
			}
		}
	}
	return false
}

// resultTime is when a result was taken (effective), else issued:
// EntryDate's parsing, in the order that matters here (EntryDate takes
// issued first, the day the laboratory reported it).
func resultTime(o fhir.Resource) time.Time {
	for _, s := range []string{str(o, "effectiveDateTime"), str(mapOf(o["effectivePeriod"]), "start"), str(o, "issued")} {
		if t, ok := parseWhen(s); ok {
			return t
		}
	}
	return time.Time{}
}

// resultValue is a result's value as the laboratory gave it: every
// digit kept (a lithium level of 0.45 is not 0.5, as quantityText would
// round it).
func resultValue(o fhir.Resource) string {
	if q := mapOf(o["valueQuantity"]); q != nil {
		if q["value"] == nil {
			return ""
		}
		s := str(q, "comparator") + numberText(q["value"])
		if u := firstStr(q, "unit", "code"); u != "" {
			s += " " + u
		}
		return s
	}
	if s := str(o, "valueString"); s != "" {
		return s
	}
	return conceptText(o["valueCodeableConcept"])
}

// withLatestResults adds the latest result of each test to the drug's
// monitoring warning, raising it to high when a test is overdue or was
// never done.
func withLatestResults(ws []Warning, tests []MonitoringTest, results []fhir.Resource, now time.Time) []Warning {
	if len(tests) == 0 {
		return ws
	}
	i := slices.IndexFunc(ws, func(w Warning) bool { return w.Kind == "monitoring" })
	if i < 0 {
		return ws
	}
	var parts []string
	overdue := false
	for _, t := range tests {
		r := latestResultOf(t, results)
		switch {
		case r.When.IsZero():
			overdue = true
			parts = append(parts, fmt.Sprintf("No %s result is recorded.", t.Name))
		case now.Sub(r.When) > time.Duration(t.Weeks)*7*24*time.Hour:
			overdue = true
			parts = append(parts, fmt.Sprintf("Overdue: no %s result in the last %d weeks; the latest, %s, was on %s (%d weeks ago).",
				t.Name, t.Weeks, valueOrResult(r.Value), r.When.In(London).Format("02-Jan-2006"), int(now.Sub(r.When).Hours()/24/7)))
		default:
			parts = append(parts, fmt.Sprintf("Latest %s: %s on %s.", t.Name, valueOrResult(r.Value), r.When.In(London).Format("02-Jan-2006")))
		}
	}
	ws = slices.Clone(ws)
	ws[i].Text += " " + strings.Join(parts, " ")
	if overdue {
		ws[i].Severity = "high"
	}
	return ws
}

func valueOrResult(v string) string {
	if v == "" {
		return "a result with no value"
	}
	return v
}
