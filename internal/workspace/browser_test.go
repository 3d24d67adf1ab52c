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

// TestBrowserFindAndOpen: a GP signs in, lands on the workspace, finds a
// patient by NHS number from the keyboard alone and opens the record
// summary; each page passes axe-core and works at 320 px wide.
func TestBrowserFindAndOpen(t *testing.T) {
	b := testbrowser.Start(t)
	s := testbrowser.NewStack(t)
	practice, err := demo.Make(context.Background(), s.Service, demo.Options{Patients: 5, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	gp := s.Staff(t, "gp@test", auth.RoleGP, practice.OrganizationID, "Practitioner/"+practice.Clinicians[0].ID)
	b.SignIn(s.URL, gp)
	if url := b.Eval(`location.pathname`); url != "/workspace/" {
		t.Fatalf("after sign-in a GP is at %s, want the workspace", url)
	}
	b.Axe("find a patient")
	b.Shot("find")
	b.Narrow("find", 320)

	nhs := demo.NHSNumber(2)
	b.Do(chromedp.SendKeys(chromedp.ID("q"), nhs[:3]+" "+nhs[3:6]+" "+nhs[6:]),
		chromedp.WaitVisible(chromedp.CSS("#result-list a")))
	b.Axe("search results")
	b.Shot("find-results")
	// Down arrow into the results, Enter opens the record.
	b.Do(chromedp.SendKeys(chromedp.ID("q"), kb.ArrowDown), chromedp.Sleep(100*time.Millisecond))
	if focused := b.Eval(`document.activeElement.className`); !strings.Contains(focused, "gp-patient__link") {
		t.Fatalf("the down arrow left the focus on %q, want the first result", focused)
	}
	b.Do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("patient-banner")))
	if got := b.Text("#banner-nhs"); got != nhs[:3]+" "+nhs[3:6]+" "+nhs[6:] {
		t.Errorf("banner NHS number %q", got)
	}
	if title := b.Eval(`document.title`); strings.Contains(strings.ToUpper(title), strings.ToUpper(strings.Split(b.Text("#banner-name"), ",")[0])) {
		t.Errorf("the page title %q names the patient", title)
	}
	b.Axe("record summary")
	b.Shot("record")
	b.Narrow("record", 320)
}
