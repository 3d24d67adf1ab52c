package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static assets
var assetFS embed.FS

// pages are parsed once: each page template joined with the layout.
var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range []string{"login", "code", "consent", "message", "setup", "apps"} {
		out[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

// fieldError is one entry of a page's error summary.
type fieldError struct{ Field, Message string }

// page is what every template gets; pages add their own fields through
// the embedding structs.
type page struct {
	Title    string
	CSRF     string
	SignedIn string
	Next     string
	Errors   []fieldError
}

// FieldError returns the message for a field, for inline errors.
func (p *page) FieldError(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

func (p *page) addError(field, msg string) { p.Errors = append(p.Errors, fieldError{field, msg}) }

// render writes a page. A page with errors answers 400 (or the given
// status), so tests and tools see failure without reading HTML.
func render(w http.ResponseWriter, name string, status int, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func message(w http.ResponseWriter, status int, title, msg string) {
	render(w, "message", status, &struct {
		page
		Message string
	}{page{Title: title}, msg})
}

// assets serves the embedded design system and gpcloud's own scripts
// under /assets/ (the CSS refers to /assets/images/).
func assets() http.Handler {
	static, _ := fs.Sub(assetFS, "static")
	own, _ := fs.Sub(assetFS, "assets")
	both := http.FileServerFS(overlay{own, static})
	return http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		both.ServeHTTP(w, r)
	}))
}

// overlay reads from the first file system that has the file.
type overlay struct{ first, second fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if f, err := o.first.Open(name); err == nil {
		return f, nil
	}
	return o.second.Open(name)
}
