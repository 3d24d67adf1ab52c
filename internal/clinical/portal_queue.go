package clinical

import (
	"fmt"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The practice's queue of online requests: how long each has waited,
// when it must be escalated, and what the practice answers. A request
// that nobody picks up is the hazard (H-1010: a home visit request found
// at 6.20pm), so the queue counts the time each has waited in core hours
// and raises it:
//   - "waiting": nobody has started it after two core hours;
//   - "escalate": nobody has started it, it came in before 4pm and it is
//     now 4pm or later on a working day: it must be seen before the
//     practice closes at 6:30pm;
//   - "overdue": it is past the reply-by time the patient was given
//     (ReplyBy: the end of the next working day).
// The levels are worked out from the Task's dates each time the queue is
// read, so nothing has to run on a timer for the queue to be right.

// Queue-age levels, least to most pressing.
const (
	AgeNew      = "new"
	AgeWaiting  = "waiting"
	AgeEscalate = "escalate"
	AgeOverdue  = "overdue"
)

// QueueAge is how a request in the queue stands.
type QueueAge struct {
	Level string
	// Waited is the time since it was sent, as people say it.
	Waited string
	// Why says what the level means, for the screen.
	Why string
}

// Rank orders levels: overdue first.
func (a QueueAge) Rank() int {
	return map[string]int{AgeOverdue: 0, AgeEscalate: 1, AgeWaiting: 2, AgeNew: 3}[a.Level]
}

// RequestQueueAge works out a request's level from when it was sent and
// whether someone has started it.
func RequestQueueAge(sent, now time.Time, started bool) QueueAge {
	a := QueueAge{Level: AgeNew, Waited: waitedLabel(now.Sub(sent))}
	s, n := sent.In(UKTime), now.In(UKTime)
	due := replyDeadline(s)
	if n.After(due) {
		a.Level, a.Why = AgeOverdue, "Past the reply-by time given to the patient ("+due.Format("3:04pm Monday 2 January")+")"
		return a
	}
	if started {
		return a
	}
	fourPM := time.Date(n.Year(), n.Month(), n.Day(), 16, 0, 0, 0, UKTime)
	if InCoreHours(n) && !n.Before(fourPM) && s.Before(fourPM) {
		a.Level, a.Why = AgeEscalate, "Not picked up, and the practice closes at 6:30pm"
		return a
	}
	if coreMinutes(s, n) >= 120 {
		a.Level, a.Why = AgeWaiting, "Not picked up for more than 2 hours of opening time"
	}
	return a
}

// replyDeadline is 18:30 on the working day after the request came in
// (a request in core hours), or on the first working day after it
// (outside core hours: the practice reads it when it opens).
func replyDeadline(s time.Time) time.Time {
	d := s
	if InCoreHours(s) {
		d = nextWorkingDay(s)
	} else {
		if s.Weekday() == time.Saturday || s.Weekday() == time.Sunday || s.Hour()*60+s.Minute() >= 18*60+30 {
			d = nextWorkingDay(s)
		}
		d = nextWorkingDay(d)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 18, 30, 0, 0, UKTime)
}

// coreMinutes counts the minutes of core hours between from and to.
func coreMinutes(from, to time.Time) int {
	n := 0
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, UKTime); !day.After(to); day = day.AddDate(0, 0, 1) {
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		open := time.Date(day.Year(), day.Month(), day.Day(), 8, 0, 0, 0, UKTime)
		shut := time.Date(day.Year(), day.Month(), day.Day(), 18, 30, 0, 0, UKTime)
		start, end := maxTime(open, from), minTime(shut, to)
		if end.After(start) {
			n += int(end.Sub(start) / time.Minute)
		}
	}
	return n
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// waitedLabel is a duration as people say it: "45 minutes", "3 hours",
// "2 days".
func waitedLabel(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

// Outcomes of an online request: what the practice does, each told to
// the patient in a message.
const (
	OutcomeMessage     = "message"
	OutcomeAppointment = "appointment"
	OutcomePhone       = "phone"
)

// RequestOutcomes are the choices, as the screen says them.
var RequestOutcomes = []Choice{
	{OutcomeMessage, "Reply with a message"},
	{OutcomeAppointment, "Offer an appointment"},
	{OutcomePhone, "Arrange a phone call"},
}

// outcomeDone is what the request's record says was done.
var outcomeDone = map[string]string{
	OutcomeMessage:     "Replied by message",
	OutcomeAppointment: "Appointment offered",
	OutcomePhone:       "Phone call arranged",
}

// RequestAnswer is the practice's answer to an online request.
type RequestAnswer struct {
	Outcome string
	Reply   Reply
}

// Check returns what is wrong, by field id.
func (a RequestAnswer) Check() map[string]string {
	errs := a.Reply.Check()
	if _, ok := outcomeDone[a.Outcome]; !ok {
		errs["outcome-"+OutcomeMessage] = "Select what the practice will do"
	}
	return errs
}

// Resources returns the reply to the patient and the request's Task
// completed with the outcome (its businessStatus and a note), for one
// transaction: the request and its outcome are both in the record.
func (a RequestAnswer) Resources(task fhir.Resource, now time.Time) (reply, done fhir.Resource) {
	a.Reply.About = "Task/" + task.ID()
	reply = a.Reply.Resource(now)
	done = cloneResource(task)
	stamp := now.UTC().Format(time.RFC3339)
	done["status"] = TaskCompleted
	done["businessStatus"] = map[string]any{"text": outcomeDone[a.Outcome]}
	done["lastModified"] = stamp
	note := map[string]any{"time": stamp, "text": outcomeDone[a.Outcome] + ": " + strings.TrimSpace(a.Reply.Text)}
	if a.Reply.From.Reference != "" {
		note["authorReference"] = map[string]any{"reference": a.Reply.From.Reference, "display": a.Reply.From.Display}
	} else {
		note["authorString"] = a.Reply.From.Display
	}
	done["note"] = append(anyList(done["note"]), note)
	return reply, done
}

// OutcomeOf is what the practice did about a request, or "".
func OutcomeOf(task fhir.Resource) string {
	return str(mapOf(task["businessStatus"]), "text")
}
