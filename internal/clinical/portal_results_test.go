package clinical

import "testing"

func TestPatientResults(t *testing.T) {
	line := ResultLine{Name: "Haemoglobin", Value: "98 g/L", Range: "115 to 165", Flag: "Low", Abnormal: true}
	reports := []Incoming{
		{Kind: "Result", ID: "old", State: InboxFiled, Date: "2026-10-01T09:00:00Z", Title: "FBC", Lines: []ResultLine{line}, Filing: Filing{Action: "none", Comment: "staff only"}},
		{Kind: "Result", ID: "new", State: InboxFiled, Date: "2026-11-20T09:00:00Z", Title: "FBC", Lines: []ResultLine{line}, Filing: Filing{Action: "urgent"}},
		{Kind: "Result", ID: "waiting", State: InboxToFile, Date: "2026-11-30T09:00:00Z", Title: "U&E"},
		{Kind: "Result", ID: "unmatched", State: InboxToMatch, Date: "2026-11-30T09:00:00Z", Title: "LFT"},
		{Kind: "Result", ID: "hidden", State: InboxFiled, Date: "2026-11-25T09:00:00Z", Title: "HIV test"},
		{Kind: "Letter", ID: "letter", State: InboxFiled, Date: "2026-11-26T09:00:00Z", Title: "Clinic letter"},
		{Kind: "Result", ID: "synthea", Date: "2026-11-27T09:00:00Z", Title: "Lipids"}, // never through the inbox: not filed
	}
	got := PatientResults(reports, func(id string) bool { return id == "hidden" })
	if len(got) != 2 || got[0].ID != "new" || got[1].ID != "old" {
		t.Fatalf("results: %+v (want the two filed ones, newest first)", got)
	}
	if got[0].Next != patientNext["urgent"] || got[1].Next != patientNext["none"] {
		t.Errorf("what the practice decided: %q / %q", got[0].Next, got[1].Next)
	}
	for _, r := range got {
		if r.Next == "staff only" {
			t.Error("the clinician's comment is shown to the patient")
		}
	}
}
