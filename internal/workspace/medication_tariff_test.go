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
	"github.com/gpcloud/gpcloud/internal/pdf"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/terminology/dmdtest"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestTariffRepeatIssue: the Drug Tariff checks run at each issue of a
// repeat, with dm+d as it is then. A repeat authorised before its product
// was blacklisted (Part XVIIIA) is refused with the words a new
// prescription gets, and nothing is issued; one authorised without the
// SLS endorsement before its product joined the Selected List Scheme is
// refused until reauthorised; an endorsed SLS repeat issues, each issue
// carrying the endorsement from its authorisation, and its FP10SS prints
// SLS beside the item.
func TestTariffRepeatIssue(t *testing.T) {
	s := testbrowser.NewStack(t)
	dmdtest.Load(t, s.Store)
	practice, patient := medPractice(t, s)
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "test", Role: auth.RoleGP, Practice: practice.OrganizationID, Scopes: auth.ScopesOf(auth.RoleGP)})
	gpID := practice.Clinicians[0].ID
	gp := staffSession(t, s, "gp@tariff", auth.RoleGP, practice.OrganizationID, "Practitioner/"+gpID)
	setGMC(t, s, ctx, gpID)
	path := "/workspace/patients/" + patient + "/medication"
	review := time.Now().In(clinical.London).AddDate(0, 6, 0).Format("2006-01-02")

	// Authorisations as they were made: the tonic and oseltamivir were
	// then unrestricted (the medicine as dm+d had it), one oseltamivir
	// repeat was endorsed SLS.
	authorise := func(m clinical.Medicine, sls bool) string {
		t.Helper()
		rx := clinical.Prescription{Medicine: m, Dose: "One capsule twice a day", Quantity: "10", Days: "5", Course: "repeat", Issues: "3", Review: review, SLS: sls}
		res, _ := fhir.Unmarshal(mustJSON(t, rx.Authorisation(patient, clinical.Ref{Reference: "Practitioner/" + gpID, Display: "Dr A"}, 0, nil, time.Now())))
		out, err := s.Service.Create(ctx, "MedicationRequest", res, "")
		if err != nil {
			t.Fatal(err)
		}
		return out.Version.ID
	}
	tonic := authorise(clinical.Medicine{Code: dmdtest.Tonivit, Name: "Tonivit oral liquid", Unit: "ml"}, false)
	unendorsed := authorise(clinical.Medicine{Code: dmdtest.Oseltamivir75, Name: "Oseltamivir 75mg capsules", Unit: "capsule"}, false)
	endorsed := authorise(clinical.Medicine{Code: dmdtest.Oseltamivir75, Name: "Oseltamivir 75mg capsules", Unit: "capsule", SLS: true}, true)

	issue := func(id string) (int, string) {
		t.Helper()
		cur, err := s.Service.Read(ctx, "MedicationRequest", id)
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"patient": {patient}, "issue": {id}, "version-" + id: {fmt.Sprint(cur.Version.VersionID)}}
		status, _, body := gp.do(t, path+"/issue", form)
		if status == http.StatusOK && strings.Contains(body, `name="seen"`) {
			form.Set("seen", seenOf(body))
			form.Set("reason", "Reviewed the warnings")
			status, _, body = gp.do(t, path+"/issue", form)
		}
		return status, body
	}
	orders := func() []fhir.Resource {
		return searchMatchesOf(mustSearch(t, s, ctx, "MedicationRequest", url.Values{"patient": {patient}, "intent": {"order"}, "_sort": {"-_lastUpdated"}}))
	}

	if status, body := issue(tonic); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Tonivit oral liquid (Test Tonics Ltd) is not prescribable on the NHS (Drug Tariff Part XVIIIA): prescribe privately or choose another product") {
		t.Errorf("a repeat of a product blacklisted since: %d", status)
	}
	if status, body := issue(unendorsed); status != http.StatusUnprocessableEntity || !strings.Contains(body, "reauthorise it, confirming the patient meets the SLS conditions") {
		t.Errorf("an unendorsed repeat of an SLS product: %d", status)
	}
	if n := len(orders()); n != 0 {
		t.Fatalf("%d issues made by refused repeats", n)
	}
	for i := 1; i <= 2; i++ {
		if status, _ := issue(endorsed); status != http.StatusSeeOther {
			t.Fatalf("issue %d of the endorsed SLS repeat: %d", i, status)
		}
		os := orders()
		if len(os) != i || !clinical.HasEndorsement(os[0], clinical.EndorsementSLS) {
			t.Fatalf("issue %d is not endorsed SLS: %d issues", i, len(os))
		}
	}
	texts := fp10Texts(t, gp, path+"/issues/"+orders()[0].ID()+"/fp10ss")
	if !strings.Contains(texts, "Oseltamivir 75mg capsules") || !strings.Contains(texts, "SLS") {
		t.Errorf("the FP10SS does not show SLS beside the item:\n%s", texts)
	}
}

// setGMC records the prescriber's GMC number, which an FP10SS carries.
func setGMC(t *testing.T, s *testbrowser.Stack, ctx context.Context, practitioner string) {
	t.Helper()
	prac, err := s.Service.Read(ctx, "Practitioner", practitioner)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fhir.Unmarshal(prac.Version.Body)
	res["identifier"] = append(anyOf(res["identifier"]), map[string]any{"system": clinical.GMCSystem, "value": "7654321"})
	if _, err := s.Service.Update(ctx, "Practitioner", practitioner, res, service.Precondition{}); err != nil {
		t.Fatal(err)
	}
}

// fp10Texts are the texts of an issue's FP10SS PDF, a line each.
func fp10Texts(t *testing.T, c *medSession, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", c.s.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "gpcloud_session", Value: c.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("FP10SS: %d %s", resp.StatusCode, data)
	}
	doc, err := pdf.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, tx := range doc.Texts {
		lines = append(lines, tx.Text)
	}
	return strings.Join(lines, "\n")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := fhir.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
