package httpapi

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Binary on the REST API (FHIR R4 http.html#binary): a document is sent
// and served in its own format. POST /fhir/Binary and PUT
// /fhir/Binary/{id} with any Content-Type that is not FHIR JSON (or FHIR
// XML, refused as everywhere) store the body as the Binary's data, the
// Content-Type as its contentType and the X-Security-Context header as its
// securityContext; the body goes to storage as it arrives, up to
// MaxBinaryBytes. GET of a Binary answers the raw bytes with the stored
// Content-Type unless the client asks for FHIR (an Accept naming a FHIR
// type, or _format, _summary or _elements): then the Binary resource, its
// data in base64.

// SecurityContextHeader names a raw upload's securityContext.
const SecurityContextHeader = "X-Security-Context"

// DefaultMaxBinaryBytes is the default limit of a raw Binary upload.
const DefaultMaxBinaryBytes = 100 << 20

// fhirMediaType reports a media type that is a FHIR format (or plain JSON,
// which this server takes as FHIR JSON).
func fhirMediaType(mt string) bool {
	switch mt {
	case fhirJSON, plainJSON, "application/json+fhir", "application/fhir+xml", "application/xml+fhir":
		return true
	}
	return false
}

// rawBinaryWrite reports a POST /fhir/Binary or PUT /fhir/Binary/{id}
// whose body is a document, not a FHIR resource.
func rawBinaryWrite(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/fhir/Binary")
	switch {
	case !ok:
		return false
	case r.Method == http.MethodPost && rest == "":
	case r.Method == http.MethodPut && len(rest) > 1 && rest[0] == '/' && !strings.Contains(rest[1:], "/"):
	default:
		return false
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false // a FHIR resource, as for any other type
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && !fhirMediaType(mt)
}

// rawBinaryRead reports a read or vread of a Binary that asks for the
// document rather than the resource.
func rawBinaryRead(r *http.Request) bool {
	if r.PathValue("type") != "Binary" || r.PathValue("id") == "" || strings.HasSuffix(r.URL.Path, "/_history") ||
		r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false // not a read or vread of a Binary
	}
	q := r.URL.Query()
	if q.Has("_format") || q.Has("_summary") || q.Has("_elements") {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && fhirMediaType(mt) {
			return false
		}
	}
	return true
}

// bodyLimit is the request body limit of r: raw Binary uploads have their own.
func (a *API) bodyLimit(r *http.Request) int64 {
	if rawBinaryWrite(r) {
		return a.opts.MaxBinaryBytes
	}
	return a.opts.MaxBodyBytes
}

// upload reads a raw Binary upload's headers.
func upload(r *http.Request) (service.Upload, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return service.Upload{}, fhir.Errorf(http.StatusUnsupportedMediaType, fhir.CodeNotSupported, "cannot parse Content-Type %q", r.Header.Get("Content-Type"))
	}
	return service.Upload{
		ContentType:     mime.FormatMediaType(mt, params),
		SecurityContext: strings.TrimSpace(r.Header.Get(SecurityContextHeader)),
		Body:            r.Body,
	}, nil
}

func (a *API) createBinary(w http.ResponseWriter, r *http.Request) {
	runWrite(a, w, r, upload, func(ctx context.Context, u service.Upload, _ service.Precondition) (service.Outcome, error) {
		return a.svc.CreateBinary(ctx, u)
	})
}

func (a *API) updateBinary(w http.ResponseWriter, r *http.Request) {
	runWrite(a, w, r, upload, func(ctx context.Context, u service.Upload, pre service.Precondition) (service.Outcome, error) {
		return a.svc.UpdateBinary(ctx, r.PathValue("id"), u, pre)
	})
}

// writeBinaryData serves a Binary version's data in its own format.
func (a *API) writeBinaryData(w http.ResponseWriter, r *http.Request, v store.Version) {
	data, err := a.svc.OpenBinaryData(r.Context(), v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer data.Close()
	h := w.Header()
	ct := data.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(data.Size, 10))
	if !passive(ct) {
		// A document that a browser would run (HTML, SVG, script) must
		// not run as this origin's page: no scripts, no same origin, and
		// saved rather than shown.
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		h.Set("Content-Disposition", "attachment")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, data); err != nil {
		// The status is sent: the short body (against Content-Length)
		// tells the client the transfer failed.
		Logger(r.Context()).Warn("binary data not sent whole", "binary", v.ID, "error", err)
	}
}

// passive reports content types browsers show without running anything
// in it.
func passive(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case mt == "application/pdf", mt == "text/plain", mt == "application/octet-stream",
		mt == "image/png", mt == "image/jpeg", mt == "image/gif", mt == "image/tiff", mt == "image/webp", mt == "image/bmp",
		strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"):
		return true
	}
	return false
}

// writeVersion sends a stored version as a FHIR resource. A Binary whose
// data lives beside its JSON is streamed, the data encoded as it is read
// (unless a subset or pretty printing is asked for, which needs it whole).
func (a *API) writeVersion(w http.ResponseWriter, r *http.Request, status int, v store.Version) {
	b, err := a.svc.SplitBinary(r.Context(), v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if b == nil {
		writeResource(w, r, status, v.Body)
		return
	}
	defer b.Close()
	q := r.URL.Query()
	if q.Has("_summary") || q.Has("_elements") || q.Get("_pretty") == "true" {
		var whole strings.Builder
		if _, err := b.WriteTo(&whole); err != nil {
			writeError(w, r, err)
			return
		}
		writeResource(w, r, status, []byte(whole.String()))
		return
	}
	ct, err := responseType(r)
	if err != nil {
		ct = fhirJSON
	}
	w.Header().Set("Content-Type", ct+"; charset=utf-8")
	w.Header().Set("Content-Length", strconv.FormatInt(b.Len(), 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := b.WriteTo(w); err != nil {
		Logger(r.Context()).Warn("binary not sent whole", "binary", v.ID, "error", err)
	}
}
