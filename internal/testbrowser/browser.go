// Package testbrowser drives Debian's headless Chromium for the pages'
// browser tests: it starts one, runs axe-core (WCAG 2.2 A and AA) on a
// page, checks a page at 320 px wide, and saves screenshots to look at.
// Tests that need it skip with a reason when Chromium or axe-core is not
// installed (.ci/run installs both).
package testbrowser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium finds Debian's Chromium (or another Chrome).
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// root is the module's directory (where go.mod is), for interop/.
func root(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Browser is one headless Chromium tab.
type Browser struct {
	Ctx context.Context
	t   testing.TB
	axe string
}

// Start opens Chromium, or skips the test when it (or axe-core) is not
// installed. It is closed when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	return start(t)
}

// StartMedia opens a Chromium of its own (its own process and profile)
// with a fake camera and microphone that need no permission prompt, for
// video calls: two of them are two people on two devices.
func StartMedia(t testing.TB) *Browser {
	t.Helper()
	return start(t, chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
}

func start(t testing.TB, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	exe := chromium()
	if exe == "" {
		t.Skip("Chromium not installed (apt-get install chromium; .ci/run installs it)")
	}
	axe, err := os.ReadFile(filepath.Join(root(t), "interop/axe/node_modules/axe-core/axe.min.js"))
	if err != nil {
		t.Skip("axe-core not installed (cd interop/axe && npm ci; .ci/run does it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.WindowSize(1280, 900))
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// A guard against a hung browser, not a budget for the test: under
	// .ci/run the browser packages run side by side on two cores, and
	// TestBrowserPortal (45 s alone) took 152-163 s there, then passed 3
	// minutes and failed mid-step. go test's own 10-minute limit still
	// stops a hang.
	ctx, cancelTimeout := context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return &Browser{Ctx: ctx, t: t, axe: string(axe)}
}

// Do runs chromedp steps, failing the test on an error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Text returns an element's text (as rendered), waiting up to ten
// seconds for the element to appear. It reads the text in one script so an
// htmx swap between finding the node and reading it cannot fail the read.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	js := `(() => { const e = document.querySelector(` + string(q) + `); return e ? JSON.stringify(e.innerText) : "" })()`
	for deadline := time.Now().Add(10 * time.Second); ; {
		s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](js))
		if err != nil {
			b.t.Fatalf("browser: text of %s: %v", sel, err)
		}
		if s != "" {
			var text string
			if err := json.Unmarshal([]byte(s), &text); err != nil {
				b.t.Fatalf("browser: text of %s: %v", sel, err)
			}
			return text
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: text of %s: no such element", sel)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ClickAndLoad clicks what sel finds (a link or a submit button) and
// waits until the page it leads to has loaded: waiting for an element
// that the old page also had would let the test read the old page.
func (b *Browser) ClickAndLoad(sel string) {
	b.t.Helper()
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.Click(chromedp.CSS(sel)))
	b.waitNewPage("clicking " + sel)
}

// KeyAndLoad is ClickAndLoad by keyboard alone: Tab to what sel finds,
// press Enter, and wait for the page it leads to.
func (b *Browser) KeyAndLoad(sel string) {
	b.t.Helper()
	b.TabTo(sel)
	b.Eval(`window.gpOldPage = true; "ok"`)
	b.Do(chromedp.KeyEvent(kb.Enter))
	b.waitNewPage("Enter on " + sel)
}

// waitNewPage waits until the page marked old (window.gpOldPage) has
// been replaced by one loaded completely: a test that went on at
// "interactive" found nodes the still-loading page then replaced (CI
// failed on "Could not find node with given id"). 30 s: a form post on a
// loaded CI machine can take more than 10.
func (b *Browser) waitNewPage(what string) {
	b.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(window.gpOldPage ? "old" : document.readyState)`))
		if err == nil && s == "complete" {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: %s loaded no new page (%s %v)", what, s, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TabTo presses Tab until the focus is on what sel finds (at most 80
// presses), as a keyboard user gets there; it fails the test if the
// element cannot be reached by Tab.
func (b *Browser) TabTo(sel string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	for i := 0; i < 80; i++ {
		if b.Eval(`document.activeElement && document.activeElement.matches(`+string(q)+`) ? "yes" : "no"`) == "yes" {
			return
		}
		b.Do(chromedp.KeyEvent(kb.Tab))
	}
	b.t.Fatalf("browser: %s cannot be reached with Tab", sel)
}

// Eval evaluates JavaScript and returns its value as a string.
func (b *Browser) Eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("browser: %s: %v", js, err)
	}
	return s
}

// violation is what the test reports of an axe violation.
type violation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page shown, for WCAG 2.0, 2.1 and 2.2 at
// levels A and AA, and fails the test for each violation. what names the
// page in messages.
func (b *Browser) Axe(what string) {
	b.t.Helper()
	script := b.axe + `;
		axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22a','wcag22aa']}})
			.then(r => JSON.stringify(r.violations))`
	out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", what, err)
	}
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe on %s: %v", what, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+truncate(n.HTML, 160))
		}
		b.t.Errorf("axe on %s: %s (%s) at %s", what, v.ID, v.Help, strings.Join(where, "; "))
	}
}

// Shot saves a full-page screenshot as name.png in the directory
// GPCLOUD_SCREENSHOTS names (nothing is saved without it): screens are
// judged by looking. Quality 100 makes a PNG.
func (b *Browser) Shot(name string) {
	b.t.Helper()
	dir := os.Getenv("GPCLOUD_SCREENSHOTS")
	if dir == "" {
		return
	}
	// Past the fonts' block period (font-display: fallback), so text a
	// slow font would hide for a moment shows in the picture.
	b.Do(chromedp.Sleep(300 * time.Millisecond))
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.fonts.status`)); err != nil || st == "loaded" {
			break
		}
	}
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Narrow shows the page at width px (a phone's 320), checks that nothing
// makes it scroll sideways, takes a screenshot, and goes back to 1280.
func (b *Browser) Narrow(name string, width int64) {
	b.t.Helper()
	b.Do(chromedp.EmulateViewport(width, 800), chromedp.Sleep(200*time.Millisecond))
	scroll, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	if scroll > width {
		b.t.Errorf("%s at %d px wide scrolls sideways (%d px)", name, width, scroll)
	}
	b.Shot(name + "-narrow")
	b.Do(chromedp.EmulateViewport(1280, 900), chromedp.Sleep(100*time.Millisecond))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
