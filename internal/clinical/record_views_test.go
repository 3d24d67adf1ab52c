package clinical

import (
	"testing"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func auditEvent(recorded, action, outcome string, agents ...map[string]any) fhir.Resource {
	var as []any
	for _, a := range agents {
		as = append(as, a)
	}
	return fhir.Resource{"resourceType": "AuditEvent", "recorded": recorded, "action": action, "outcome": outcome, "agent": as,
		"type": map[string]any{"code": "rest"}}
}

func agent(role, ref, altID string) map[string]any {
	a := map[string]any{"requestor": true, "type": map[string]any{"text": role}, "altId": altID}
	if ref != "" {
		a["who"] = map[string]any{"reference": ref}
	}
	return a
}

// The audit trail in plain words: named clinicians, roles, GP Connect,
// break glass; a person's views on one day counted on one line; the
// patient's own visits, failures and sign-ins left out.
func TestRecordViews(t *testing.T) {
	names := func(ref string) string {
		if ref == "Practitioner/d1" {
			return "Dr Anita Patel"
		}
		return ""
	}
	glass := auditEvent("2026-11-30T10:00:00Z", "R", "0", agent("gp", "Practitioner/d1", "dr"))
	glass["subtype"] = []any{map[string]any{"code": "read"}, map[string]any{"code": "break-glass"}}
	login := auditEvent("2026-11-30T09:00:00Z", "E", "0", agent("receptionist", "", "desk"))
	login["type"] = map[string]any{"code": "110114"}
	events := []fhir.Resource{
		auditEvent("2026-12-01T09:00:00Z", "R", "0", agent("gp", "Practitioner/d1", "dr")),
		auditEvent("2026-12-01T09:05:00Z", "R", "0", agent("gp", "Practitioner/d1", "dr")),
		auditEvent("2026-12-01T09:10:00Z", "R", "0", agent("gp", "Practitioner/d1", "dr")),
		auditEvent("2026-12-01T10:00:00Z", "U", "0", agent("receptionist", "", "desk")),
		auditEvent("2026-12-01T11:00:00Z", "R", "0", agent("patient", "Patient/p1", "me")),   // their own
		auditEvent("2026-12-01T11:30:00Z", "R", "4", agent("nurse", "Practitioner/n1", "n")), // refused
		auditEvent("2026-12-01T12:00:00Z", "R", "0", agent("proxy", "", "mum")),
		auditEvent("2026-12-01T13:00:00Z", "R", "0", agent("gp-connect-consumer", "", "x"),
			map[string]any{"requestor": false, "type": map[string]any{"text": "requesting organisation"}, "who": map[string]any{"display": "Leeds Teaching Hospitals"}}),
		auditEvent("2026-12-01T14:00:00Z", "C", "0", agent("system", "", "")),
		glass, login,
	}
	got := RecordViews(events, "me", names)
	want := []struct{ who, what, times string }{
		{"Dr Anita Patel, a GP at your practice", "looked at your record", "3 times"},
		{"A receptionist at your practice", "changed your record", ""},
		{"Someone you have allowed to act for you", "looked at your record", ""},
		{"Someone at Leeds Teaching Hospitals, through GP Connect", "looked at your record", ""},
		{"A practice computer system (for example, an import or a connected app)", "added to your record", ""},
		{"Dr Anita Patel, a GP at your practice", "looked at your record", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Who != w.who || got[i].What != w.what || got[i].TimesLabel() != w.times {
			t.Errorf("line %d: %q %q %q, want %+v", i, got[i].Who, got[i].What, got[i].TimesLabel(), w)
		}
	}
	if !got[5].Emergency || got[0].Emergency {
		t.Error("break glass not marked, or marked on the wrong line")
	}
}
