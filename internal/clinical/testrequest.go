package clinical

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Test requests (E00432): a clinician asks the lab for tests; the
// request waits until a result naming its order number arrives, so that
// a result that never comes is noticed (the outstanding list). FHIR
// mapping: ServiceRequest intent order, category SNOMED 108252007
// Laboratory procedure, code.text the tests, identifier the order number
// (OrderNumberSystem, what the lab's report quotes in basedOn), priority,
// reasonCode, requester; status active (waiting) or completed (a result
// arrived).

// OrderNumberSystem is the identifier system of gpcloud's order numbers.
const OrderNumberSystem = "https://gpcloud.dev/fhir/Id/order-number"

// LabCategoryToken is the test requests' category as a search token.
const LabCategoryToken = SNOMED + "|108252007"

// outstandingAfter is how long a test request may wait for its result
// before it is listed as outstanding.
const outstandingAfter = 14 * 24 * time.Hour

// NewTestRequest is the form that requests tests.
type NewTestRequest struct {
	Tests, Reason, Urgency string
	Patient, Requester     Ref
}

// TestUrgencies are the choices of urgency.
var TestUrgencies = []Choice{{"routine", "Routine"}, {"urgent", "Urgent"}}

// Check validates the form.
func (n *NewTestRequest) Check() map[string]string {
	errs := map[string]string{}
	n.Tests, n.Reason = clean(n.Tests), clean(n.Reason)
	if n.Tests == "" {
		errs["tests"] = "Enter the tests, for example Full blood count"
	} else if len(n.Tests) > 500 {
		errs["tests"] = "The tests must be 500 characters or fewer"
	}
	if !choiceKnown(TestUrgencies, n.Urgency) {
		errs["urgency"] = "Select how urgent the tests are"
	}
	if len(n.Reason) > 1000 {
		errs["reason"] = "The reason must be 1000 characters or fewer"
	}
	return errs
}

// NewOrderNumber is a fresh order number for a request's form.
func NewOrderNumber() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "GP" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// Resource is the checked form as a ServiceRequest with its order number.
func (n *NewTestRequest) Resource(number string, now time.Time) fhir.Resource {
	sr := fhir.Resource{"resourceType": "ServiceRequest", "status": "active", "intent": "order",
		"category":   []any{codeable(SNOMED, "108252007", "Laboratory procedure", "")},
		"code":       map[string]any{"text": n.Tests},
		"identifier": []any{map[string]any{"system": OrderNumberSystem, "value": number}},
		"priority":   n.Urgency, "subject": refMap(n.Patient), "authoredOn": now.UTC().Format(time.RFC3339)}
	if n.Reason != "" {
		sr["reasonCode"] = []any{map[string]any{"text": n.Reason}}
	}
	if n.Requester.Reference != "" {
		sr["requester"] = refMap(n.Requester)
	}
	return sr
}

// TestRequest is a request as the screens show it.
type TestRequest struct {
	ID, Version, Number, Tests, Status, Priority string
	Authored                                     time.Time
	Patient                                      Ref
	// Requester is who asked for the tests.
	Requester Ref
}

// TestRequestOf reads a ServiceRequest test request.
func TestRequestOf(res fhir.Resource) TestRequest {
	r := TestRequest{ID: res.ID(), Version: versionOf(res), Tests: str(mapOf(res["code"]), "text"), Status: str(res, "status"),
		Priority: str(res, "priority"), Patient: refOf(res["subject"]), Requester: refOf(res["requester"])}
	for _, id := range list(res, "identifier") {
		if id["system"] == OrderNumberSystem {
			r.Number = str(id, "value")
		}
	}
	r.Authored, _ = time.Parse(time.RFC3339, str(res, "authoredOn"))
	return r
}

// StatusLabel is the request's status as the screen says it.
func (r TestRequest) StatusLabel() string {
	switch r.Status {
	case "active":
		return "Waiting for the result"
	case "completed":
		return "Result received"
	case "revoked":
		return "Cancelled"
	}
	return r.Status
}

// Outstanding reports a request still waiting for its result after 14
// days.
func (r TestRequest) Outstanding(now time.Time) bool {
	return r.Status == "active" && !r.Authored.IsZero() && now.Sub(r.Authored) > outstandingAfter
}

// OrderNumbers are the order numbers a lab's report quotes in basedOn.
func OrderNumbers(report fhir.Resource) []string {
	var out []string
	for _, b := range list(report, "basedOn") {
		if id := mapOf(b["identifier"]); id["system"] == OrderNumberSystem && str(id, "value") != "" {
			out = append(out, str(id, "value"))
		}
	}
	return out
}

// Fulfilled returns a copy of a request whose result has arrived, or
// false when it is not waiting.
func Fulfilled(req fhir.Resource) (fhir.Resource, bool) {
	if str(req, "status") != "active" {
		return nil, false
	}
	out := cloneResource(req)
	out["status"] = "completed"
	return out, true
}
