package workspace_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// TestBrowserScannedLetter: the practice's admin staff scan a discharge
// letter into a record from the record's summary: an empty form first
// (the error summary), then a file that is not a PDF or image though its
// name says so (refused by its bytes), then the PDF. The letter waits in
// the GP's inbox with its kind, author and date, and opens as a PDF; the
// GP codes the problem it reports into the record from its page. A
// receptionist has no link. Every page passes axe and works at 320 px.
func TestBrowserScannedLetter(t *testing.T) {
	b := testbrowser.Start(t)
	wp := newWorkflowPractice(t)
	s := wp.s
	patient := wp.practice.Patients[1]
	dir := t.TempDir()
	pdf := filepath.Join(dir, "discharge.pdf")
	fake := filepath.Join(dir, "not-really.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, []byte("<html><script>alert(1)</script></html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.SignIn(s.URL, wp.pm)
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient), chromedp.WaitVisible(chromedp.ID("add-letter-link")))
	b.ClickAndLoad("#add-letter-link")
	b.Axe("add a scanned letter")
	b.Shot("letter-upload")
	rxSubmit(t, b, "#add-letter")
	got := b.Text(".nhsuk-error-summary")
	for _, want := range []string{"Select the scanned letter", "Select what the document is", "Enter who wrote it", "Enter the date of the letter"} {
		if !strings.Contains(got, want) {
			t.Errorf("error summary %q lacks %q", got, want)
		}
	}
	b.Axe("add a scanned letter with errors")
	b.Shot("letter-upload-errors")
	b.Narrow("letter-upload-errors", 320)
	fill := func(file string) {
		// The page may still be settling after the last post: a node
		// found in the old document is gone, so try again.
		var err error
		for i := 0; i < 5; i++ {
			if err = chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID("add-letter")), chromedp.SetUploadFiles(chromedp.ID("file"), []string{file})); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("choosing the file: %v", err)
		}
		b.Do(chromedp.Click(chromedp.ID("kind-discharge")), chromedp.SetValue(chromedp.ID("from"), "Leeds General Infirmary"),
			chromedp.SetValue(chromedp.ID("date-day"), "28"), chromedp.SetValue(chromedp.ID("date-month"), "11"), chromedp.SetValue(chromedp.ID("date-year"), "2026"))
	}
	fill(fake)
	rxSubmit(t, b, "#add-letter")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "The file must be a PDF, PNG or JPEG") {
		t.Fatalf("a disguised file: %q", got)
	}
	fill(pdf)
	rxSubmit(t, b, "#add-letter")
	if got := b.Text("#saved"); !strings.Contains(got, "waits in the inbox") {
		t.Fatalf("added: %q", got)
	}

	// The GP reads it in the inbox.
	gb := testbrowser.Start(t)
	gb.SignIn(s.URL, wp.gp)
	gb.Do(chromedp.Navigate(s.URL+"/workspace/inbox"), chromedp.WaitVisible(chromedp.ID("inbox-list")))
	if got := gb.Text("#inbox-list"); !strings.Contains(got, "Letter: Discharge summary") || !strings.Contains(got, "Leeds General Infirmary") {
		t.Fatalf("inbox: %q", got)
	}
	gb.ClickAndLoad(`#inbox-list a[href*="documents"]`)
	if got := gb.Text("#attachments"); !strings.Contains(got, "discharge.pdf (PDF") {
		t.Errorf("attachments: %q", got)
	}
	if got := gb.Text(".nhsuk-summary-list"); !strings.Contains(got, "28 November 2026") {
		t.Errorf("the letter's date: %q", got)
	}
	gb.Axe("scanned letter")
	// The GP codes the problem the letter reports: Add first with no code
	// (the error summary), then asthma found by typing.
	rxSubmit(t, gb, "#add-coded")
	if got := gb.Text(".nhsuk-error-summary"); !strings.Contains(got, "Choose the problem") {
		t.Fatalf("coding errors: %q", got)
	}
	gb.Do(chromedp.SendKeys(chromedp.ID("code"), "asthma"))
	rxFind(t, gb, "code")
	rxSubmit(t, gb, "#add-coded")
	if got := gb.Text("#coded-list"); !strings.Contains(got, "Asthma") {
		t.Fatalf("coded from the letter: %q", got)
	}
	gb.Axe("letter coded")
	gb.Shot("letter-coded")
	gb.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient+"/problems"), chromedp.WaitVisible(chromedp.ID("active-problems")))
	if got := gb.Text("#active-problems"); !strings.Contains(got, "Asthma") {
		t.Errorf("problem list: %q", got)
	}

	// No link for a receptionist (her role reads no letters).
	rb := testbrowser.Start(t)
	rb.SignIn(s.URL, wp.rec)
	rb.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+patient), chromedp.WaitVisible(chromedp.ID("open-app")))
	if rb.Eval(`String(!!document.getElementById('add-letter-link'))`) != "false" {
		t.Error("a receptionist is offered to add a letter")
	}
}
