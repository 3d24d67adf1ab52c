package portal_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/appointments"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// setPortalSettings writes the practice's portal settings as the system.
func setPortalSettings(t *testing.T, s *testbrowser.Stack, orgID string, settings clinical.PortalSettings) {
	t.Helper()
	org := read(t, s, "Organization", orgID)
	if _, err := s.Service.Update(system, "Organization", orgID, clinical.WithPortalSettings(org, settings), service.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

// onlineSlotWithin is a free slot offered online that starts between
// 3 and 70 hours from now, and its start.
func onlineSlotWithin(t *testing.T, s *testbrowser.Stack) (string, time.Time) {
	t.Helper()
	free, err := appointments.FreeSlots(context.Background(), s.Service, appointments.FreeQuery{Limit: 500}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range free {
		slot := read(t, s, "Slot", f.ID)
		start, _ := time.Parse(time.RFC3339, slot["start"].(string))
		if clinical.CheckBookable(slot, clinical.BookedOnline, time.Now()) == nil && time.Until(start) > 3*time.Hour && time.Until(start) < 70*time.Hour {
			return f.ID, start
		}
	}
	t.Fatal("no online slot in the next 70 hours")
	return "", time.Time{}
}

// TestPortalCancelCutoff: inside the practice's cut-off the appointment
// page offers no cancel and says to phone, and the cancel form and its
// POST are refused (nothing changes); with the cut-off lowered the
// patient cancels.
func TestPortalCancelCutoff(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 4, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := practice.Patients[0]
	pat := signIn(t, s, &identity.User{ID: "pat", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	slot, start := onlineSlotWithin(t, s)
	code, _, loc := pat.post("/patient/book/"+slot, url.Values{"patient": {me}, "reason": {"a cough"}})
	if code != http.StatusSeeOther {
		t.Fatalf("book: %d", code)
	}
	apptPath := strings.TrimSuffix(loc, "?booked=1")
	apptID := strings.TrimPrefix(apptPath, "/patient/appointments/")

	hours := int(math.Ceil(time.Until(start).Hours())) + 1
	setPortalSettings(t, s, practice.OrganizationID, clinical.PortalSettings{OrderWindowDays: 7, CancelCutoffHours: hours})
	code, body, _ := pat.get(apptPath)
	if code != 200 || strings.Contains(body, `id="cancel"`) || !strings.Contains(body, "cannot be cancelled online within "+strconv.Itoa(hours)+" hours") || !strings.Contains(body, "Phone your GP surgery") {
		t.Fatalf("appointment inside the cut-off: %d", code)
	}
	if code, body, _ := pat.get(apptPath + "/cancel"); code != http.StatusConflict || !strings.Contains(body, "Phone your GP surgery") {
		t.Fatalf("cancel form inside the cut-off: %d", code)
	}
	// The POST, as a page kept open from before, is refused too.
	if code, _, _ := pat.post(apptPath+"/cancel", url.Values{"patient": {me}, "reason": {"not-needed"}, "version": {"1"}}); code != http.StatusConflict {
		t.Fatalf("cancel POST inside the cut-off: %d", code)
	}
	if a := read(t, s, "Appointment", apptID); a["status"] != "booked" {
		t.Fatalf("cancelled inside the cut-off: %v", a["status"])
	}

	setPortalSettings(t, s, practice.OrganizationID, clinical.PortalSettings{OrderWindowDays: 7, CancelCutoffHours: 0})
	if _, body, _ := pat.get(apptPath); !strings.Contains(body, `id="cancel"`) {
		t.Fatal("no cancel outside the cut-off")
	}
	_, body, _ = pat.get(apptPath + "/cancel")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	if version == nil {
		t.Fatal("no version on the cancel form")
	}
	if code, _, _ := pat.post(apptPath+"/cancel", url.Values{"patient": {me}, "reason": {"not-needed"}, "version": {version[1]}}); code != http.StatusSeeOther {
		t.Fatalf("cancel outside the cut-off: %d", code)
	}
}

// issueToday issues a repeat now, as lasting 28 days: it cannot be
// ordered for 21 days under the default window.
func issueToday(t *testing.T, s *testbrowser.Stack, practice *demo.Practice, id string) {
	t.Helper()
	auth := read(t, s, "MedicationRequest", id)
	if auth["dispenseRequest"] == nil {
		auth["dispenseRequest"] = map[string]any{}
	}
	auth["dispenseRequest"].(map[string]any)["expectedSupplyDuration"] = map[string]any{"value": json.Number("28"), "unit": "day", "system": "http://unitsofmeasure.org", "code": "d"}
	issue := clinical.IssueOf(auth, "MedicationRequest/"+id, clinical.Ref{Reference: "Practitioner/" + practice.Clinicians[0].ID}, time.Now())
	if _, err := s.Service.Create(system, "MedicationRequest", issue, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Service.Update(system, "MedicationRequest", id, auth, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

// TestPortalRepeatRulesOverHTTP: a repeat just issued is listed as not
// available yet, with the date it opens, and ordering it is refused with
// nothing sent (each rule's cases: clinical's TestPortalRepeatRules).
func TestPortalRepeatRulesOverHTTP(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 8, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := withRepeat(t, s, practice)
	pat := signIn(t, s, &identity.User{ID: "pat", Name: "Pat", Role: auth.RolePatient, Patients: []string{me}, IdentityProof: "P9"})
	rep := orderable(t, s, me)[0]
	if code, body, _ := pat.get("/patient/prescriptions"); code != 200 || !strings.Contains(body, `id="medicine-`+rep.ID+`"`) || !strings.Contains(body, "Last issued:") {
		t.Fatalf("prescriptions: %d", code)
	}
	issueToday(t, s, practice, rep.ID)
	opens := time.Now().In(clinical.London).AddDate(0, 0, 28-7).Format("2 January 2006")
	code, body, _ := pat.get("/patient/prescriptions")
	if code != 200 || strings.Contains(body, `id="medicine-`+rep.ID+`"`) || !strings.Contains(body, "Not available to order yet") || !strings.Contains(body, "You can order this from "+opens) {
		t.Fatalf("a repeat just issued: %d", code)
	}
	// Posted anyway (a page kept open): refused, nothing sent.
	if code, body, _ := pat.post("/patient/prescriptions", url.Values{"patient": {me}, "medicine": {rep.ID}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "You can order this from "+opens) {
		t.Fatalf("ordered too early: %d", code)
	}
	if tasks := search(t, s, "Task", url.Values{"patient": {"Patient/" + me}}); len(clinical.PendingRepeats(tasks)) != 0 {
		t.Fatal("a request was sent")
	}
}

// TestProxyContactChangeGoesToPractice: a proxy's change of contact
// details is never applied to the record (they act for the patient, not
// as them): it goes to the practice as a Task.
func TestProxyContactChangeGoesToPractice(t *testing.T) {
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 4, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	a := adultOf(t, s, practice.Patients)
	carer := signIn(t, s, &identity.User{ID: "carer", Name: "Carer", Role: auth.RoleProxy, Patients: []string{a}, IdentityProof: "P9"})
	decide(t, s, a, "carer", clinical.GrantChange{Do: "grant", Basis: clinical.BasisLPA, Services: []string{clinical.ServiceAppointments, clinical.ServiceRequests, clinical.ServiceRepeats, clinical.ServiceRecord, clinical.ServiceMessages}}, nil)
	before := read(t, s, "Patient", a)
	code, body, _ := carer.get("/patient/details")
	if code != 200 || !strings.Contains(body, "sent to their GP surgery to check") {
		t.Fatalf("proxy's details page: %d", code)
	}
	if code, _, loc := carer.post("/patient/details", url.Values{"patient": {a}, "mobile": {"07700 900982"}}); code != http.StatusSeeOther || loc != "/patient/details?sent=1" {
		t.Fatalf("proxy's change: %d %s", code, loc)
	}
	if after := read(t, s, "Patient", a); clinical.CurrentContact(after) != clinical.CurrentContact(before) {
		t.Fatal("a proxy's change was applied to the record")
	}
	var tasks int
	for _, task := range search(t, s, "Task", url.Values{"patient": {"Patient/" + a}}) {
		if clinical.IsPortalTask(task, clinical.TaskContactChange) {
			tasks++
		}
	}
	if tasks != 1 {
		t.Fatalf("%d contact-detail Tasks", tasks)
	}
}
