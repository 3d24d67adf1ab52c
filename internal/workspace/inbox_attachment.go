package workspace

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// Opening a letter's attachment (a PDF, an image, text) in the browser,
// read as the user through the service. Only types a browser shows
// safely are served, sandboxed, never sniffed.

// attachmentTypes are the content types served inline.
var attachmentTypes = map[string]string{"application/pdf": "PDF", "image/png": "image", "image/jpeg": "image", "text/plain": "text"}

// attachmentLink is an attachment offered on an item's page.
type attachmentLink struct {
	Href, Title, Kind string
}

// attachmentsOf lists a DocumentReference's attachments that can be
// opened.
func attachmentsOf(res fhir.Resource, base string) []attachmentLink {
	var out []attachmentLink
	for i, c := range anyList(res["content"]) {
		cm, _ := c.(map[string]any)
		a, _ := cm["attachment"].(map[string]any)
		ct, _ := a["contentType"].(string)
		ct, _, _ = strings.Cut(ct, ";")
		kind, ok := attachmentTypes[strings.TrimSpace(ct)]
		if data, _ := a["data"].(string); !ok || data == "" {
			continue
		}
		title, _ := a["title"].(string)
		if title == "" {
			title = "Attachment " + strconv.Itoa(i+1)
		}
		out = append(out, attachmentLink{Href: base + "/attachment/" + strconv.Itoa(i), Title: title, Kind: kind})
	}
	return out
}

func (ws *Workspace) inboxAttachment(w http.ResponseWriter, r *http.Request, v *visit) {
	res, err := ws.inboxItem(r.Context(), r)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	content := anyList(res["content"])
	if err != nil || n < 0 || n >= len(content) {
		http.NotFound(w, r)
		return
	}
	cm, _ := content[n].(map[string]any)
	a, _ := cm["attachment"].(map[string]any)
	ct, _ := a["contentType"].(string)
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(ct)
	data, _ := a["data"].(string)
	body, derr := base64.StdEncoding.DecodeString(data)
	if _, ok := attachmentTypes[ct]; !ok || data == "" || derr != nil {
		ws.message(w, r, v, http.StatusUnsupportedMediaType, "Cannot be shown", "This attachment is not a PDF, an image or text, so it is not shown here.")
		return
	}
	if ct == "text/plain" {
		ct = "text/plain; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", "inline")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}
