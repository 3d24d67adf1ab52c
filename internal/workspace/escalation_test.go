package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/portalnotice"
)

// TestEscalationInTeamQueue: an online request nobody picked up by 4pm
// becomes a task in the practice managers' team queue, saying only since
// when it waits (none of the patient's words).
func TestEscalationInTeamQueue(t *testing.T) {
	se := signedIn(t)
	ctx := context.Background()
	if _, err := se.s.Service.Create(ctx, "Group", clinical.GroupOf(clinical.Team{Name: "Practice managers",
		Members: []clinical.Ref{{Reference: se.principal.FHIRUser, Display: "Dr GP"}}}, se.practice.OrganizationID), ""); err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2026, 12, 1, 9, 5, 0, 0, time.UTC) // a Tuesday
	if _, err := se.s.Service.Create(ctx, "Task", fhir.Resource{"resourceType": "Task", "status": clinical.TaskRequested, "intent": "order", "priority": "routine",
		"code":        map[string]any{"coding": []any{map[string]any{"system": clinical.PortalTaskSystem, "code": clinical.TaskOnlineRequest}}},
		"description": "Health problem (days): a lump in my breast",
		"for":         map[string]any{"reference": "Patient/" + se.practice.Patients[0]},
		"owner":       map[string]any{"reference": "Organization/" + se.practice.OrganizationID},
		"authoredOn":  sent.Format(time.RFC3339)}, ""); err != nil {
		t.Fatal(err)
	}
	if n, err := (&portalnotice.Escalations{Service: se.s.Service}).Scan(ctx, time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)); err != nil || n != 1 {
		t.Fatalf("escalations: %d %v", n, err)
	}
	code, body, _ := se.rxGet(t, "/workspace/tasks/team")
	if code != 200 || !strings.Contains(body, "Online request waiting since 09:05") {
		t.Fatalf("the team queue (%d) lacks the escalation:\n%s", code, body)
	}
	if strings.Count(body, "lump") > 0 {
		t.Error("the escalation shows the patient's words in the task list")
	}
}
