package clinical

import (
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// queueAuth is a repeat authorisation of pt1 with two issues, reviewed
// on 1 December 2026, made at rxNow.
func queueAuth(t *testing.T, id string) fhir.Resource {
	t.Helper()
	p := Prescription{Medicine: med(sertraline), Dose: "One tablet once a day", Quantity: "28", Days: "28", Course: "repeat", Issues: "2", Review: "2026-12-01"}
	a := p.Authorisation("pt1", Ref{Reference: "Practitioner/p1", Display: "Dr A"}, 0, nil, rxNow)
	a["id"] = id
	return a
}

func queueRequest(ids ...string) fhir.Resource {
	var repeats []PortalRepeat
	for _, id := range ids {
		repeats = append(repeats, PortalRepeat{ID: id, Name: "Medicine " + id})
	}
	return RepeatOrder{Chosen: ids, Note: "Running low"}.Task(PortalRequester{PatientID: "pt1", PatientName: "Ann", Practice: "org1"}, repeats, "RX-1", rxNow)
}

// Which requests are clean: no repeat that cannot be issued (the
// workspace's checkRepeats finds them, with CheckIssue) and no warning.
func TestRequestClean(t *testing.T) {
	for _, tc := range []struct {
		name     string
		problems []string
		warnings []Warning
		clean    bool
	}{
		{"nothing in the way", nil, nil, true},
		{"a warning", nil, []Warning{{Kind: "allergy", Severity: "high", Text: "Allergy"}}, false},
		{"a repeat out of issues", []string{"reauthorise"}, nil, false},
	} {
		if c := RequestClean(tc.problems, tc.warnings); c != tc.clean {
			t.Errorf("%s: clean %v, want %v", tc.name, c, tc.clean)
		}
	}
}

// What approving and rejecting write, and what the portal then says.
func TestApproveAndRejectRequest(t *testing.T) {
	gp := Ref{Reference: "Practitioner/p1", Display: "Dr A"}
	task := queueRequest("a1", "a2")
	if items := RequestedItems(task); len(items) != 2 || items[0].Reference != "MedicationRequest/a1" || items[1].Display != "Medicine a2" {
		t.Errorf("items %v", items)
	}
	if RequestNote(task) != "Running low" || RequestChannelOf(task) != ChannelOnline {
		t.Errorf("note %q channel %q", RequestNote(task), RequestChannelOf(task))
	}
	done := ApprovedRequest(task, []string{"urn:uuid:i1", "urn:uuid:i2"}, gp, rxNow.Add(time.Hour))
	if done["status"] != TaskCompleted || OutcomeOf(done) != IssuedOutcome || len(list(done, "output")) != 2 ||
		str(mapOf(list(done, "output")[1]["valueReference"]), "reference") != "urn:uuid:i2" {
		t.Errorf("approved %v", done)
	}
	if task["status"] != "requested" {
		t.Error("approving changed the request it was given")
	}
	if RequestNote(done) != "Running low" {
		t.Error("the patient's note is no longer first")
	}
	rejected := RejectedRequest(task, "  Please book a review first ", gp, rxNow)
	if rejected["status"] != TaskRejected || conceptText(rejected["statusReason"]) != "Please book a review first" {
		t.Errorf("rejected %v", rejected)
	}
	rows := PortalTaskRows([]fhir.Resource{done, rejected}, TaskRepeatRequest)
	got := map[string]bool{}
	for _, r := range rows {
		got[r.Status] = true
	}
	if !got["Done: prescription issued"] || !got["Turned down: Please book a review first"] {
		t.Errorf("the portal says %v", rows)
	}
	for _, tc := range []struct{ reason, want string }{
		{"", "Enter a message"},
		{"   ", "Enter a message"},
		{strings.Repeat("x", MaxRejectReason+1), "characters or fewer"},
		{"Please book a medication review", ""},
	} {
		if got := CheckRejectReason(tc.reason); tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("CheckRejectReason(%.20q) = %q, want %q", tc.reason, got, tc.want)
		}
	}
}

// Reception records a request at the desk or by phone: the same Task as
// the portal's, with its channel; refused without a channel, for a
// repeat asked for already or not a current repeat.
func TestRecordedRequest(t *testing.T) {
	repeats := []PortalRepeat{{ID: "a1", Name: "Sertraline"}, {ID: "a2", Name: "Omeprazole", Requested: true}}
	for _, tc := range []struct {
		name string
		q    RecordedRequest
		want map[string]string // field: part of the message
	}{
		{"good", RecordedRequest{Chosen: []string{"a1"}, Channel: ChannelPhone}, nil},
		{"no channel", RecordedRequest{Chosen: []string{"a1"}}, map[string]string{"channel": "how the patient asked"}},
		{"a made-up channel", RecordedRequest{Chosen: []string{"a1"}, Channel: "fax"}, map[string]string{"channel": "how the patient asked"}},
		{"nothing chosen", RecordedRequest{Channel: ChannelDesk}, map[string]string{"medicines": "Select"}},
		{"asked for already", RecordedRequest{Chosen: []string{"a2"}, Channel: ChannelDesk}, map[string]string{"medicines": "The patient has already asked"}},
		{"not a repeat", RecordedRequest{Chosen: []string{"zz"}, Channel: ChannelDesk}, map[string]string{"medicines": "the patient's repeat list"}},
		{"a long note", RecordedRequest{Chosen: []string{"a1"}, Channel: ChannelDesk, Note: strings.Repeat("x", MaxRepeatNote+1)}, map[string]string{"note": "characters or fewer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.q.Check(repeats)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %v", errs, tc.want)
			}
			for f, part := range tc.want {
				if !strings.Contains(errs[f], part) {
					t.Errorf("%s: %q, want %q", f, errs[f], part)
				}
			}
		})
	}
	desk := Ref{Reference: "Practitioner/r1", Display: "Rita Reception"}
	task := RecordedRequest{Chosen: []string{"a1"}, Channel: ChannelPhone, Note: "Collecting Friday"}.Task(PortalRequester{PatientID: "pt1", PatientName: "Ann", Practice: "org1"}, desk, repeats, "RX-2", rxNow)
	if !IsPortalTask(task, TaskRepeatRequest) || RequestChannelOf(task) != ChannelPhone || RequestNote(task) != "Collecting Friday" ||
		str(mapOf(task["owner"]), "reference") != "Organization/org1" || !PendingRepeats([]fhir.Resource{task})["a1"] {
		t.Errorf("recorded request %v", task)
	}
	if notes := list(task, "note"); len(notes) != 2 || !strings.Contains(str(notes[1], "text"), "by phone by Rita Reception") {
		t.Errorf("notes %v", notes)
	}
	// Reception's list has no ordering window: a repeat issued yesterday
	// may be recorded (the prescriber's early re-issue check warns).
	m := portalMed("r1", "active", "plan", "continuous", "Sertraline 50mg tablets")
	m["subject"] = map[string]any{"reference": "Patient/pt1"}
	m["dispenseRequest"] = map[string]any{"expectedSupplyDuration": map[string]any{"value": 28}}
	m = Issued(m, rxNow.AddDate(0, 0, -1))
	if got := DeskRepeats([]fhir.Resource{m}, nil, rxNow); len(got) != 1 || !got[0].Orderable() {
		t.Errorf("desk repeats %+v", got)
	}
	if got := PortalRepeats([]fhir.Resource{m}, nil, DefaultPortalSettings, rxNow); len(got) != 1 || got[0].Orderable() {
		t.Errorf("the portal's window does not hold it: %+v", got)
	}
}

// A dead or deducted patient's request is never clean.
func TestRequestPatientProblem(t *testing.T) {
	for _, tc := range []struct {
		b    Banner
		want string
	}{
		{Banner{ID: "pt1"}, ""},
		{Banner{ID: "pt1", Deceased: true}, "deceased"},
		{Banner{ID: "pt1", Deducted: true}, "no longer registered"},
	} {
		got := RequestPatientProblem(tc.b)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.b, got, tc.want)
		}
	}
}
