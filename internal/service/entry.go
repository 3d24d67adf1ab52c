package service

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/jsonpatch"
	"github.com/gpcloud/gpcloud/internal/store"
)

// bundleEntry is one parsed entry of a batch or transaction Bundle.
type bundleEntry struct {
	index    int
	method   string
	rawURL   string
	typ, id  string
	vid      string     // GET .../_history/vid
	history  bool       // GET .../_history
	query    url.Values // conditional or search query, nil if none
	fullURL  string
	resource fhir.Resource
	patch    jsonpatch.Patch

	ifMatch     Precondition
	ifNoneExist string

	// target is the id the entry writes, decided before anything is
	// written so that references to it can be rewritten.
	target string
	// existing is set when a conditional create matched: nothing is written.
	existing string
	// prepared is a create's validated, serialised and indexed write,
	// made ahead of the entry's turn (see prepareCreates); prepareErr is
	// its failure, reported when the entry's turn comes.
	prepared   *store.Write
	prepareErr error
}

// methodOrder is the processing order the specification gives for
// transactions (and that batches follow too): DELETE, POST, PUT/PATCH, GET.
func methodOrder(m string) int {
	switch m {
	case http.MethodDelete:
		return 0
	case http.MethodPost:
		return 1
	case http.MethodPut, http.MethodPatch:
		return 2
	}
	return 3
}

// parseEntry reads entry i of a bundle.
func (s *Service) parseEntry(i int, raw any) (*bundleEntry, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "entry is not an object")
	}
	e := &bundleEntry{index: i}
	e.fullURL, _ = m["fullUrl"].(string)
	if r, ok := m["resource"].(map[string]any); ok {
		e.resource = r
	}
	req, ok := m["request"].(map[string]any)
	if !ok {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeRequired, "entry has no request (method and url)").At("request")
	}
	e.method, _ = req["method"].(string)
	e.rawURL, _ = req["url"].(string)
	if e.method == "" || e.rawURL == "" {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeRequired, "entry.request needs method and url").At("request")
	}
	if v, ok := req["ifMatch"].(string); ok {
		n, err := ParseETag(v)
		if err != nil {
			return nil, err
		}
		e.ifMatch = Precondition{Set: true, Version: n}
	}
	if v, _ := req["ifNoneMatch"].(string); v == "*" && e.method == http.MethodPut {
		e.ifMatch.Absent = true // create only: never overwrite
	}
	e.ifNoneExist, _ = req["ifNoneExist"].(string)
	if err := s.parseEntryURL(e); err != nil {
		return nil, err
	}
	switch e.method {
	case http.MethodPost, http.MethodPut:
		if e.resource == nil {
			return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeRequired, "%s entry has no resource", e.method).At("resource")
		}
		if e.resource.Type() != e.typ {
			return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "resourceType %q does not match the request url %q", e.resource.Type(), e.rawURL).At("resource.resourceType")
		}
	case http.MethodPatch:
		p, err := entryPatch(e.resource)
		if err != nil {
			return nil, err
		}
		e.patch = p
	case http.MethodDelete, http.MethodGet, http.MethodHead:
	default:
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "request method %q is not supported", e.method).At("request.method")
	}
	return e, nil
}

// parseEntryURL splits request.url into type, id, version and query. A url
// starting with the server's own base is taken as relative.
func (s *Service) parseEntryURL(e *bundleEntry) error {
	u := e.rawURL
	if s.baseURL != "" && strings.HasPrefix(u, s.baseURL+"/") {
		u = u[len(s.baseURL)+1:]
	}
	path, rawQuery, hasQuery := strings.Cut(u, "?")
	if hasQuery {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "cannot parse the query of request url %q: %v", e.rawURL, err).At("request.url")
		}
		e.query = q
	}
	parts := strings.Split(path, "/")
	bad := fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "request url %q is not a supported form (Type, Type/id, Type?query, Type/id/_history[/vid])", e.rawURL).At("request.url")
	e.typ = parts[0]
	if err := checkType(e.typ); err != nil {
		return fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "request url %q: unknown resource type %q", e.rawURL, e.typ).At("request.url")
	}
	switch {
	case len(parts) == 1:
	case len(parts) == 2 && !hasQuery:
		e.id = parts[1]
	case len(parts) == 3 && parts[2] == "_history" && e.method == http.MethodGet:
		e.id, e.history = parts[1], true
	case len(parts) == 4 && parts[2] == "_history" && e.method == http.MethodGet:
		e.id, e.vid = parts[1], parts[3]
	default:
		return bad
	}
	if e.id != "" {
		if err := checkID(e.id); err != nil {
			return err.(*fhir.Error).At("request.url")
		}
	}
	needsID := e.id == "" && e.query == nil
	switch e.method {
	case http.MethodPost:
		if e.id != "" || e.query != nil {
			return bad
		}
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		if needsID {
			return fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "%s %q needs an id or a conditional query", e.method, e.rawURL).At("request.url")
		}
	}
	return nil
}

// entryPatch reads a JSON Patch carried in a bundle entry: a Binary whose
// contentType is application/json-patch+json, the form R4 defines.
func entryPatch(res fhir.Resource) (jsonpatch.Patch, error) {
	if res == nil || res.Type() != "Binary" {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "a PATCH entry must carry a Binary with contentType application/json-patch+json (FHIRPath Patch is not supported)").At("resource")
	}
	ct, _ := res["contentType"].(string)
	if !strings.HasPrefix(ct, "application/json-patch+json") {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "PATCH entry Binary.contentType is %q, expected application/json-patch+json", ct).At("resource.contentType")
	}
	data, _ := res["data"].(string)
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "PATCH entry Binary.data is not base64: %v", err).At("resource.data")
	}
	p, err := jsonpatch.Parse(raw)
	if err != nil {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "PATCH entry: %v", err).At("resource.data")
	}
	return p, nil
}
