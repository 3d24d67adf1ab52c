package pathfeed

import (
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// The feed's report reads back, through the inbox's rules, as the
// result it describes: whose it claims to be, flagged abnormal, in the
// "received" queue.
func TestReportReadsBack(t *testing.T) {
	r := Report{Patient: Patient{NHSNumber: "9990000018", BirthDate: "2010-05-24", Family: "Jones", Given: "Olivia"},
		Title: "Full blood count", Lab: "Leeds Pathology", Issued: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC),
		Tests: []Test{{Name: "Haemoglobin", Unit: "g/L", Value: 98, Low: 115, High: 165}, {Name: "Platelets", Unit: "10*9/L", Value: 250, Low: 150, High: 400}}}
	in := clinical.IncomingOf(r.Resource())
	if in.State != clinical.InboxReceived || in.Claimed.NHSNumber != "9990000018" || in.Claimed.Family != "Jones" || !in.Abnormal || len(in.Lines) != 2 {
		t.Fatalf("%+v", in)
	}
	l := clinical.IncomingOf(Letter{Patient: Patient{NHSNumber: "9990000026"}, Title: "Discharge summary", From: "St James's", Date: time.Now()}.Resource())
	if l.Kind != "Letter" || l.Claimed.NHSNumber != "9990000026" || l.State != clinical.InboxReceived {
		t.Fatalf("%+v", l)
	}
}
