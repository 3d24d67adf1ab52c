package clinical

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

func TestNewReferralCheck(t *testing.T) {
	ok := NewReferral{Service: "Leeds Teaching Hospitals, breast clinic", Type: "assessment", Urgency: "usc", Reason: "Breast lump"}
	cases := []struct {
		name  string
		edit  func(*NewReferral)
		field string
	}{
		{"valid", func(*NewReferral) {}, ""},
		{"a coded reason alone", func(n *NewReferral) { n.Reason, n.ReasonCode = "", Concept{"89164003", "Breast lump"} }, ""},
		{"no service", func(n *NewReferral) { n.Service = " " }, "service"},
		{"no type", func(n *NewReferral) { n.Type = "" }, "type"},
		{"unknown urgency", func(n *NewReferral) { n.Urgency = "whenever" }, "urgency"},
		{"no reason", func(n *NewReferral) { n.Reason = "" }, "reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := ok
			c.edit(&n)
			errs := n.Check()
			if (c.field == "") != (len(errs) == 0) || (c.field != "" && errs[c.field] == "") {
				t.Fatalf("errors %v", errs)
			}
		})
	}
}

func TestReferralResourceAndLetter(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	n := NewReferral{Service: "Breast clinic", Recipient: "Ms Khan", Type: "assessment", Urgency: "usc", Reason: "Breast lump",
		Supporting: "Found two weeks ago.", Requester: Ref{Reference: "Practitioner/gp", Display: "Dr Anita Patel"}, Patient: Ref{Reference: "Patient/p1", Display: "JONES, Olivia"}}
	sr := n.Resource("urn:uuid:letter", now)
	sr["id"] = "sr1"
	r := ReferralOf(sr)
	if !r.USC || sr["priority"] != "asap" || r.Service != "Breast clinic" || r.Recipient != "Ms Khan" || r.Reason != "Breast lump" ||
		r.Supporting != "Found two weeks ago." || r.Status != "active" || r.StatusLabel() != "Waiting to be sent through e-RS" {
		t.Fatalf("referral %+v", r)
	}
	s := Summary{ActiveProblems: []Entry{{Text: "Asthma", Date: "01-Jan-2020"}}, Repeats: []Entry{{Text: "Salbutamol inhaler"}}, Allergies: []Entry{{Text: "Penicillin", Detail: "Rash"}}}
	text := ReferralLetter(n, Banner{Name: "JONES, Olivia", BirthDate: "24-May-2010", NHSNumber: "999 000 0018"}, s, "Riverside Surgery", now)
	for _, want := range []string{"URGENT SUSPECTED CANCER", "Breast clinic, for the attention of Ms Khan", "NHS number 999 000 0018", "Reason for referral: Breast lump",
		"- Asthma (01-Jan-2020)", "- Salbutamol inhaler", "- Penicillin: Rash", "Dr Anita Patel, Riverside Surgery"} {
		if !strings.Contains(text, want) {
			t.Errorf("letter lacks %q:\n%s", want, text)
		}
	}
	doc := LetterResource(text, n, "ServiceRequest/sr1", now)
	data := doc["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)["data"].(string)
	if b, _ := base64.StdEncoding.DecodeString(data); string(b) != text {
		t.Error("the letter's attachment is not its text")
	}
}

func TestChangeReferral(t *testing.T) {
	open := func() fhir.Resource {
		return fhir.Resource{"resourceType": "ServiceRequest", "id": "sr1", "status": "active", "note": []any{map[string]any{"text": "Supporting"}}}
	}
	cases := []struct {
		name   string
		res    fhir.Resource
		c      ReferralChange
		field  string
		status string
	}{
		{"record the UBRN", open(), ReferralChange{Do: "ubrn", UBRN: "0000 1234 5678"}, "", "active"},
		{"a UBRN is 12 digits", open(), ReferralChange{Do: "ubrn", UBRN: "12345"}, "ubrn", ""},
		{"the outcome needs saying", open(), ReferralChange{Do: "complete"}, "note", ""},
		{"outcome known", open(), ReferralChange{Do: "complete", Note: "Seen 20 March: benign"}, "", "completed"},
		{"cancel needs a reason", open(), ReferralChange{Do: "cancel"}, "note", ""},
		{"cancelled", open(), ReferralChange{Do: "cancel", Note: "Patient declined"}, "", "revoked"},
		{"a finished referral is not changed", fhir.Resource{"resourceType": "ServiceRequest", "status": "completed"}, ReferralChange{Do: "cancel", Note: "x"}, "do", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs := ChangeReferral(c.res, c.c)
			if c.field != "" {
				if errs[c.field] == "" {
					t.Fatalf("errors %v", errs)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			r := ReferralOf(out)
			if r.Status != c.status {
				t.Fatalf("status %s", r.Status)
			}
			if c.c.Do == "ubrn" && r.UBRN != "000012345678" {
				t.Errorf("UBRN %q", r.UBRN)
			}
			if c.c.Note != "" && (r.Supporting != "Supporting" || r.Outcome != c.c.Note) {
				t.Errorf("supporting %q outcome %q", r.Supporting, r.Outcome)
			}
		})
	}
	usc := ReferralOf(fhir.Resource{"resourceType": "ServiceRequest", "status": "active", "authoredOn": "2026-03-01T09:00:00Z",
		"orderDetail": []any{map[string]any{"coding": []any{map[string]any{"system": SNOMED, "code": USCReferralCode.Code}}}}})
	if usc.Overdue(time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)) || !usc.Overdue(time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)) {
		t.Error("an urgent suspected cancer referral is overdue after 14 days, not before")
	}
}
