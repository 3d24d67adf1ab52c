package clinical

import (
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// What the practice pushes when something in the portal needs someone:
//   - a reply notice: the patient (or, for a child, a parent) is told by
//     email or text that the practice has replied to a message or an
//     online request. The notice says nothing of what the reply says, nor
//     whom it is about: an email box or a phone is often shared, and
//     the reply itself is read after signing in (H-1016);
//   - an escalation task: an online request that reaches Escalate or
//     Overdue on the queue (RequestQueueAge) becomes a Task for the
//     practice's managers, once per request and level, so that a request
//     nobody has picked up is pushed to someone rather than waiting for
//     someone to open the queue (H-1010, H-1017).

// ReplyNoticeText is the whole of a reply notice, by email and by text.
const ReplyNoticeText = "You have a new message from your GP surgery. Sign in to read it."

// ReplyNoticeSubject is its email's subject.
const ReplyNoticeSubject = "You have a new message from your GP surgery"

// ReplyNotice is one notice to send.
type ReplyNotice struct {
	Channel, To string
	// Parent: it goes to a parent of a child under 16.
	Parent bool
}

// ReplyNoticeBody is the notice's text with the portal's address.
func ReplyNoticeBody(portalURL string) string {
	if portalURL == "" {
		return ReplyNoticeText
	}
	return ReplyNoticeText + "\n\n" + portalURL
}

// ReplyNotices returns whom a practice reply to patient is told of, and
// how: nobody for a patient who has died; for a patient aged 16 or over,
// their own email and mobile that carry consent to contact; for a child
// under 16, the consented email and mobile of parents (the RelatedPersons
// ParentProxies found), never the child's own, and nothing when there is
// no parent to tell (the child sees the reply when they sign in). A
// patient without a usable date of birth is treated as a child.
func ReplyNotices(patient fhir.Resource, parents []fhir.Resource, now time.Time) []ReplyNotice {
	if patient == nil || patient["deceasedBoolean"] == true || patient["deceasedDateTime"] != nil {
		return nil
	}
	var out []ReplyNotice
	seen := map[string]bool{}
	add := func(cs []contact, parent bool) {
		for _, c := range cs {
			if k := c.channel + "|" + strings.ToLower(c.to); !seen[k] {
				seen[k] = true
				out = append(out, ReplyNotice{Channel: c.channel, To: c.to, Parent: parent})
			}
		}
	}
	if b, err := time.Parse("2006-01-02", str(patient, "birthDate")); err == nil && !b.AddDate(16, 0, 0).After(now.In(UKTime)) {
		add(contactChannels(patient), false)
		return out
	}
	for _, p := range parents {
		add(contactChannels(p), true)
	}
	return out
}

// ParentProxies returns the RelatedPersons (references) to tell of a
// reply to a child born on birthDate, from the child's Consents: each
// proxy's current grant, on the basis of parental responsibility, that
// gives them the child's messages now (ProxyAccess: not refused, not
// ended, within the age rules). A proxy without a RelatedPerson has no
// contact details in the record and is not told.
func ParentProxies(consents []fhir.Resource, birthDate string, now time.Time) []string {
	latest := map[string]fhir.Resource{}
	var order []string
	for _, c := range consents {
		if !IsProxyGrant(c) {
			continue
		}
		g := ProxyGrantOf(c)
		prev, ok := latest[g.Proxy]
		if !ok {
			order = append(order, g.Proxy)
		}
		if !ok || g.Given.After(ProxyGrantOf(prev).Given) {
			latest[g.Proxy] = c
		}
	}
	var out []string
	for _, proxy := range order {
		c := latest[proxy]
		g := ProxyGrantOf(c)
		if g.Basis != BasisParent {
			continue
		}
		if ok, _ := ProxyAccess(&g, birthDate, ServiceMessages, now); !ok {
			continue
		}
		for _, a := range list(mapOf(c["provision"]), "actor") {
			if ref := str(mapOf(a["reference"]), "reference"); strings.HasPrefix(ref, "RelatedPerson/") {
				out = append(out, ref)
			}
		}
	}
	return out
}

// ReplyNoticeFor reports whether a Communication is a practice reply a
// patient is told of: a practice reply, sent (not entered in error).
func ReplyNoticeFor(res fhir.Resource) (patientID string, ok bool) {
	if MessageKindOf(res) != MessagePractice {
		return "", false
	}
	if s := str(res, "status"); s == "entered-in-error" || s == "not-done" {
		return "", false
	}
	id, found := strings.CutPrefix(str(mapOf(res["subject"]), "reference"), "Patient/")
	return id, found && id != ""
}

// EscalationSystem identifies an escalation Task: its value is the
// request's id and the level ("<id>:escalate"), so each request raises
// one Task per level, whichever replica scans first.
const EscalationSystem = "https://gpcloud.dev/fhir/sid/request-escalation"

// TaskRequestEscalation is the portal-task code of an escalation Task.
const TaskRequestEscalation = "request-escalation"

// EscalationTeamWords name the team an escalation goes to, in order: the
// practice managers, else the practice's admin or reception team.
var EscalationTeamWords = []string{"manag", "admin", "reception"}

// EscalationTeam picks the team escalations go to from the practice's
// teams: the first whose name says it manages, else admin, else
// reception; none when the practice has no such team (the Task then
// waits in the practice's task list for anyone, unassigned).
func EscalationTeam(teams []Team) (Ref, bool) {
	for _, w := range EscalationTeamWords {
		for _, t := range teams {
			if strings.Contains(strings.ToLower(t.Name), w) {
				return Ref{Reference: "Group/" + t.ID, Display: t.Name}, true
			}
		}
	}
	return Ref{}, false
}

// Escalation returns the Task that pushes an online request that waits
// too long, with its identifier value, or nil when the request's level
// (RequestQueueAge) is below Escalate or it is closed. Its description
// says only since when the request waits: no answer, no urgency, nothing
// clinical (the Task list is read by non-clinical staff and the title
// shows in lists); the request itself is its focus.
func Escalation(request fhir.Resource, team Ref, now time.Time) (task fhir.Resource, key string) {
	t := TaskOf(request)
	if !t.Open() || t.Authored.IsZero() {
		return nil, ""
	}
	age := RequestQueueAge(t.Authored, now, t.Status == TaskInProgress)
	if age.Level != AgeEscalate && age.Level != AgeOverdue {
		return nil, ""
	}
	key = t.ID + ":" + age.Level
	since := t.Authored.In(UKTime)
	desc := "Online request waiting since " + since.Format("15:04")
	if n := now.In(UKTime); since.YearDay() != n.YearDay() || since.Year() != n.Year() {
		desc += " on " + since.Format("Monday 2 January")
	}
	priority, label := "urgent", "Escalate"
	if age.Level == AgeOverdue {
		priority, label = "asap", "Overdue"
	}
	stamp := now.UTC().Format(time.RFC3339)
	task = fhir.Resource{"resourceType": "Task", "status": TaskRequested, "intent": "order", "priority": priority,
		"identifier":     []any{map[string]any{"system": EscalationSystem, "value": key}},
		"code":           map[string]any{"coding": []any{map[string]any{"system": PortalTaskSystem, "code": TaskRequestEscalation, "display": "Online request escalated"}}, "text": "Online request escalated"},
		"description":    desc,
		"businessStatus": map[string]any{"text": label},
		"focus":          map[string]any{"reference": "Task/" + t.ID, "display": "Online request"},
		"authoredOn":     stamp, "lastModified": stamp,
		"restriction": map[string]any{"period": map[string]any{"end": now.In(UKTime).Format("2006-01-02")}},
	}
	if t.Patient.Reference != "" {
		task["for"] = refMap(t.Patient)
	}
	setAssignee(task, Ref{}, team)
	return task, key
}
