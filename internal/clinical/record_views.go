package clinical

import (
	"slices"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// "Who has viewed my record", from the audit trail (AuditEvent, one per
// patient per request: the patient reads only the events about
// themselves), in plain words: who (a named clinician, a role, another
// organisation through GP Connect, a practice system), what they did
// (looked at, added to, changed), and when, one line per person per
// day with a count. A record opened in an emergency (break glass) says
// so. The patient's own visits, failed requests and sign-ins are left
// out: they are not someone else looking at the record.

// RecordView is one line: a person's access on one day.
type RecordView struct {
	Day time.Time
	// Who is in plain words ("Dr Anita Patel, a GP at your practice").
	Who string
	// What is what they did ("looked at your record").
	What  string
	Times int
	// Emergency: opened without the usual permission, with a reason.
	Emergency bool
	key       string
}

// Names resolves a Practitioner reference to a name ("" when unknown).
type Names func(ref string) string

var roleWords = map[string]string{
	"gp": "a GP", "nurse": "a nurse", "receptionist": "a receptionist", "practice-admin": "a practice administrator",
	"proxy": "someone you have allowed to act for you", "patient": "a patient",
}

var actionWords = map[string]string{"R": "looked at your record", "E": "searched your record", "C": "added to your record",
	"U": "changed your record", "D": "removed something from your record"}

// RecordViews reads AuditEvents into lines, newest first, leaving out
// the viewer's own (self is their username, the events' agent altId).
func RecordViews(events []fhir.Resource, self string, names Names) []RecordView {
	var out []RecordView
	index := map[string]int{}
	for _, e := range events {
		if str(e, "outcome") != "0" || isLogin(e) {
			continue
		}
		recorded, err := time.Parse(time.RFC3339, str(e, "recorded"))
		if err != nil {
			continue
		}
		agents := list(e, "agent")
		if len(agents) == 0 {
			continue
		}
		lead := agents[0]
		if str(lead, "altId") == self && self != "" {
			continue
		}
		who := agentWords(e, agents, names)
		what := actionWords[str(e, "action")]
		if what == "" {
			what = "used your record"
		}
		day := recorded.In(UKTime)
		day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, UKTime)
		emergency := hasBreakGlass(e)
		key := day.Format("2006-01-02") + "|" + who + "|" + what
		if emergency {
			key += "|emergency"
		}
		if i, ok := index[key]; ok {
			out[i].Times++
			continue
		}
		index[key] = len(out)
		out = append(out, RecordView{Day: day, Who: who, What: what, Times: 1, Emergency: emergency, key: key})
	}
	slices.SortStableFunc(out, func(a, b RecordView) int { return b.Day.Compare(a.Day) })
	return out
}

func isLogin(e fhir.Resource) bool {
	return str(mapOf(e["type"]), "code") == "110114"
}

func hasBreakGlass(e fhir.Resource) bool {
	for _, s := range list(e, "subtype") {
		if str(s, "code") == "break-glass" {
			return true
		}
	}
	return false
}

// agentWords says who made a request.
func agentWords(e fhir.Resource, agents []map[string]any, names Names) string {
	// GP Connect: the other organisation and its user.
	for _, a := range agents {
		if str(mapOf(a["type"]), "text") == "requesting organisation" {
			org := str(mapOf(a["who"]), "display")
			if org == "" {
				org = "another NHS organisation"
			}
			return "Someone at " + org + ", through GP Connect"
		}
	}
	lead := agents[0]
	role := str(mapOf(lead["type"]), "text")
	ref := str(mapOf(lead["who"]), "reference")
	switch {
	case role == "system":
		return "A practice computer system (for example, an import or a connected app)"
	case role == "gp-connect-consumer":
		return "Another NHS organisation, through GP Connect"
	case strings.HasPrefix(ref, "Practitioner/") && names != nil:
		if n := names(ref); n != "" {
			if w := roleWords[role]; w != "" {
				return n + ", " + w + " at your practice"
			}
			return n + ", at your practice"
		}
	}
	if w := roleWords[role]; w != "" {
		if role == "proxy" || role == "patient" {
			return strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.ToUpper(w[:1]) + w[1:] + " at your practice"
	}
	return "Someone at your practice"
}

// TimesLabel says how often, when more than once.
func (v RecordView) TimesLabel() string {
	switch {
	case v.Times <= 1:
		return ""
	case v.Times == 2:
		return "twice"
	}
	return itoaWords(v.Times) + " times"
}

func itoaWords(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
