package workspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/pathfeed"
	"github.com/gpcloud/gpcloud/internal/testbrowser"
)

// feedPatient is a demo patient as a lab knows them.
func feedPatient(t *testing.T, wp *workflowPractice, id string) pathfeed.Patient {
	t.Helper()
	out, err := wp.s.Service.Read(context.Background(), "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := fhir.Unmarshal(out.Version.Body)
	b := clinical.BannerOf(p, time.Now())
	name := p["name"].([]any)[0].(map[string]any)
	given, _ := name["given"].([]any)[0].(string)
	return pathfeed.Patient{NHSNumber: strings.ReplaceAll(b.NHSNumber, " ", ""), BirthDate: p["birthDate"].(string), Family: name["family"].(string), Given: given}
}

// TestBrowserInbox: the pathology feed's stand-in delivers a full blood
// count with a low haemoglobin and a normal one for the same patient, a
// letter for an NHS number no patient has, and a letter whose date of
// birth differs from the record's. Only the first two go into the
// record by themselves; the abnormal result is listed first and flagged.
// The GP files it with "book a routine appointment" (an empty form
// first: the error summary); a task appears in reception's queue and
// the receptionist completes it. The receptionist has no inbox (her
// role reads no results or letters); the practice's admin staff see the
// unknown letter in "to be matched" with no patient to choose, and
// match the other letter after confirming the details, after which it
// waits to be filed. Every page passes axe and works at 320 px.
func TestBrowserInbox(t *testing.T) {
	b := testbrowser.Start(t)
	wp := newWorkflowPractice(t)
	s := wp.s
	ctx := context.Background()
	olivia := feedPatient(t, wp, wp.practice.Patients[0])
	unknown := "9990000026"
	for _, n := range []string{"9990000026", "9990000034", "9990000042", "9990000050", "9990000069", "9990000077"} {
		if clinical.ValidNHSNumber(n) && n != olivia.NHSNumber && n != feedPatient(t, wp, wp.practice.Patients[1]).NHSNumber && n != feedPatient(t, wp, wp.practice.Patients[2]).NHSNumber {
			unknown = n
			break
		}
	}
	wrongDOB := olivia
	wrongDOB.BirthDate = "1970-01-01"
	now := time.Now()
	// The GP requests the tests first: the lab quotes the order number.
	b.SignIn(s.URL, wp.gp)
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+wp.practice.Patients[0]+"/tests"), chromedp.WaitVisible(chromedp.ID("request-tests")))
	b.Axe("tests")
	rxSubmit(t, b, "#request-tests")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Enter the tests") {
		t.Fatalf("tests errors: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.ID("tests"), "Full blood count"))
	rxSubmit(t, b, "#request-tests")
	if got := b.Text("#test-list"); !strings.Contains(got, "Waiting for the result") {
		t.Fatalf("tests: %q", got)
	}
	b.Axe("tests requested")
	b.Shot("tests")
	order := b.Eval(`document.querySelector('#test-list tbody tr td:nth-child(2)').innerText.replace('Order number','').trim()`)
	if err := pathfeed.Send(ctx, s.Service,
		pathfeed.Report{Patient: olivia, Title: "Full blood count (routine)", Lab: "Leeds Pathology", Issued: now.Add(-2 * time.Hour),
			Tests: []pathfeed.Test{{Name: "Haemoglobin", Unit: "g/L", Value: 140, Low: 115, High: 165}}}.Resource(),
		pathfeed.Report{Patient: olivia, Title: "Full blood count", Lab: "Leeds Pathology", Issued: now.Add(-time.Hour), OrderNumber: order,
			Tests: []pathfeed.Test{{Name: "Haemoglobin", Unit: "g/L", Value: 98, Low: 115, High: 165, Interpretation: "L"},
				{Name: "Platelets", Unit: "10*9/L", Value: 250, Low: 150, High: 400}}}.Resource(),
		pathfeed.Letter{Patient: pathfeed.Patient{NHSNumber: unknown, BirthDate: "1980-02-02", Family: "Nobody", Given: "Known"},
			Title: "Outpatient clinic letter", From: "St James's University Hospital", Text: "Seen in clinic.", Date: now}.Resource(),
		pathfeed.Letter{Patient: wrongDOB, Title: "Discharge summary", From: "Leeds General Infirmary", Source: "transfer-of-care", Text: "Discharged home. No medication changes.", Date: now}.Resource(),
	); err != nil {
		t.Fatal(err)
	}

	b.Do(chromedp.Navigate(s.URL+"/workspace/inbox"), chromedp.WaitVisible(chromedp.ID("inbox-list")))
	rows := b.Eval(`Array.from(document.querySelectorAll('#inbox-list tbody tr')).map(r => r.innerText.replace(/\s+/g, ' ')).join(' | ')`)
	if !strings.HasPrefix(strings.TrimSpace(rows), "Result: Full blood count Pathology result JONES") || !strings.Contains(rows, "Abnormal") || strings.Count(rows, "Result:") != 2 || strings.Contains(rows, "Letter") {
		t.Fatalf("inbox rows: %s", rows)
	}
	if got := b.Text("#not-connected"); !strings.Contains(got, "not connected") {
		t.Errorf("not connected: %q", got)
	}
	b.Axe("inbox")
	b.Shot("inbox")
	b.Narrow("inbox", 320)
	// Both results are the GP's: she asked for one and is the usual GP.
	b.Do(chromedp.Navigate(s.URL+"/workspace/inbox/mine"), chromedp.WaitVisible(chromedp.ID("inbox-list")))
	if got := b.Text("#inbox-list"); strings.Count(got, "Result:") != 2 || !strings.Contains(got, "For Dr") {
		t.Errorf("for you: %q", got)
	}
	b.Axe("inbox for you")
	b.Do(chromedp.Navigate(s.URL+"/workspace/inbox"), chromedp.WaitVisible(chromedp.ID("inbox-list")))
	b.ClickAndLoad("#inbox-list tbody tr:first-child a")
	if got := b.Text("#result-lines"); !strings.Contains(got, "98 g/L") || !strings.Contains(got, "Low") {
		t.Errorf("result lines: %q", got)
	}
	// The earlier routine count's haemoglobin is drawn beside this one.
	if got := b.Eval(`document.querySelector('#trend-0 svg title').textContent + ' | ' + document.querySelector('#trend-0 svg desc').textContent`); !strings.Contains(got, "Haemoglobin (g/L) over time") || !strings.Contains(got, "2 values, oldest first: 140 on") || !strings.Contains(got, "98 on") || !strings.Contains(got, "(outside the range) (this result)") {
		t.Errorf("trend: %q", got)
	}
	if got := b.Eval(`String(document.querySelectorAll('#trend-1').length)`); got != "0" {
		t.Errorf("a trend for platelets, which have no earlier value")
	}
	b.Axe("result")
	b.Shot("result-trend")
	b.Narrow("result-trend", 320)
	rxSubmit(t, b, "#file")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Select what should happen next") {
		t.Fatalf("error summary: %q", got)
	}
	b.Axe("result with errors")
	b.Shot("result-errors")
	b.Do(chromedp.Click(chromedp.ID("action-appointment")), chromedp.SendKeys(chromedp.ID("comment"), "Low haemoglobin: needs review"))
	rxSubmit(t, b, "#file")
	if got := b.Text("#saved"); !strings.Contains(got, "a task created") {
		t.Fatalf("filed: %q", got)
	}
	if got := b.Text("#inbox-list"); strings.Count(got, "Result:") != 1 {
		t.Errorf("after filing, inbox: %q", got)
	}
	// The routine count is normal: ticked and filed with others, by
	// keyboard (nothing ticked first: the error summary).
	rxSubmit(t, b, "#file-normal")
	if got := b.Text(".nhsuk-error-summary"); !strings.Contains(got, "Select the normal results to file") {
		t.Fatalf("bulk filing errors: %q", got)
	}
	b.Axe("bulk filing with errors")
	b.TabTo("#inbox-list input[type=checkbox]")
	b.Do(chromedp.KeyEvent(" "))
	b.TabTo("#file-normal")
	b.Shot("inbox-file-normal")
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent("\r"))
	b.Do(chromedp.WaitVisible(chromedp.ID("saved")))
	if got := b.Text("#saved"); !strings.Contains(got, "1 normal result filed") {
		t.Fatalf("bulk filed: %q", got)
	}
	if got := b.Eval(`String(!!document.getElementById('inbox-empty'))`); got != "true" {
		t.Errorf("after filing the normal result the inbox is not empty")
	}
	// The request has its result; nothing is outstanding.
	b.Do(chromedp.Navigate(s.URL+"/workspace/patients/"+wp.practice.Patients[0]+"/tests"), chromedp.WaitVisible(chromedp.ID("test-list")))
	if got := b.Text("#test-list"); !strings.Contains(got, "Result received") {
		t.Errorf("after the result: %q", got)
	}
	b.Do(chromedp.Navigate(s.URL+"/workspace/inbox/outstanding"), chromedp.WaitVisible(chromedp.ID("no-tests")))
	b.Axe("outstanding tests")

	// Reception's queue has the task; the receptionist completes it.
	rb := testbrowser.Start(t)
	rb.SignIn(s.URL, wp.rec)
	rb.Do(chromedp.Navigate(s.URL+"/workspace/tasks/team"), chromedp.WaitVisible(chromedp.ID("task-list")))
	navCount(t, rb, "1 open")
	if got := rb.Text("#task-list"); !strings.Contains(got, "Book a routine appointment about the result: Full blood count") {
		t.Fatalf("team tasks: %q", got)
	}
	rb.ClickAndLoad("#task-list tbody tr:first-child a")
	rb.Do(chromedp.SendKeys(chromedp.ID("note"), "Booked with Dr Patel on Monday"))
	rxSubmit(t, rb, "#do-complete")
	if got := rb.Text("#task-status"); got != "Completed" {
		t.Errorf("status %q", got)
	}
	rb.Do(chromedp.Navigate(s.URL+"/workspace/tasks/team"), chromedp.WaitVisible(chromedp.ID("task-list-none")))
	navCount(t, rb, "")

	// The receptionist reads no results or letters: no inbox.
	if got := rb.Eval(`String(!!document.querySelector('a[href="/workspace/inbox"]'))`); got != "false" {
		t.Errorf("the receptionist has an Inbox link")
	}
	rb.Do(chromedp.Navigate(s.URL+"/workspace/inbox/match"), chromedp.WaitVisible(chromedp.ID("message")))

	// The practice's admin staff match letters.
	rb = testbrowser.Start(t)
	rb.SignIn(s.URL, wp.pm)
	rb.Do(chromedp.Navigate(s.URL+"/workspace/inbox/match"), chromedp.WaitVisible(chromedp.ID("inbox-list")))
	got := rb.Text("#inbox-list")
	if !strings.Contains(got, "No patient of the practice has this NHS number") || !strings.Contains(got, "The date of birth differs") || !strings.Contains(got, "Transfer of Care") {
		t.Fatalf("to be matched: %q", got)
	}
	rb.Axe("to be matched")
	rb.Shot("to-be-matched")
	rb.Narrow("to-be-matched", 320)
	rb.Do(chromedp.Navigate(s.URL + "/workspace/inbox/match"))
	rb.ClickAndLoad(`#inbox-list a[href*="documents"]:not([data-x])`)
	// Whichever letter opened first, deal with both.
	for i := 0; i < 2; i++ {
		if rb.Eval(`String(!!document.getElementById('no-candidates'))`) == "true" {
			rb.Axe("no candidates")
			rb.Shot("match-none")
		} else {
			rxSubmit(t, rb, "#match")
			if got := rb.Text(".nhsuk-error-summary"); !strings.Contains(got, "Select the patient") || !strings.Contains(got, "Confirm you have checked") {
				t.Fatalf("match errors: %q", got)
			}
			rb.Axe("match with errors")
			rb.Shot("match-errors")
			rb.Do(chromedp.Click(chromedp.ID("patient")), chromedp.Click(chromedp.ID("confirm")))
			rxSubmit(t, rb, "#match")
			if got := rb.Text("#saved"); !strings.Contains(got, "Matched") {
				t.Fatalf("matched: %q", got)
			}
		}
		rb.Do(chromedp.Navigate(s.URL + "/workspace/inbox/match"))
		if i == 0 {
			rb.ClickAndLoad(`#inbox-list tbody tr:last-child a`)
		}
	}
	if got := rb.Text("#inbox-list"); !strings.Contains(got, "Outpatient clinic letter") || strings.Contains(got, "Discharge summary") {
		t.Errorf("still to be matched: %q", got)
	}
	// The matched letter now waits for a clinician.
	b.Do(chromedp.Navigate(s.URL+"/workspace/inbox"), chromedp.WaitVisible(chromedp.ID("inbox-list")))
	if got := b.Text("#inbox-list"); !strings.Contains(got, "Letter: Discharge summary") {
		t.Errorf("inbox after matching: %q", got)
	}
	// The letter opens in the browser, as text served safely.
	b.ClickAndLoad(`#inbox-list a[href*="documents"]`)
	b.Axe("letter")
	b.Shot("letter")
	href := b.Eval(`document.querySelector('#attachments a').getAttribute('href')`)
	b.Do(chromedp.Navigate(s.URL + href))
	if got := b.Eval(`document.body.innerText`); !strings.Contains(got, "Discharged home") {
		t.Errorf("attachment: %q", got)
	}
}
