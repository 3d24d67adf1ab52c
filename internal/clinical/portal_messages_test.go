package clinical

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	pdfBytes = []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
)

// Attachments are judged by their bytes: a program named .jpg, a web
// page and an empty or oversized file are refused.
func TestCheckAttachment(t *testing.T) {
	tests := []struct {
		name string
		a    Attachment
		ct   string
		bad  string
	}{
		{"png", Attachment{Name: "rash.png", Data: pngBytes}, "image/png", ""},
		{"jpeg", Attachment{Name: "rash.jpg", Data: []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")}, "image/jpeg", ""},
		{"pdf", Attachment{Name: "letter.pdf", Data: pdfBytes}, "application/pdf", ""},
		{"program named jpg", Attachment{Name: "photo.jpg", Data: []byte("MZ\x90\x00\x03\x00\x00\x00")}, "", "photo (JPG or PNG) or a PDF"},
		{"html", Attachment{Name: "x.png", Data: []byte("<html><script>alert(1)</script></html>")}, "", "photo (JPG or PNG) or a PDF"},
		{"empty", Attachment{Name: "x.png"}, "", "empty"},
		{"too big", Attachment{Name: "big.png", Data: append(pngBytes, make([]byte, MaxAttachmentBytes)...)}, "", "smaller than 5 MB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct, msg := CheckAttachment(tc.a)
			if ct != tc.ct || (tc.bad == "") != (msg == "") || !strings.Contains(msg, tc.bad) {
				t.Fatalf("got %q %q, want %q %q", ct, msg, tc.ct, tc.bad)
			}
		})
	}
}

// A proxy sends as themselves, naming whom they act for; never as the
// patient (the NHS App rule).
func TestSenderRef(t *testing.T) {
	tests := []struct {
		name    string
		by      MessageSender
		ref     string
		display string
	}{
		{"patient", MessageSender{PortalRequester: PortalRequester{PatientID: "p1", PatientName: "Jane Smith"}}, "Patient/p1", "Jane Smith"},
		{"proxy without a resource", MessageSender{PortalRequester: PortalRequester{PatientID: "p1", PatientName: "Amy Smith", Proxy: "Jane Smith"}}, "", "Jane Smith (acting for Amy Smith)"},
		{"proxy with a RelatedPerson", MessageSender{PortalRequester: PortalRequester{PatientID: "p1", PatientName: "Amy Smith", Proxy: "Jane Smith"}, ProxyRef: "RelatedPerson/r1"}, "RelatedPerson/r1", "Jane Smith (acting for Amy Smith)"},
		{"proxy whose own resource is a Patient", MessageSender{PortalRequester: PortalRequester{PatientID: "p1", PatientName: "Amy Smith", Proxy: "Jane Smith"}, ProxyRef: "Patient/p1"}, "", "Jane Smith (acting for Amy Smith)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SenderRef(tc.by)
			if ref, _ := got["reference"].(string); ref != tc.ref || got["display"] != tc.display {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestNewMessage(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		m    NewMessage
		errs []string
	}{
		{"text", NewMessage{Text: "Can I have my blood test results?"}, nil},
		{"blank", NewMessage{Text: "  \n "}, []string{"message"}},
		{"too long", NewMessage{Text: strings.Repeat("a", MaxMessageText+1)}, []string{"message"}},
		{"with a photo", NewMessage{Text: "My rash", Attachment: &Attachment{Name: "rash.png", Data: pngBytes}}, nil},
		{"with a program", NewMessage{Text: "Look", Attachment: &Attachment{Name: "x.jpg", Data: []byte("MZ\x90\x00")}}, []string{"attachment"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.m.Check()
			if len(errs) != len(tc.errs) {
				t.Fatalf("errs %v, want %v", errs, tc.errs)
			}
			for _, f := range tc.errs {
				if errs[f] == "" {
					t.Fatalf("no error for %s: %v", f, errs)
				}
			}
		})
	}
	by := MessageSender{PortalRequester: PortalRequester{PatientID: "p1", PatientName: "Jane Smith", Practice: "org1"}}
	comm, bin, urn := NewMessage{Text: " My rash ", Attachment: &Attachment{Name: "rash.png", Data: pngBytes}}.Resources(by, now)
	if bin["contentType"] != "image/png" || mapOf(bin["securityContext"])["reference"] != "Patient/p1" || !strings.HasPrefix(urn, "urn:uuid:") {
		t.Fatalf("binary %v %s", bin, urn)
	}
	m := MessageOf(comm)
	if m.Text != "My rash" || !m.Awaiting || m.FromPractice || m.Attachment == nil || m.Attachment.ContentType != "image/png" || m.Attachment.Size != len(pngBytes) {
		t.Fatalf("message %+v", m)
	}
	comm["id"] = "c1"
	if a := Answered(comm); a == nil || a["status"] != MessageAnswered || comm["status"] != MessageAwaiting {
		t.Fatal("answering changed the original or did not mark it")
	}
	reply := Reply{Text: "Yes, all normal.", PatientID: "p1", PatientName: "Jane Smith", From: Ref{Reference: "Practitioner/d1", Display: "Dr Who"}, InResponseTo: "Communication/c1"}.Resource(now)
	if r := MessageOf(reply); !r.FromPractice || r.Awaiting || Answered(reply) != nil {
		t.Fatalf("reply %+v", r)
	}
	conv := Conversation([]fhir.Resource{reply, comm, {"resourceType": "Communication", "sent": "2020-01-01T00:00:00Z"}})
	if len(conv) != 2 {
		t.Fatalf("conversation %d messages: a non-portal Communication counted", len(conv))
	}
}

// The queue's escalation: when a request becomes "waiting",
// "escalate" and "overdue", in UK time on working days.
func TestRequestQueueAge(t *testing.T) {
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 12, day, hh, mm, 0, 0, UKTime) } // 1 Dec 2026 is a Tuesday
	tests := []struct {
		name      string
		sent, now time.Time
		started   bool
		level     string
	}{
		{"just in", at(1, 9, 0), at(1, 9, 30), false, AgeNew},
		{"two core hours unopened", at(1, 9, 0), at(1, 11, 1), false, AgeWaiting},
		{"two hours but started", at(1, 9, 0), at(1, 11, 1), true, AgeNew},
		{"4pm, in since the morning, unopened", at(1, 9, 0), at(1, 16, 5), false, AgeEscalate},
		{"4pm, came in at 4:10pm", at(1, 16, 10), at(1, 16, 20), false, AgeNew},
		{"night hours do not count", at(1, 18, 0), at(2, 8, 30), false, AgeNew},
		{"overnight then two hours", at(1, 18, 0), at(2, 10, 1), false, AgeWaiting},
		{"overdue after the next working day", at(1, 9, 0), at(2, 18, 31), true, AgeOverdue},
		{"due at 6:30pm next day", at(1, 9, 0), at(2, 18, 29), true, AgeNew},
		{"Friday evening: due Tuesday", at(4, 19, 0), at(7, 18, 0), true, AgeNew},
		{"Friday evening: overdue Tuesday night", at(4, 19, 0), at(8, 18, 31), true, AgeOverdue},
		{"Saturday, unopened Monday 4pm", at(5, 12, 0), at(7, 16, 0), false, AgeEscalate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RequestQueueAge(tc.sent, tc.now, tc.started)
			if got.Level != tc.level {
				t.Fatalf("level %q (%s), want %q", got.Level, got.Why, tc.level)
			}
			if got.Level != AgeNew && got.Why == "" {
				t.Fatal("no reason given")
			}
		})
	}
}

func TestRequestAnswer(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	task := fhir.Resource{"resourceType": "Task", "id": "t1", "status": "requested", "intent": "order"}
	tests := []struct {
		name    string
		a       RequestAnswer
		errs    []string
		outcome string
	}{
		{"message", RequestAnswer{Outcome: OutcomeMessage, Reply: Reply{Text: "Rest and fluids."}}, nil, "Replied by message"},
		{"appointment", RequestAnswer{Outcome: OutcomeAppointment, Reply: Reply{Text: "Please book."}}, nil, "Appointment offered"},
		{"phone", RequestAnswer{Outcome: OutcomePhone, Reply: Reply{Text: "We will call you today."}}, nil, "Phone call arranged"},
		{"no outcome", RequestAnswer{Reply: Reply{Text: "x"}}, []string{"outcome-message"}, ""},
		{"no text", RequestAnswer{Outcome: OutcomePhone}, []string{"reply"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.a.Check()
			if len(errs) != len(tc.errs) {
				t.Fatalf("errs %v", errs)
			}
			if len(errs) > 0 {
				return
			}
			tc.a.Reply.PatientID = "p1"
			reply, done := tc.a.Resources(task, now)
			if MessageOf(reply).About != "t1" || done["status"] != TaskCompleted || OutcomeOf(done) != tc.outcome || task["status"] != "requested" {
				t.Fatalf("reply %v done %v", reply, done)
			}
			if !strings.HasPrefix(taskStatusText(done), "Done: ") {
				t.Fatalf("the patient sees %q", taskStatusText(done))
			}
		})
	}
}

// Messages are on by default; the practice or a patient's setting turns
// them off, and turning them on again removes the extension.
func TestMessagingSetting(t *testing.T) {
	org := fhir.Resource{"resourceType": "Organization", "extension": []any{map[string]any{"url": "other", "valueString": "x"}}}
	pat := fhir.Resource{"resourceType": "Patient"}
	tests := []struct {
		name        string
		org, pat    fhir.Resource
		closed      bool
		practiceMsg bool
	}{
		{"default", org, pat, false, false},
		{"practice off", SetMessaging(org, false), pat, true, true},
		{"patient off", org, SetMessaging(pat, false), true, false},
		{"patient off then on", org, SetMessaging(SetMessaging(pat, false), true), false, false},
		{"no practice read", nil, pat, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			why := MessagingClosed(tc.org, tc.pat)
			if (why != "") != tc.closed || tc.practiceMsg != strings.Contains(why, "does not take messages") {
				t.Fatalf("closed %q", why)
			}
		})
	}
	if back := SetMessaging(SetMessaging(org, false), true); len(list(back, "extension")) != 1 {
		t.Fatal("turning messages on again lost or kept an extension")
	}
	if _, ok := SetMessaging(SetMessaging(pat, false), true)["extension"]; ok {
		t.Fatal("an empty extension list left on the Patient")
	}
}
