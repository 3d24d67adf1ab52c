package workspace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/gpconnect"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestMedicationDoseAndReview over plain HTTP on both stores: a change of
// dose obeys prescribing's dose rules, warns of a dose above the daily
// maximum until overridden, writes a new version (the earlier issue keeps
// its dose, the next issue has the new one, a stale version is refused);
// a medication review is refused without an outcome, moves the reviewed
// repeat's review date (and GP Connect's diary entry with it) and shows
// on the tab. A nurse who does not prescribe may do neither.
func TestMedicationDoseAndReview(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { medicationDoseAndReview(t, testbrowser.NewStack(t)) })
	t.Run("postgres", func(t *testing.T) { medicationDoseAndReview(t, stackOn(t, storetest.OpenPostgres(t))) })
}

// authoriseRepeat authorises a repeat on the prescribing form, answering
// any warnings, and returns it as stored.
func authoriseRepeat(t *testing.T, s *testbrowser.Stack, gp *medSession, ctx context.Context, patient, pick, dose string) fhir.Resource {
	t.Helper()
	path := "/workspace/patients/" + patient + "/medication"
	review := time.Now().In(clinical.London).AddDate(0, 3, 0)
	form := url.Values{"patient": {patient}, "medicine-pick": {pick}, "dose": {dose}, "quantity": {"56"}, "days": {"28"}, "course": {"repeat"}, "issues": {"6"},
		"review-day": {fmt.Sprint(review.Day())}, "review-month": {fmt.Sprint(int(review.Month()))}, "review-year": {fmt.Sprint(review.Year())}}
	status, loc, body := gp.do(t, path+"/new", form)
	if status == http.StatusOK && seenOf(body) != "" {
		form.Set("seen", seenOf(body))
		form.Set("reason", "Reviewed the warnings")
		status, loc, _ = gp.do(t, path+"/new", form)
	}
	if status != http.StatusSeeOther || !strings.Contains(loc, "saved=authorised") {
		t.Fatalf("authorise %s: %d %s", pick, status, loc)
	}
	name, _, _ := strings.Cut(strings.SplitN(pick, "|", 2)[1], " ")
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"plan"}, "status": {"active"}})) {
		if strings.Contains(clinical.MedicineName(m), name) {
			return m
		}
	}
	t.Fatalf("%s is not in the record", pick)
	return nil
}

func medicationDoseAndReview(t *testing.T, s *testbrowser.Stack) {
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gp := staffSession(t, s, "gp@rxdose", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	nurse := staffSession(t, s, "nurse@rxdose", auth.RoleNurse, practice.OrganizationID, "Practitioner/"+practice.Clinicians[2].ID)
	path := "/workspace/patients/" + patient + "/medication"
	a := authoriseRepeat(t, s, gp, ctx, patient, "321949006|Sertraline 50mg tablets", "One tablet once a day")
	other := authoriseRepeat(t, s, gp, ctx, patient, "317335000|Omeprazole 20mg gastro-resistant capsules", "One capsule once a day")
	read := func(id string) fhir.Resource {
		t.Helper()
		out, err := s.Service.Read(ctx, "MedicationRequest", id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := fhir.Unmarshal(out.Version.Body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// One issue with the first dose.
	if status, loc, _ := gp.do(t, path+"/issue", url.Values{"patient": {patient}, "issue": {a.ID()}, "version-" + a.ID(): {versionID(a)}}); status != http.StatusSeeOther {
		t.Fatalf("issue: %d %s", status, loc)
	}
	a = read(a.ID())
	dosePath := path + "/" + a.ID() + "/dose"

	// The tab offers the change to a prescriber only.
	if _, _, body := gp.do(t, path, nil); !strings.Contains(body, dosePath) || !strings.Contains(body, `id="record-review"`) || !strings.Contains(body, "Last medication review: none recorded") {
		t.Errorf("the tab does not offer a change of dose and a review")
	}
	if _, _, body := nurse.do(t, path, nil); strings.Contains(body, dosePath) || strings.Contains(body, `id="record-review"`) {
		t.Errorf("the nurse is offered a change of dose or a review")
	}
	if status, _, _ := nurse.do(t, dosePath, nil); status != http.StatusForbidden {
		t.Errorf("nurse's dose form: %d", status)
	}
	change := url.Values{"patient": {patient}, "version": {versionID(a)}, "dose": {"Six tablets once a day"}, "reason": {"No response at 8 weeks"}}
	if status, _, _ := nurse.do(t, dosePath, change); status != http.StatusForbidden {
		t.Errorf("nurse's change of dose: %d", status)
	}
	if status, _, body := gp.do(t, dosePath, nil); status != http.StatusOK || !strings.Contains(body, "One tablet once a day") {
		t.Errorf("dose form: %d", status)
	}
	// The rules of prescribing, each refused with nothing written.
	for dose, want := range map[string]string{"One tablet BD": "abbreviations such as BD", "One tablet when required": "must say its maximum",
		"Four tablets once a week": "must name the day", "One tablet once a day": "same as the current dose"} {
		bad := url.Values{"patient": {patient}, "version": {versionID(a)}, "dose": {dose}, "reason": {"x"}}
		if status, _, body := gp.do(t, dosePath, bad); status != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") || !strings.Contains(body, want) {
			t.Errorf("dose %q: %d, want 422 with %q", dose, status, want)
		}
	}
	if status, _, body := gp.do(t, dosePath, url.Values{"patient": {patient}, "version": {versionID(a)}, "dose": {"Two tablets once a day"}}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter why the dose is changed") {
		t.Errorf("no reason: %d", status)
	}
	// Another patient's id on the form: refused.
	if status, _, _ := gp.do(t, dosePath, url.Values{"patient": {practice.Patients[1]}, "version": {versionID(a)}, "dose": {"Two tablets once a day"}, "reason": {"x"}}); status != http.StatusConflict {
		t.Errorf("wrong patient: %d", status)
	}
	if versionID(read(a.ID())) != versionID(a) {
		t.Fatal("a refused change wrote the authorisation")
	}
	// Above the daily maximum (4): warned, an override needs a reason.
	status, _, body := gp.do(t, dosePath, change)
	if status != http.StatusOK || !strings.Contains(body, "more than the usual adult maximum of 4") || seenOf(body) == "" {
		t.Fatalf("six a day: %d, want the daily maximum warning", status)
	}
	change.Set("seen", seenOf(body))
	if status, _, body := gp.do(t, dosePath, change); status != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") {
		t.Errorf("override without a reason: %d", status)
	}
	// A dose within the maximum goes straight through.
	change = url.Values{"patient": {patient}, "version": {versionID(a)}, "dose": {"Two tablets once a day"}, "reason": {"No response at 8 weeks"}}
	if status, loc, body := gp.do(t, dosePath, change); status != http.StatusSeeOther || !strings.Contains(loc, "saved=dose") {
		t.Fatalf("change of dose: %d %s %s", status, loc, body)
	}
	// Posted again from the page shown before: the version is stale.
	change.Set("dose", "Three tablets once a day")
	if status, _, _ := gp.do(t, dosePath, change); status != http.StatusConflict {
		t.Errorf("stale change of dose: %d, want 409", status)
	}
	b := read(a.ID())
	if clinical.MedicineName(b) != clinical.MedicineName(a) || mustAtoi(t, versionID(b)) != mustAtoi(t, versionID(a))+1 ||
		fmt.Sprint(b["dosageInstruction"]) == fmt.Sprint(a["dosageInstruction"]) || clinical.DoseChangedOf(b) == "" ||
		!strings.Contains(fmt.Sprint(b["note"]), `Dose changed from "One tablet once a day" to "Two tablets once a day": No response at 8 weeks`) {
		t.Errorf("the new version: %v", b)
	}
	if clinical.RepeatStateOf(b, time.Now()) != clinical.RepeatStateOf(a, time.Now()) {
		t.Errorf("issues or review changed: %+v", clinical.RepeatStateOf(b, time.Now()))
	}
	prov := searchMatchesOf(mustSearch(t, s, ctx, "Provenance", url.Values{"target": {"MedicationRequest/" + a.ID()}}))
	if !strings.Contains(fmt.Sprint(prov), "Dose changed from") {
		t.Errorf("no Provenance says what changed: %v", prov)
	}
	// The history on the form; the next issue has the new dose, the
	// earlier one keeps its own.
	if _, _, body := gp.do(t, dosePath, nil); !strings.Contains(body, `id="dose-history"`) || !strings.Contains(body, "Two tablets once a day") {
		t.Errorf("dose history not shown")
	}
	issue := url.Values{"patient": {patient}, "issue": {a.ID()}, "version-" + a.ID(): {versionID(b)}}
	status, _, body = gp.do(t, path+"/issue", issue)
	if status == http.StatusOK && seenOf(body) != "" { // issued early: overridden
		issue.Set("seen", seenOf(body))
		issue.Set("reason", "Dose doubled")
		status, _, _ = gp.do(t, path+"/issue", issue)
	}
	if status != http.StatusSeeOther {
		t.Fatalf("second issue: %d", status)
	}
	var doses []string
	for _, m := range searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}, "_sort": {"authoredon"}})) {
		if strings.Contains(clinical.MedicineName(m), "Sertraline") {
			doses = append(doses, fmt.Sprint(m["dosageInstruction"].([]any)[0].(map[string]any)["text"]))
		}
	}
	if strings.Join(doses, "; ") != "One tablet once a day; Two tablets once a day" {
		t.Errorf("issues' doses: %v", doses)
	}

	// Above the maximum with a reason: the override is kept as a
	// DetectedIssue on the authorisation, and the next issue does not warn
	// of it again.
	b = read(a.ID())
	over := url.Values{"patient": {patient}, "version": {versionID(b)}, "dose": {"Six tablets once a day"}, "reason": {"Specialist advice"}}
	_, _, body = gp.do(t, dosePath, over)
	over.Set("seen", seenOf(body))
	over.Set("override", "Psychiatrist's advice, letter of 1 June")
	if status, loc, _ := gp.do(t, dosePath, over); status != http.StatusSeeOther {
		t.Fatalf("override: %d %s", status, loc)
	}
	b = read(a.ID())
	dis := searchMatchesOf(mustSearch(t, s, ctx, "DetectedIssue", url.Values{"patient": {patient}}))
	found := false
	for _, d := range dis {
		if strings.Contains(fmt.Sprint(d["detail"]), "maximum of 4") && strings.Contains(fmt.Sprint(d["mitigation"]), "Psychiatrist's advice") &&
			strings.Contains(fmt.Sprint(b["detectedIssue"]), d.ID()) {
			found = true
		}
	}
	if !found {
		t.Errorf("the override is not kept on the authorisation: %v %v", b["detectedIssue"], dis)
	}
	issue = url.Values{"patient": {patient}, "issue": {a.ID()}, "version-" + a.ID(): {versionID(b)}}
	if _, _, body := gp.do(t, path+"/issue", issue); strings.Contains(body, "maximum of 4") {
		t.Errorf("the issue warns again of the overridden dose")
	}

	// A medication review of the sertraline alone.
	reviewPath := path + "/review"
	if status, _, _ := nurse.do(t, reviewPath, nil); status != http.StatusForbidden {
		t.Errorf("nurse's review form: %d", status)
	}
	status, _, body = gp.do(t, reviewPath, nil)
	if status != http.StatusOK || !strings.Contains(body, "Sertraline") || !strings.Contains(body, "Omeprazole") {
		t.Fatalf("review form: %d", status)
	}
	b = read(a.ID())
	other = read(other.ID())
	today, next := time.Now().In(clinical.London), time.Now().In(clinical.London).AddDate(0, 6, 0).In(clinical.London)
	review := url.Values{"patient": {patient}, "scope": {"chosen"}, "med": {a.ID()}, "outcome": {""},
		"date-day": {fmt.Sprint(today.Day())}, "date-month": {fmt.Sprint(int(today.Month()))}, "date-year": {fmt.Sprint(today.Year())},
		"next-day": {fmt.Sprint(next.Day())}, "next-month": {fmt.Sprint(int(next.Month()))}, "next-year": {fmt.Sprint(next.Year())},
		"version-" + a.ID(): {versionID(b)}, "version-" + other.ID(): {versionID(other)}}
	if status, _, body := gp.do(t, reviewPath, review); status != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter the outcome") {
		t.Errorf("review without an outcome: %d", status)
	}
	if status, _, _ := nurse.do(t, reviewPath, review); status != http.StatusForbidden {
		t.Errorf("nurse's review: %d", status)
	}
	if n := len(searchMatchesOf(mustSearch(t, s, ctx, "Procedure", url.Values{"patient": {patient}}))); n != 0 {
		t.Fatalf("a refused review wrote %d Procedures", n)
	}
	review.Set("outcome", "Continue sertraline at the higher dose; review mood in 6 months")
	if status, loc, _ := gp.do(t, reviewPath, review); status != http.StatusSeeOther || !strings.Contains(loc, "saved=reviewed") {
		t.Fatalf("review: %d %s", status, loc)
	}
	procs := searchMatchesOf(mustSearch(t, s, ctx, "Procedure", url.Values{"patient": {patient}}))
	if len(procs) != 1 || !strings.Contains(fmt.Sprint(procs[0]["code"]), clinical.MedicationReviewCode) || procs[0]["performedDateTime"] != today.Format("2006-01-02") ||
		!strings.Contains(fmt.Sprint(procs[0]["extension"]), "MedicationRequest/"+a.ID()) || strings.Contains(fmt.Sprint(procs[0]["extension"]), other.ID()) {
		t.Errorf("the review: %v", procs)
	}
	c := read(a.ID())
	if got := clinical.RepeatStateOf(c, time.Now()).Review; got != next.Format("2006-01-02") {
		t.Errorf("sertraline's review date %q, want %s", got, next.Format("2006-01-02"))
	}
	if got, was := clinical.RepeatStateOf(read(other.ID()), time.Now()).Review, clinical.RepeatStateOf(other, time.Now()).Review; got != was {
		t.Errorf("omeprazole's review date moved: %q, was %q", got, was)
	}
	entries, _ := gpconnect.MedicationReviewsSTU3([]fhir.Resource{c}, patient, time.Now())
	if len(entries) != 1 || entries[0]["occurrenceDateTime"] != next.Format("2006-01-02") {
		t.Errorf("GP Connect diary: %v", entries)
	}
	if _, _, body := gp.do(t, path, nil); !strings.Contains(body, "Last medication review: "+today.Format("02-Jan-2006")) {
		t.Errorf("the tab does not show the last review")
	}
	// The same form again: the versions shown are stale.
	if status, _, _ := gp.do(t, reviewPath, review); status != http.StatusConflict {
		t.Errorf("stale review: %d, want 409", status)
	}
}
