package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/demo"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserRegisterByKeyboard: a receptionist registers a patient with
// the keyboard alone, from the menu to the saved registration; the sex is
// chosen with the arrow keys, as radios are.
func TestBrowserRegisterByKeyboard(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	desk := s.Staff(t, "reception@test", auth.RoleReceptionist, practice.OrganizationID, "")
	b.SignIn(s.URL, desk)
	b.KeyAndLoad("#register-link")
	typeInto := func(sel, text string) {
		t.Helper()
		b.TabTo(sel)
		b.Do(chromedp.KeyEvent(text))
	}
	typeInto("#given", "Ada")
	typeInto("#family", "Lovelace")
	typeInto("#birth-day", "10")
	typeInto("#birth-month", "12")
	typeInto("#birth-year", "1985")
	b.TabTo("#sex") // the first radio of the group: Female
	b.Do(chromedp.KeyEvent(kb.ArrowDown))
	if got := b.Eval(`document.querySelector('input[name=sex]:checked').value`); got != "male" {
		t.Fatalf("the arrow key chose %q", got)
	}
	typeInto("#address1", "1 Park Row")
	typeInto("#town", "Leeds")
	typeInto("#postcode", "LS1 5AB")
	b.TabTo("#gp")
	b.Do(chromedp.KeyEvent(kb.ArrowDown))
	if b.Eval(`document.getElementById('gp').value`) == "" {
		t.Fatal("no usual GP chosen by the arrow key")
	}
	b.KeyAndLoad("#save")
	if got := b.Text("#done"); !strings.Contains(got, "Patient registered") {
		t.Fatalf("after saving by keyboard: %q", b.Text("main"))
	}
	if got := b.Text("#patient-banner"); !strings.Contains(strings.ToUpper(got), "LOVELACE") {
		t.Errorf("the banner after registering %q", got)
	}
	b.Axe("registered by keyboard")
}
