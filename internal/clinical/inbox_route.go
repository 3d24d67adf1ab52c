package clinical

import (
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Whose inbox a result lands in: the clinician who asked for the test
// (the practice's test request the report quotes, or the lab's named
// requester), else the patient's usual GP; when that clinician has left
// (their Practitioner is no longer active) or is away (an exception of
// their rota covers now: leave, sickness, training), the next of them,
// else nobody's in particular, so that every clinician sees it on the
// practice's list rather than it waiting for someone who is not there. Every item stays on the
// practice's list too: "for you" is a view, never the only way to it.

// InboxForSystem tags an item with the clinician it is for
// (code: a Practitioner reference; display: their name).
const InboxForSystem = "https://gpcloud.dev/fhir/CodeSystem/inbox-for"

// RouteCandidates are the clinicians an item could be for, in order of
// preference, each with whether they still work at the practice.
type RouteCandidates struct {
	Requester, LabRequester, UsualGP Ref
	// Active tells whether a Practitioner reference is of someone who
	// works here and is not away now (false for unknown, left or away).
	Active func(ref string) bool
}

// RouteFor chooses the clinician an item is for, or a zero Ref (the
// practice's list only) with why.
func RouteFor(c RouteCandidates) (Ref, string) {
	left := ""
	for _, r := range []Ref{c.Requester, c.LabRequester, c.UsualGP} {
		if !strings.HasPrefix(r.Reference, "Practitioner/") {
			continue
		}
		if c.Active != nil && !c.Active(r.Reference) {
			if left == "" {
				left = firstNonEmpty(r.Display, "The clinician") + " is away or no longer works here"
			}
			continue
		}
		if left != "" {
			// The requester has left: the usual GP has it instead.
			return r, left
		}
		return r, ""
	}
	return Ref{}, left
}

// UsualGP is a patient's usual GP (Patient.generalPractitioner, a
// Practitioner).
func UsualGP(p fhir.Resource) Ref {
	for _, gp := range list(p, "generalPractitioner") {
		if strings.HasPrefix(str(gp, "reference"), "Practitioner/") {
			return refOf(gp)
		}
	}
	return Ref{}
}

// WithInboxFor returns a copy of an item tagged as for a clinician (none:
// the tag removed).
func WithInboxFor(res fhir.Resource, to Ref) fhir.Resource {
	out := cloneResource(res)
	meta := mapOf(out["meta"])
	if meta == nil {
		meta = map[string]any{}
		out["meta"] = meta
	}
	var tags []any
	for _, t := range list(meta, "tag") {
		if t["system"] != InboxForSystem {
			tags = append(tags, t)
		}
	}
	if to.Reference != "" {
		tag := map[string]any{"system": InboxForSystem, "code": to.Reference}
		if to.Display != "" {
			tag["display"] = to.Display
		}
		tags = append(tags, tag)
	}
	meta["tag"] = tags
	return out
}

// InboxFor is the clinician an item is for, if any.
func InboxFor(res fhir.Resource) Ref {
	for _, t := range list(mapOf(res["meta"]), "tag") {
		if t["system"] == InboxForSystem {
			return Ref{Reference: str(t, "code"), Display: str(t, "display")}
		}
	}
	return Ref{}
}

// AwayAt tells whether one of a rota's exceptions covers t: the
// clinician is away (leave, sickness, training).
func AwayAt(exceptions []Exception, t time.Time) bool {
	for _, e := range exceptions {
		if !t.Before(e.From) && t.Before(e.To) {
			return true
		}
	}
	return false
}
