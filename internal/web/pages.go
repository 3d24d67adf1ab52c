package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static assets
var assetFS embed.FS

// pages are the sign-in, consent and set-up pages.
var pages = NewRenderer(templateFS, "templates", nil, nil, "login", "code", "consent", "message", "setup", "apps", "setup-done")

// FieldError is one entry of a page's error summary.
type FieldError struct{ Field, Message string }

// NavItem is one link of the header's navigation.
type NavItem struct {
	Href, Label string
	Current     bool
	// Count, when set, is shown beside the label (a queue's length).
	Count string
	// CountURL, when set, is where htmx fetches the count from, when the
	// page loads and every minute after.
	CountURL string
}

// Page is what every template gets; pages add their own fields through
// the embedding structs.
type Page struct {
	Title    string
	CSRF     string
	SignedIn string
	Next     string
	Errors   []FieldError
	// Wide lays the page out on the full width (the workspace's record
	// screens) instead of two thirds (forms and messages).
	Wide bool
	// Nav is the header's navigation (the workspace's sections).
	Nav []NavItem
	// Home is where the header's service name leads ("/" by default).
	Home string
}

// FieldError returns the message for a field, for inline errors.
func (p *Page) FieldError(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// AddError adds an entry to the error summary, for field's inline error.
func (p *Page) AddError(field, msg string) { p.Errors = append(p.Errors, FieldError{field, msg}) }

// Renderer renders a set of pages, each joined with the shared layout
// and partials.
type Renderer struct {
	pages map[string]*template.Template
}

// NewRenderer parses the named pages (name.html in dir of fsys) each with
// the shared layout and partials of this package (templates/layout.html,
// templates/partials.html) and the caller's own shared files (shared, in
// dir: a patient banner, say); funcs are added to every page's functions.
// It panics on a bad template: they are parsed at start.
func NewRenderer(fsys fs.FS, dir string, funcs template.FuncMap, shared []string, names ...string) *Renderer {
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, name := range names {
		t := template.New(name).Funcs(Funcs).Funcs(funcs)
		t = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
		for _, s := range shared {
			t = template.Must(t.ParseFS(fsys, dir+"/"+s+".html"))
		}
		r.pages[name] = template.Must(t.ParseFS(fsys, dir+"/"+name+".html"))
	}
	return r
}

// Render writes a page with the layout. A page with errors should be
// answered 400 (or another failure status), so that tests and tools see
// failure without reading HTML.
func (r *Renderer) Render(w http.ResponseWriter, name string, status int, data any) {
	r.execute(w, name, "layout", status, data)
}

// Fragment writes one template of a page without the layout: the part
// an htmx request swaps in.
func (r *Renderer) Fragment(w http.ResponseWriter, name, block string, status int, data any) {
	r.execute(w, name, block, status, data)
}

func (r *Renderer) execute(w http.ResponseWriter, name, block string, status int, data any) {
	t, ok := r.pages[name]
	var buf bytes.Buffer
	if !ok {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		slog.Error("page template failed", "page", name, "block", block, "error", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// render writes one of this package's pages.
func render(w http.ResponseWriter, name string, status int, data any) {
	pages.Render(w, name, status, data)
}

func message(w http.ResponseWriter, status int, title, msg string) {
	render(w, "message", status, &struct {
		Page
		Message string
	}{Page{Title: title}, msg})
}

// assets serves the embedded design system and gpcloud's own scripts
// under /assets/ (the CSS refers to /assets/images/). The design system's
// style sheet is served without its @font-face rules (see
// frontendCSS).
func assets() http.Handler {
	static, _ := fs.Sub(assetFS, "static")
	own, _ := fs.Sub(assetFS, "assets")
	both := http.FileServerFS(overlay{own, static})
	css := frontendCSS(static)
	modified := time.Now()
	return http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		if r.URL.Path == "nhsuk-frontend.min.css" {
			http.ServeContent(w, r, "nhsuk-frontend.min.css", modified, bytes.NewReader(css))
			return
		}
		both.ServeHTTP(w, r)
	}))
}

// fontFace matches one @font-face rule of a minified style sheet.
var fontFace = regexp.MustCompile(`@font-face\{[^}]*\}`)

// frontendCSS is nhsuk-frontend's style sheet without its @font-face
// rules. They load Frutiger from assets.nhs.uk as the page loads, and a
// practice whose network cannot reach it (offline, or a firewall that
// drops the packets) then waits up to 30 seconds for every page's load
// event. The font stack (Frutiger W01 if installed, then Arial and its
// metric twins, then sans-serif) is unchanged; gpcloud.js asks for
// Frutiger only after the page has loaded (assets/nhs-fonts.css), so
// it is used where it can be fetched and nothing waits where it cannot.
func frontendCSS(static fs.FS) []byte {
	b, err := fs.ReadFile(static, "nhsuk-frontend.min.css")
	if err != nil {
		panic("web: the embedded nhsuk-frontend.min.css is missing: " + err.Error())
	}
	return fontFace.ReplaceAll(b, nil)
}

// overlay reads from the first file system that has the file.
type overlay struct{ first, second fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if f, err := o.first.Open(name); err == nil {
		return f, nil
	}
	return o.second.Open(name)
}
