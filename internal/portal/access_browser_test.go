package portal_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserRegistrationLetter: a GP sets the patient's record access
// to the full record and prints a registration letter on the Online
// access tab (a proxy letter without its details shows the error
// summary); the patient, on a phone, registers with the letter (a wrong
// date of birth shows one refusal), signs in with the account ID and
// finds the record closed with how to open it; the GP records photo ID
// seen, and the record opens. The worklist of proxies to review at 11.
// axe-core on every page, 375 px and 320 px.
func TestBrowserRegistrationLetter(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 6, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me := adultOf(t, s, practice.Patients)
	patient := read(t, s, "Patient", me)
	surname, birth := clinical.FamilyName(patient), patient["birthDate"].(string)
	consultationOf(t, s, me, time.Now().AddDate(-1, 0, 0), "Talked about a cough that had lasted three weeks")
	gp := s.Staff(t, "gp@test", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)
	tab := s.URL + "/workspace/patients/" + me + "/proxies"
	b.Do(chromedp.Navigate(tab), chromedp.WaitVisible(chromedp.ID("record-access")))
	b.Axe("workspace-online-access")
	b.Shot("workspace-online-access")
	b.Eval(`document.getElementById('level-full').click(); "ok"`)
	b.ClickAndLoad("#save-access")
	if got := b.Text("#access-now"); !strings.Contains(got, "Full record") {
		t.Fatalf("level shown: %s", got)
	}
	b.Eval(`document.querySelector('#letters details').open = true; "ok"`)
	b.ClickAndLoad("#invite-proxy")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the proxy's full name") {
		t.Fatalf("no error summary for an empty proxy letter: %s", got)
	}
	b.Axe("workspace-proxy-letter-error")
	b.Shot("workspace-proxy-letter-error")
	b.ClickAndLoad("#invite-patient")
	account, key, ods := b.Text("#letter-account"), b.Text("#letter-key"), b.Text("#letter-ods")
	b.Axe("workspace-letter")
	b.Shot("workspace-letter")
	b.Do(chromedp.Navigate(s.URL+"/workspace/proxies/review"), chromedp.WaitVisible(chromedp.ID("tab-proxy-review")))
	b.Axe("workspace-proxy-review")
	b.Shot("workspace-proxy-review")
	b.Do(chromedp.Navigate(s.URL + "/workspace/"))
	b.ClickAndLoad("#sign-out")

	b.Do(chromedp.EmulateViewport(375, 812))
	b.Do(chromedp.Navigate(s.URL+"/patient/register"), chromedp.WaitVisible(chromedp.ID("account-id")))
	b.Axe("portal-register")
	b.Shot("portal-register")
	b.ClickAndLoad("#register")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the account ID") || !strings.Contains(got, "date of birth") {
		t.Fatalf("empty form: %s", got)
	}
	b.Axe("portal-register-errors")
	b.Shot("portal-register-errors")
	d, _ := time.Parse("2006-01-02", birth)
	fill := func(day string) {
		for id, value := range map[string]string{"account-id": account, "key": key, "ods": ods, "surname": surname, "birth-day": day,
			"birth-month": d.Format("1"), "birth-year": d.Format("2006"), "password": "correct horse battery", "password-again": "correct horse battery"} {
			js, _ := json.Marshal(value)
			b.Eval(`document.getElementById("` + id + `").value = ` + string(js) + `; "ok"`)
		}
	}
	wrongDay := "1"
	if d.Day() == 1 {
		wrongDay = "2"
	}
	fill(wrongDay)
	b.ClickAndLoad("#register")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "do not match") {
		t.Fatalf("wrong date of birth: %s", got)
	}
	fill(d.Format("2"))
	b.ClickAndLoad("#register")
	if got := b.Text("#username"); got != account {
		t.Fatalf("registered as %q", got)
	}
	b.Axe("portal-registered")
	b.Narrow("portal-registered", 320)
	b.Do(chromedp.EmulateViewport(375, 812))
	b.Shot("portal-registered")

	mine := testbrowser.Account{Username: account, Password: "correct horse battery"}
	b.SignIn(s.URL, mine)
	b.Do(chromedp.Navigate(s.URL+"/patient/record"), chromedp.WaitVisible(chromedp.ID("no-access")))
	if got := b.Text("#no-access"); !strings.Contains(got, "photo ID") {
		t.Fatalf("no way to get access said: %s", got)
	}
	b.Axe("portal-record-linkage-key")
	b.Shot("portal-record-linkage-key")
	b.Do(chromedp.Navigate(s.URL + "/patient/"))
	b.ClickAndLoad("#sign-out")

	b.Do(chromedp.EmulateViewport(1280, 900))
	b.SignIn(s.URL, gp)
	b.Do(chromedp.Navigate(tab+"#accounts"), chromedp.WaitVisible(chromedp.ID("account-0-photo-id")))
	b.ClickAndLoad("#account-0-photo-id")
	if got := b.Text("#account-0-proof"); !strings.Contains(got, "Photo ID") {
		t.Fatalf("proof shown: %s", got)
	}
	b.Do(chromedp.Navigate(s.URL + "/workspace/"))
	b.ClickAndLoad("#sign-out")

	b.Do(chromedp.EmulateViewport(375, 812))
	b.SignIn(s.URL, mine)
	b.Do(chromedp.Navigate(s.URL+"/patient/record"), chromedp.WaitVisible(chromedp.ID("consultations")))
	if got := b.Text("#consultations ~ .nhsuk-card"); !strings.Contains(got, "cough") {
		t.Fatalf("full record without the consultation: %s", got)
	}
	b.Axe("portal-record-full")
	b.Narrow("portal-record-full", 320)
	b.Do(chromedp.EmulateViewport(375, 812))
	b.Shot("portal-record-full")
}
