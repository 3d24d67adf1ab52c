package clinical

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestTestRequests(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		n     NewTestRequest
		field string
	}{
		{NewTestRequest{Tests: "Full blood count", Urgency: "routine"}, ""},
		{NewTestRequest{Tests: " ", Urgency: "routine"}, "tests"},
		{NewTestRequest{Tests: "U&E", Urgency: "soon"}, "urgency"},
	} {
		errs := c.n.Check()
		if (c.field == "") != (len(errs) == 0) || (c.field != "" && errs[c.field] == "") {
			t.Errorf("%+v: %v", c.n, errs)
		}
	}
	n := NewTestRequest{Tests: "Full blood count", Urgency: "urgent", Patient: Ref{Reference: "Patient/p1"}}
	num := NewOrderNumber()
	if len(num) != 12 || num == NewOrderNumber() {
		t.Errorf("order number %q", num)
	}
	res := n.Resource(num, now)
	r := TestRequestOf(res)
	if r.Number != num || r.Tests != "Full blood count" || r.StatusLabel() != "Waiting for the result" {
		t.Fatalf("%+v", r)
	}
	if r.Outstanding(now.AddDate(0, 0, 14)) || !r.Outstanding(now.AddDate(0, 0, 15)) {
		t.Error("outstanding after 14 days, not before")
	}
	report := fhir.Resource{"basedOn": []any{map[string]any{"identifier": map[string]any{"system": OrderNumberSystem, "value": num}}, map[string]any{"reference": "ServiceRequest/x"}}}
	if got := OrderNumbers(report); len(got) != 1 || got[0] != num {
		t.Errorf("order numbers %v", got)
	}
	done, ok := Fulfilled(res)
	if !ok || TestRequestOf(done).StatusLabel() != "Result received" {
		t.Fatal("not fulfilled")
	}
	if _, ok := Fulfilled(done); ok {
		t.Error("fulfilled twice")
	}
}
