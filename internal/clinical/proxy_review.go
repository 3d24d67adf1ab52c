package clinical

import "time"

// A proxy's access to a child stops on the child's 11th birthday until
// the practice reviews it (ProxyAccess: from 11 only a grant given on or
// after the birthday counts). So that the review happens before a
// parent finds the services gone, the practice's worklist lists every
// proxy for a child who turns 11 within 30 days, or has turned 11 and is
// not yet 16, whose current decision predates the birthday (or who has
// none, which is read as parental responsibility). A refusal or an ended
// grant needs nothing; a grant given on or after the 11th birthday is
// the review done.

// ReviewWindow is how long before the 11th birthday a proxy is listed.
const ReviewWindow = 30 * 24 * time.Hour

// ElevenReview says whether a proxy's access to a patient born on
// birthDate needs the practice's review, and the 11th birthday; g is the
// proxy's current grant, or nil when none is recorded.
func ElevenReview(g *ProxyGrant, birthDate string, now time.Time) (bool, time.Time) {
	birth, err := time.Parse("2006-01-02", birthDate)
	if err != nil {
		return false, time.Time{}
	}
	eleventh := time.Date(birth.Year()+11, birth.Month(), birth.Day(), 0, 0, 0, 0, UKTime)
	n := now.In(UKTime)
	if n.Before(eleventh.Add(-ReviewWindow)) || ageYears(birth, n) >= 16 {
		return false, eleventh
	}
	if g != nil && (g.Refused || g.Ended || !g.Given.Before(eleventh)) {
		return false, eleventh
	}
	return true, eleventh
}
