package portal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Messages: the patient's conversation with the practice, newest at the
// bottom, and a form to write (with one photo or PDF). A message is a
// Communication in the patient's record (clinical/portal_messages.go),
// its attachment a Binary whose securityContext is the patient, both in
// one transaction: a failed send writes nothing. A proxy writes as
// themselves about the person they act for. The practice's replies, to
// messages and to online requests, appear here.

// messageBodyLimit bounds a message post: the attachment and the words.
// A bigger post is refused before it is read (messageLimit).
const messageBodyLimit = clinical.MaxAttachmentBytes + 64<<10

// conversationLimit is how many of the latest messages the page shows.
const conversationLimit = 100

type messagesPage struct {
	page
	Messages []portalMessage
	Text     string
	Sent     bool
	Limit    string
	// Closed says why no message can be sent (the practice turned
	// messages off), or "".
	Closed string
}

func (pt *Portal) messagesPage(r *http.Request, v *visit) (*messagesPage, error) {
	rs, err := pt.search(r, "Communication", url.Values{"patient": {"Patient/" + v.Patient.ID}, "category": {clinical.MessageKindSystem + "|"},
		"_sort": {"-sent"}, "_count": {itoa(conversationLimit)}})
	if err != nil {
		return nil, err
	}
	p := &messagesPage{page: pt.base(v, "Messages", "Messages"), Limit: itoa(clinical.MaxAttachmentBytes>>20) + " MB"}
	closed, err := pt.messagingClosed(r, v)
	if err != nil {
		return nil, err
	}
	p.Closed = closed
	me := clinical.SenderRef(clinical.MessageSender{PortalRequester: pt.requester(v), ProxyRef: v.user.FHIRUser})
	for _, m := range clinical.Conversation(clinical.ForPatient(rs)) {
		who := "From " + m.From
		switch {
		case m.FromPractice:
			who = "From your GP surgery"
		case m.From == me["display"] && (v.Proxy || m.SenderRef == "Patient/"+v.Patient.ID):
			who = "From you"
		}
		p.Messages = append(p.Messages, portalMessage{Message: m, Who: who})
	}
	return p, nil
}

// portalMessage is a message with who wrote it, as the reader says it
// ("From you").
type portalMessage struct {
	clinical.Message
	Who string
}

func (pt *Portal) messages(w http.ResponseWriter, r *http.Request, v *visit) {
	p, err := pt.messagesPage(r, v)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	p.Sent = r.URL.Query().Get("sent") == "1"
	pt.pages.Render(w, "messages", http.StatusOK, p)
}

// messageLimit refuses a post bigger than a message may be before its
// form is parsed (the page's wrapper reads the form for its CSRF
// check), and bounds what is read of one that lies about its length.
func (pt *Portal) messageLimit(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > messageBodyLimit {
			pt.message(w, nil, http.StatusRequestEntityTooLarge, "File too big",
				"The file you chose is bigger than "+itoa(clinical.MaxAttachmentBytes>>20)+" MB, so nothing was sent. Go back and choose a smaller photo or PDF.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, messageBodyLimit)
		if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				pt.message(w, nil, http.StatusRequestEntityTooLarge, "File too big",
					"The file you chose is bigger than "+itoa(clinical.MaxAttachmentBytes>>20)+" MB, so nothing was sent. Go back and choose a smaller photo or PDF.")
				return
			}
		}
		next(w, r)
	}
}

// messagingClosed reads the practice's and the patient's settings
// (clinical.MessagingClosed). A practice the patient cannot read (none
// recorded) leaves messages on.
func (pt *Portal) messagingClosed(r *http.Request, v *visit) (string, error) {
	patient, err := pt.read(r, "Patient", v.Patient.ID)
	if err != nil {
		return "", err
	}
	var org fhir.Resource
	if v.Practice != "" {
		if org, err = pt.read(r, "Organization", v.Practice); err != nil {
			org = nil
		}
	}
	return clinical.MessagingClosed(org, patient), nil
}

// sendMessage checks and sends a message with its attachment.
func (pt *Portal) sendMessage(w http.ResponseWriter, r *http.Request, v *visit) {
	if closed, err := pt.messagingClosed(r, v); err != nil || closed != "" {
		if err != nil {
			pt.failed(w, r, v, err)
			return
		}
		pt.message(w, v, http.StatusForbidden, "Messages are turned off", closed+" Nothing was sent.")
		return
	}
	m := clinical.NewMessage{Text: r.PostFormValue("message")}
	if f, hdr, err := r.FormFile("attachment"); err == nil {
		data, rerr := io.ReadAll(io.LimitReader(f, clinical.MaxAttachmentBytes+1))
		f.Close()
		if rerr != nil {
			pt.failed(w, r, v, rerr)
			return
		}
		if hdr.Size > 0 || len(data) > 0 {
			m.Attachment = &clinical.Attachment{Name: baseName(hdr.Filename), Data: data}
		}
	}
	if errs := m.Check(); len(errs) > 0 {
		p, err := pt.messagesPage(r, v)
		if err != nil {
			pt.failed(w, r, v, err)
			return
		}
		p.Text = m.Text
		for _, f := range []string{"message", "attachment"} {
			if e := errs[f]; e != "" {
				p.AddError(f, e)
			}
		}
		pt.pages.Render(w, "messages", http.StatusUnprocessableEntity, p)
		return
	}
	by := clinical.MessageSender{PortalRequester: pt.requester(v)}
	if v.Proxy {
		by.ProxyRef = v.user.FHIRUser
	}
	comm, bin, urn := m.Resources(by, pt.opts.Now())
	entries := []any{}
	if bin != nil {
		entries = append(entries, map[string]any{"fullUrl": urn, "resource": map[string]any(bin), "request": map[string]any{"method": "POST", "url": "Binary"}})
	}
	entries = append(entries, map[string]any{"fullUrl": "urn:uuid:" + newID(), "resource": map[string]any(comm), "request": map[string]any{"method": "POST", "url": "Communication"}})
	bundle := fhir.Resource{"resourceType": "Bundle", "type": "transaction", "entry": entries}
	if _, err := pt.opts.Service.ProcessBundle(r.Context(), bundle, service.BundleOptions{}); err != nil {
		pt.failed(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/patient/messages?sent=1#sent", http.StatusSeeOther)
}

// messageAttachment serves a message's file, read as the user: only a
// message of the record in use, only the types a message may carry,
// sandboxed and never sniffed.
func (pt *Portal) messageAttachment(w http.ResponseWriter, r *http.Request, v *visit) {
	res, err := pt.read(r, "Communication", r.PathValue("message"))
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	m := clinical.MessageOf(res)
	if m.Patient != v.Patient.ID || clinical.HiddenFromPatient(res) || m.Attachment == nil || m.Attachment.Binary == "" {
		pt.message(w, v, http.StatusNotFound, "Page not found", "We could not find this file in the record you are using.")
		return
	}
	bin, err := pt.read(r, "Binary", m.Attachment.Binary)
	if err != nil {
		pt.failed(w, r, v, err)
		return
	}
	ct, _ := bin["contentType"].(string)
	data, _ := bin["data"].(string)
	body, derr := base64.StdEncoding.DecodeString(data)
	if _, ok := clinical.AttachmentTypes[ct]; !ok || derr != nil {
		pt.message(w, v, http.StatusUnsupportedMediaType, "Cannot be shown", "This file is not a photo or a PDF, so it is not shown here.")
		return
	}
	serveFile(w, ct, body)
}

// serveFile writes a message's file inline, sandboxed and never sniffed.
func serveFile(w http.ResponseWriter, ct string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", "inline")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// baseName is a file's name without any path a browser sent.
func baseName(s string) string {
	s = s[strings.LastIndexAny(s, `/\`)+1:]
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// newID is a random UUID, for a transaction's urn:uuid fullUrls.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
