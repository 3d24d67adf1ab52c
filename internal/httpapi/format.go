package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The server speaks FHIR JSON only. XML is not supported: a request body in
// XML answers 415, a request for an XML response 406, and the
// CapabilityStatement lists json alone.
const (
	fhirJSON  = "application/fhir+json"
	plainJSON = "application/json"
	jsonPatch = "application/json-patch+json"
)

// responseType picks the response media type from _format and Accept, or
// returns a 406 error when the client accepts only what we cannot produce.
func responseType(r *http.Request) (string, error) {
	if f := r.URL.Query().Get("_format"); f != "" {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "json", fhirJSON, plainJSON, "application/fhir json", "application/fhir+json;fhirversion=4.0":
			if f == plainJSON {
				return plainJSON, nil
			}
			return fhirJSON, nil
		case "xml", "text/xml", "application/xml", "application/fhir+xml", "application/fhir xml":
			return "", fhir.Errorf(http.StatusNotAcceptable, fhir.CodeNotSupported, "_format=%s: this server supports JSON only (application/fhir+json); XML is not supported", f)
		}
		return "", fhir.Errorf(http.StatusNotAcceptable, fhir.CodeNotSupported, "_format=%s is not supported: use json", f)
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return fhirJSON, nil
	}
	wantsXML := false
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case mt == fhirJSON, mt == "*/*", mt == "application/*":
			return fhirJSON, nil
		case mt == plainJSON:
			return plainJSON, nil
		case strings.Contains(mt, "xml"):
			wantsXML = true
		case strings.HasSuffix(mt, "+json"), mt == "text/*", mt == "text/html", mt == "text/plain":
			// browsers and generic tools: answer JSON
			return fhirJSON, nil
		}
	}
	if wantsXML {
		return "", fhir.Errorf(http.StatusNotAcceptable, fhir.CodeNotSupported, "Accept: %s: this server supports JSON only (application/fhir+json); XML is not supported", accept)
	}
	return fhirJSON, nil
}

// checkBodyType accepts FHIR JSON (and plain JSON, and an absent
// Content-Type) and refuses everything else with 415. patch tells whether
// a JSON Patch body is expected instead.
func checkBodyType(r *http.Request, patch bool) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && !patch {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fhir.Errorf(http.StatusUnsupportedMediaType, fhir.CodeNotSupported, "cannot parse Content-Type %q", ct)
	}
	if patch {
		if mt == jsonPatch {
			return nil
		}
		return fhir.Errorf(http.StatusUnsupportedMediaType, fhir.CodeNotSupported, "PATCH needs Content-Type %s (JSON Patch); %q is not supported (FHIRPath Patch and XML Patch are not implemented)", jsonPatch, mt)
	}
	switch {
	case mt == fhirJSON, mt == plainJSON:
		return nil
	case strings.Contains(mt, "xml"):
		return fhir.Errorf(http.StatusUnsupportedMediaType, fhir.CodeNotSupported, "Content-Type %s: this server accepts FHIR JSON only (application/fhir+json); XML is not supported", mt)
	}
	return fhir.Errorf(http.StatusUnsupportedMediaType, fhir.CodeNotSupported, "Content-Type %s is not supported: send application/fhir+json", mt)
}

// negotiated refuses, before any work is done, a request whose client
// accepts no response format the server can produce (406).
func negotiated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// A Binary served in its own format answers any Accept (a CDA
		// document is application/xml).
		if _, err := responseType(r); err != nil && !rawBinaryRead(r) {
			writeError(w, r, err)
			return
		}
		h(w, r)
	}
}
