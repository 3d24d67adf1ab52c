package workspace

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
)

// Scanning a letter in: the practice's admin staff or a clinician attach
// a letter that came by post (a PDF, a PNG or a JPEG, what its first
// bytes say, at most clinical.MaxLetterBytes) to the record that is open,
// with its kind, author and date. It then waits in the inbox to be read,
// coded and filed by a clinician. The file passes Options.ScanUpload
// first, when the practice configures a virus scanner.

type letterUploadPage struct {
	*entriesPage
	Kinds   []clinical.Choice
	Form    clinical.UploadedLetter
	Scanned bool // a virus scanner is configured
	Done    bool
}

func (ws *Workspace) letterUploadPage(w http.ResponseWriter, r *http.Request, v *visit) (*letterUploadPage, bool) {
	base, ok := ws.entriesBase(w, r, v, "Add a scanned letter", "", "DocumentReference")
	if !ok {
		return nil, false
	}
	return &letterUploadPage{entriesPage: base, Kinds: clinical.LetterKinds, Scanned: ws.opts.ScanUpload != nil,
		Done: r.URL.Query().Get("saved") == "letter"}, true
}

func (ws *Workspace) letterUploadForm(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.letterUploadPage(w, r, v)
	if !ok {
		return
	}
	ws.pages.Render(w, "letter-upload", http.StatusOK, p)
}

func (ws *Workspace) uploadLetter(w http.ResponseWriter, r *http.Request, v *visit) {
	p, ok := ws.letterUploadPage(w, r, v)
	if !ok || !ws.samePatient(w, r, v, *p.Banner) {
		return
	}
	if !p.MayWrite {
		ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role cannot add letters to a record.")
		return
	}
	p.Form = clinical.UploadedLetter{Kind: r.PostFormValue("kind"), From: strings.TrimSpace(r.PostFormValue("from")),
		Title: strings.TrimSpace(r.PostFormValue("title")),
		Day:   r.PostFormValue("date-day"), Month: r.PostFormValue("date-month"), Year: r.PostFormValue("date-year")}
	if f, h, err := r.FormFile("file"); err == nil {
		data, err := io.ReadAll(io.LimitReader(f, clinical.MaxLetterBytes+1))
		f.Close()
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		p.Form.FileName, p.Form.Data, p.Form.TooLarge = h.Filename, data, len(data) > clinical.MaxLetterBytes
	} else if !errors.Is(err, http.ErrMissingFile) {
		p.Form.TooLarge = true // the body was cut off at the page limit
	}
	errs := p.Form.Check(ws.opts.Now())
	if len(errs) == 0 && ws.opts.ScanUpload != nil {
		if err := ws.opts.ScanUpload(r.Context(), p.Form.Data); err != nil {
			ws.opts.Logger.Warn("a scanned letter was refused by the virus scanner", "error", err)
			errs["file"] = "The virus scanner refused this file. Do not open it; ask the sender for another copy"
		}
	}
	if msg, ok := errs["date"]; ok {
		errs["date-day"] = msg // the date input's first box
		delete(errs, "date")
	}
	if len(errs) > 0 {
		p.Form.Data = nil
		fieldErrors(&p.page, errs, []string{"file", "kind", "from", "date-day", "title"})
		ws.pages.Render(w, "letter-upload", http.StatusUnprocessableEntity, p)
		return
	}
	res := p.Form.Resource(*p.Banner, ws.entryAuthor(r.Context(), v), ws.opts.Now())
	if _, err := ws.opts.Service.Create(r.Context(), "DocumentReference", res, ""); err != nil {
		ws.entryFailed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/letters/new?saved=letter", http.StatusSeeOther)
}

// ScanFunc checks an uploaded file for viruses (an adapter to ClamAV's
// clamd, an ICAP server or a cloud scanner); an error refuses the file.
type ScanFunc func(ctx context.Context, data []byte) error
