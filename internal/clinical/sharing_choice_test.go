package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Recording and withdrawing a dissent: what the form accepts, the
// Consent it writes, and that GPConnectSharing reads it back.
func TestSharingChange(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	gp := Ref{Reference: "Practitioner/gp1", Display: "Dr Aisha Khan"}
	none := SharingChoice{}
	dissent := SharingChoice{Recorded: true, Dissent: true}
	withdrawn := SharingChoice{Recorded: true}
	checks := []struct {
		name    string
		change  SharingChange
		current SharingChoice
		field   string
	}{
		{"dissent, none recorded", SharingChange{Choice: ShareDissent}, none, ""},
		{"dissent again", SharingChange{Choice: ShareDissent}, dissent, "choice"},
		{"withdraw", SharingChange{Choice: ShareAllowed}, dissent, ""},
		{"withdraw with none recorded", SharingChange{Choice: ShareAllowed}, none, "choice"},
		{"withdraw after withdrawing", SharingChange{Choice: ShareAllowed}, withdrawn, "choice"},
		{"dissent after withdrawing", SharingChange{Choice: ShareDissent}, withdrawn, ""},
		{"no answer", SharingChange{}, none, "choice"},
		{"unknown answer", SharingChange{Choice: "maybe"}, none, "choice"},
		{"long note", SharingChange{Choice: ShareDissent, Note: strings.Repeat("x", 501)}, none, "note"},
	}
	for _, c := range checks {
		errs := c.change.Check(c.current)
		if c.field == "" && len(errs) > 0 || c.field != "" && errs[c.field] == "" {
			t.Errorf("%s: %v", c.name, errs)
		}
	}

	// Recorded, read back, shared no more; withdrawn, shared again.
	res := SharingChange{Choice: ShareDissent, Note: "Phoned the practice"}.Resource(nil, "p1", "org1", gp, now)
	res["id"], res["meta"] = "c1", map[string]any{"versionId": "1", "lastUpdated": now.Format(time.RFC3339)}
	got := SharingChoiceOf([]fhir.Resource{res}, now)
	if !got.Dissent || got.RecordedBy != "Dr Aisha Khan" || !got.When.Equal(now) || got.Note != "Phoned the practice" || got.ID != "c1" || got.Version != "1" {
		t.Errorf("dissent read back as %+v", got)
	}
	if !dissents(res, now) {
		t.Error("GPConnectSharing does not read the recorded dissent")
	}
	later := now.Add(48 * time.Hour)
	back := SharingChange{Choice: ShareAllowed}.Resource(res, "p1", "org1", Ref{Display: "Sam Reception"}, later)
	back["meta"] = map[string]any{"versionId": "2", "lastUpdated": later.Format(time.RFC3339)}
	if back.ID() != "c1" || dissents(back, later) {
		t.Errorf("withdrawal %v", back)
	}
	got = SharingChoiceOf([]fhir.Resource{back}, later)
	if got.Dissent || !got.Recorded || got.RecordedBy != "Sam Reception" || !got.When.Equal(later) {
		t.Errorf("withdrawal read back as %+v", got)
	}
	// Other Consents are not the sharing choice; an active dissent
	// outweighs a later withdrawn one.
	other := fhir.Resource{"resourceType": "Consent", "id": "x", "status": "active", "category": []any{map[string]any{"coding": []any{map[string]any{"system": ProxyGrantSystem, "code": "proxy-access"}}}}}
	if got := SharingChoiceOf([]fhir.Resource{other}, now); got.Recorded {
		t.Errorf("a proxy grant read as a sharing choice: %+v", got)
	}
	if got := SharingChoiceOf([]fhir.Resource{res, back}, later); !got.Dissent {
		t.Errorf("an active dissent beside a withdrawn one: %+v", got)
	}
}
