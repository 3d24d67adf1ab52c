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
	"github.com/gpcloud/gpcloud/internal/terminology/dmdtest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestMedicationGiven over plain HTTP: bad input (no product, a product
// dm+d does not hold, a date tomorrow, no dose, an injection without its
// batch, another patient's form) writes nothing; a nurse records a B12
// injection (dm+d's code, claimable, batch kept); it is on the tab, in
// the duplicate check of prescribing B12 and of recording a second dose,
// readable by patient through the FHIR API, and on the practice admin's
// claim once (not in the next month, not after it is entered in error);
// a receptionist may not record one, nor a GP see the claim page.
func TestMedicationGiven(t *testing.T) {
	s := testbrowser.NewStack(t)
	dmdtest.Load(t, s.Store)
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	nurse := staffSession(t, s, "nurse@given", auth.RoleNurse, practice.OrganizationID, "Practitioner/"+practice.Clinicians[2].ID)
	gp := staffSession(t, s, "gp@given", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	desk := staffSession(t, s, "desk@given", auth.RoleReceptionist, practice.OrganizationID, "")
	manager := staffSession(t, s, "manager@given", auth.RolePracticeAdmin, practice.OrganizationID, "")
	path := "/workspace/patients/" + patient + "/medication/given"
	today := time.Now().In(clinical.London)
	good := func() url.Values {
		return url.Values{"patient": {patient}, "medicine-pick": {dmdtest.Hydroxocobalamin + "|Hydroxocobalamin"}, "dose": {"1"}, "route": {"78421000"}, "site": {"LG"},
			"batch": {"B12-7781"}, "date-day": {fmt.Sprint(today.Day())}, "date-month": {fmt.Sprint(int(today.Month()))}, "date-year": {fmt.Sprint(today.Year())},
			"expiry-day": {"31"}, "expiry-month": {"1"}, "expiry-year": {fmt.Sprint(today.Year() + 2)}}
	}
	count := func() int {
		return len(searchMatchesOf(mustSearch(t, s, ctx, "MedicationAdministration", url.Values{"patient": {patient}})))
	}
	tomorrow := today.AddDate(0, 0, 1)
	for _, tc := range []struct {
		name, field, want string
		change            func(url.Values)
	}{
		{"no product", "medicine", "Choose the medicine", func(f url.Values) { f.Del("medicine-pick") }},
		{"not a dm+d product", "medicine", "Choose the medicine", func(f url.Values) { f.Set("medicine-pick", "90999999999100|Made up") }},
		{"tomorrow", "date-day", "today or in the past", func(f url.Values) {
			f.Set("date-day", fmt.Sprint(tomorrow.Day()))
			f.Set("date-month", fmt.Sprint(int(tomorrow.Month())))
			f.Set("date-year", fmt.Sprint(tomorrow.Year()))
		}},
		{"no dose", "dose", "Enter the dose", func(f url.Values) { f.Set("dose", "") }},
		{"injection without batch", "batch", "batch number", func(f url.Values) { f.Set("batch", "") }},
	} {
		f := good()
		tc.change(f)
		status, _, body := nurse.do(t, path, f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "nhsuk-error-summary") || !strings.Contains(body, `href="#`+tc.field+`"`) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want the error summary linking #%s with %q", tc.name, status, tc.field, tc.want)
		}
		if n := count(); n != 0 {
			t.Fatalf("%s wrote %d administrations", tc.name, n)
		}
	}
	f := good()
	f.Set("patient", practice.Patients[1])
	if status, _, _ := nurse.do(t, path, f); status == http.StatusSeeOther || count() != 0 {
		t.Fatalf("another patient's form: %d", status)
	}
	if status, _, _ := desk.do(t, path, good()); status != http.StatusForbidden || count() != 0 {
		t.Errorf("a receptionist recorded a dose: %d", status)
	}

	// Within a consultation: the form carries its Encounter, refused when
	// it is another patient's.
	encounter := func(pt string) string {
		out, err := s.Service.Create(ctx, "Encounter", fhir.Resource{"resourceType": "Encounter", "status": "finished",
			"class":   map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
			"subject": map[string]any{"reference": "Patient/" + pt}}, "")
		if err != nil {
			t.Fatal(err)
		}
		return out.Version.ID
	}
	mine, theirs := encounter(patient), encounter(practice.Patients[1])
	f = good()
	f.Set("encounter", theirs)
	if status, _, _ := nurse.do(t, path, f); status != http.StatusNotFound || count() != 0 {
		t.Errorf("another patient's consultation: %d", status)
	}

	// Recorded, answering the warnings shown (the demo patient is a
	// child): without a reason nothing is written.
	given := good()
	given.Set("encounter", mine)
	status, loc, body := nurse.do(t, path, given)
	if status == http.StatusOK && seenOf(body) != "" {
		f := given
		f.Set("seen", seenOf(body))
		if status, _, body := nurse.do(t, path, f); status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reason"`) || count() != 0 {
			t.Fatalf("an override without a reason: %d, %d written", status, count())
		}
		f.Set("reason", "Checked: adult dose is right for her")
		status, loc, body = nurse.do(t, path, f)
	}
	if status != http.StatusSeeOther || !strings.Contains(loc, "saved=given") {
		t.Fatalf("record: %d %s %s", status, loc, body)
	}
	got := searchMatchesOf(mustSearch(t, s, ctx, "MedicationAdministration", url.Values{"patient": {patient}, "code": {clinical.SNOMED + "|" + dmdtest.Hydroxocobalamin}}))
	if len(got) != 1 {
		t.Fatalf("%d administrations of B12 by code", len(got))
	}
	a := got[0]
	if ctxRef, _ := a["context"].(map[string]any); ctxRef["reference"] != "Encounter/"+mine {
		t.Errorf("context: %v", a["context"])
	}
	if lot, _ := clinical.BatchOf(a); lot != "B12-7781" || a["status"] != "completed" || !strings.Contains(fmt.Sprint(a["extension"]), "personally-administered valueBoolean:true") {
		t.Errorf("stored: %v", a)
	}
	_, _, tab := nurse.do(t, "/workspace/patients/"+patient+"/medication", nil)
	if !strings.Contains(tab, `id="given-`+a.ID()+`"`) || !strings.Contains(tab, "Hydroxocobalamin 1mg/1ml solution for injection ampoules") || !strings.Contains(tab, "Still acting") {
		t.Errorf("the tab does not list the dose given")
	}

	// Prescribing B12 now warns of the dose still acting; so does a
	// second dose recorded the same day.
	rx := url.Values{"patient": {patient}, "medicine-pick": {dmdtest.Hydroxocobalamin + "|Hydroxocobalamin"}, "dose": {"1 ampoule every 3 months"}, "quantity": {"1"}, "days": {"90"}, "course": {"acute"}}
	if _, _, body := gp.do(t, "/workspace/patients/"+patient+"/medication/new", rx); !strings.Contains(body, "given at the practice on") {
		t.Errorf("prescribing B12 does not see the dose given")
	}
	status, _, body = nurse.do(t, path, good())
	if status != http.StatusOK || seenOf(body) == "" || !strings.Contains(body, "given at the practice on") || count() != 1 {
		t.Errorf("a second dose the same day: %d, warned %v, %d written", status, strings.Contains(body, "given at the practice on"), count())
	}

	// The claim: once, in this month only.
	month := today.Format("2006-01")
	if status, _, _ := gp.do(t, "/workspace/admin/pa-claims?month="+month, nil); status != http.StatusForbidden {
		t.Errorf("a GP opened the claim: %d", status)
	}
	status, _, page := manager.do(t, "/workspace/admin/pa-claims?month="+month, nil)
	if status != http.StatusOK || !strings.Contains(page, "Hydroxocobalamin 1mg/1ml solution for injection ampoules") || !strings.Contains(page, month+": 1 item<") ||
		!strings.Contains(page, "gpcloud does not send it") || strings.Contains(page, patient) {
		t.Errorf("claim page: %d", status)
	}
	status, _, csv := manager.do(t, "/workspace/admin/pa-claims.csv?month="+month, nil)
	if status != http.StatusOK || !strings.Contains(csv, month+","+dmdtest.Hydroxocobalamin+",Hydroxocobalamin 1mg/1ml solution for injection ampoules,1,1,ampoule") {
		t.Errorf("csv: %d %s", status, csv)
	}
	if status, _, _ := manager.do(t, "/workspace/admin/pa-claims?month=2099-01", nil); status != http.StatusBadRequest {
		t.Errorf("a month to come: %d", status)
	}
	// Marked entered in error from the tab (with a reason): no longer
	// claimed nor listed.
	retract := "/workspace/patients/" + patient + "/entries/MedicationAdministration/" + a.ID() + "/retract"
	if status, _, body := nurse.do(t, retract, nil); status != http.StatusOK || !strings.Contains(body, "Hydroxocobalamin") {
		t.Fatalf("retract form: %d", status)
	}
	if status, loc, _ := nurse.do(t, retract, url.Values{"patient": {patient}, "version": {"1"}, "reason": {"Recorded on the wrong day"}}); status != http.StatusSeeOther || !strings.Contains(loc, "/medication?saved=error") {
		t.Fatalf("retract: %d %s", status, loc)
	}
	if _, _, tab := nurse.do(t, "/workspace/patients/"+patient+"/medication", nil); strings.Contains(tab, `id="given-`+a.ID()+`"`) {
		t.Errorf("a dose entered in error is still listed")
	}
	if _, _, page := manager.do(t, "/workspace/admin/pa-claims?month="+month, nil); !strings.Contains(page, "No personally administered items") {
		t.Errorf("a dose entered in error is still claimed")
	}
}
