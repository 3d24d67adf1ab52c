package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/elements"
	"github.com/gpcloud/gpcloud/internal/httplimit"
	"github.com/gpcloud/gpcloud/internal/service"
	"github.com/gpcloud/gpcloud/internal/store"
)

// writeError renders err as an OperationOutcome. Errors that are not FHIR
// errors are logged and answered with a 500 that reveals nothing.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *fhir.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, httplimit.ErrBodyTooSlow):
		fe = fhir.Errorf(http.StatusRequestTimeout, fhir.CodeTimeout, "the request body arrived too slowly")
	case errors.As(err, &tooBig):
		fe = fhir.Errorf(http.StatusRequestEntityTooLarge, fhir.CodeTooLong, "request body exceeds the limit of %d bytes", tooBig.Limit)
	case errors.As(err, &fe):
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrOutcomeUnknown):
		// Outside the service (token keys, export jobs): the same answer.
		Logger(r.Context()).Warn("database unavailable", "error", err)
		fe = fhir.Errorf(http.StatusServiceUnavailable, fhir.CodeTransient, "the database is unavailable; retry shortly")
	default:
		Logger(r.Context()).Error("internal error", "error", err)
		fe = fhir.Errorf(http.StatusInternalServerError, fhir.CodeException, "internal error (request %s)", w.Header().Get("X-Request-Id"))
	}
	var gone *service.GoneError
	if errors.As(err, &gone) {
		setVersionHeaders(w, gone.Version)
	}
	if fe.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	body, _ := fhir.Marshal(fhir.OperationOutcome(fe.Issues))
	writeBody(w, r, fe.Status, body)
}

// writeBody sends a JSON body in the negotiated media type, pretty-printed
// when _pretty=true.
func writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	ct, err := responseType(r)
	if err != nil {
		ct = fhirJSON
	}
	if r.URL.Query().Get("_pretty") == "true" {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	w.Header().Set("Content-Type", ct+"; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// writeResource sends a resource, applying _summary and _elements. Stored
// bodies are sent as stored unless a subset was asked for.
func writeResource(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	q := r.URL.Query()
	summary, elems := q.Get("_summary"), q.Get("_elements")
	if (summary != "" && summary != "false") || elems != "" {
		res, err := fhir.Unmarshal(body)
		if err != nil {
			writeError(w, r, err)
			return
		}
		subset, ferr := subsetResource(res, summary, elems)
		if ferr != nil {
			writeError(w, r, ferr)
			return
		}
		if body, err = fhir.Marshal(subset); err != nil {
			writeError(w, r, err)
			return
		}
	}
	writeBody(w, r, status, body)
}

func subsetResource(res fhir.Resource, summary, elems string) (fhir.Resource, error) {
	if summary != "" && summary != "false" {
		mode, err := elements.ParseSummary(summary)
		if err != nil {
			return nil, err
		}
		return elements.Summary(res, mode), nil
	}
	return elements.Select(res, strings.Split(elems, ",")), nil
}

// writeResourceValue marshals and sends a resource built in memory.
func writeResourceValue(w http.ResponseWriter, r *http.Request, status int, res fhir.Resource) {
	body, err := fhir.Marshal(res)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeResource(w, r, status, body)
}

// setVersionHeaders sets ETag and Last-Modified for a version.
func setVersionHeaders(w http.ResponseWriter, v store.Version) {
	if v.Type == "" {
		return
	}
	w.Header().Set("ETag", service.ETag(v.VersionID))
	w.Header().Set("Last-Modified", v.LastUpdated.UTC().Format(http.TimeFormat))
}

// writeOutcome answers a write interaction honouring Prefer: return=minimal
// (no body), return=OperationOutcome (the outcome's issues) or the default
// return=representation (the stored resource).
func (a *API) writeOutcome(w http.ResponseWriter, r *http.Request, out service.Outcome) {
	setVersionHeaders(w, out.Version)
	if out.Version.Type != "" && (out.Status == http.StatusCreated || out.Status == http.StatusOK) {
		w.Header().Set("Location", a.svc.BaseURL()+"/"+out.Location())
	}
	if out.Status == http.StatusNoContent {
		if preferReturn(r) == "OperationOutcome" && len(out.Issues) > 0 {
			writeResourceValue(w, r, http.StatusOK, fhir.OperationOutcome(out.Issues))
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	prefer := preferReturn(r)
	if prefer == "" && rawBinaryWrite(r) {
		// A document sent raw is not echoed back as base64 JSON unless
		// asked for (FHIR leaves the default to the server).
		prefer = "minimal"
	}
	switch prefer {
	case "minimal":
		w.WriteHeader(out.Status)
		return
	case "OperationOutcome":
		writeResourceValue(w, r, out.Status, fhir.OperationOutcome(out.Issues))
		return
	}
	if out.Version.Body != nil {
		a.writeVersion(w, r, out.Status, out.Version)
		return
	}
	if out.Resource != nil {
		writeResourceValue(w, r, out.Status, out.Resource)
		return
	}
	w.WriteHeader(out.Status)
}

// preferReturn returns the value of Prefer: return=..., or "".
func preferReturn(r *http.Request) string { return preference(r, "return") }

// preference reads one name=value preference of the Prefer headers.
func preference(r *http.Request, name string) string {
	for _, h := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(h, ";") {
			for _, p := range strings.Split(part, ",") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(k, name) {
					return strings.Trim(v, `"`)
				}
			}
		}
	}
	return ""
}
