package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/fhir/jsonpatch"
	"github.com/gpcloud/gpcloud/internal/service"
)

// ifMatch reads the If-Match header, and If-None-Match: * on an update
// (create only, never overwrite).
func ifMatch(r *http.Request) (service.Precondition, error) {
	h := r.Header.Get("If-Match")
	if h == "" {
		absent := r.Method == http.MethodPut && strings.TrimSpace(r.Header.Get("If-None-Match")) == "*"
		return service.Precondition{Absent: absent}, nil
	}
	n, err := service.ParseETag(h)
	if err != nil {
		return service.Precondition{}, err
	}
	return service.Precondition{Set: true, Version: n}, nil
}

// conditionQuery returns the search parameters of a conditional
// interaction: the query string without result-shaping parameters.
func conditionQuery(r *http.Request) url.Values {
	q := r.URL.Query()
	for k := range q {
		if k == "_format" || k == "_pretty" || k == "_summary" || k == "_elements" {
			delete(q, k)
		}
	}
	return q
}

func (a *API) create(w http.ResponseWriter, r *http.Request) {
	if rawBinaryWrite(r) {
		a.createBinary(w, r)
		return
	}
	res, err := a.readResource(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ifNoneExist := strings.TrimPrefix(r.Header.Get("If-None-Exist"), "?")
	out, err := a.svc.Create(r.Context(), r.PathValue("type"), res, ifNoneExist)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeOutcome(w, r, out)
}

func (a *API) read(w http.ResponseWriter, r *http.Request) {
	out, err := a.svc.Read(r.Context(), r.PathValue("type"), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeRead(w, r, out)
}

func (a *API) vread(w http.ResponseWriter, r *http.Request) {
	out, err := a.svc.VRead(r.Context(), r.PathValue("type"), r.PathValue("id"), r.PathValue("vid"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeRead(w, r, out)
}

// writeRead answers a read or vread, honouring If-None-Match and
// If-Modified-Since with 304 Not Modified.
func (a *API) writeRead(w http.ResponseWriter, r *http.Request, out service.Outcome) {
	v := out.Version
	setVersionHeaders(w, v)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimSpace(tag)
			if n, err := service.ParseETag(tag); tag == "*" || err == nil && n == v.VersionID {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !v.LastUpdated.Truncate(time.Second).After(t) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if rawBinaryRead(r) {
		a.writeBinaryData(w, r, v)
		return
	}
	a.writeVersion(w, r, http.StatusOK, v)
}

func (a *API) update(w http.ResponseWriter, r *http.Request) {
	if rawBinaryWrite(r) {
		a.updateBinary(w, r)
		return
	}
	runWrite(a, w, r, a.readResource, func(ctx context.Context, res fhir.Resource, pre service.Precondition) (service.Outcome, error) {
		return a.svc.Update(ctx, r.PathValue("type"), r.PathValue("id"), res, pre)
	})
}

func (a *API) conditionalUpdate(w http.ResponseWriter, r *http.Request) {
	runWrite(a, w, r, a.readResource, func(ctx context.Context, res fhir.Resource, pre service.Precondition) (service.Outcome, error) {
		return a.svc.ConditionalUpdate(ctx, r.PathValue("type"), conditionQuery(r), res, pre)
	})
}

// readPatch reads a JSON Patch body.
func (a *API) readPatch(r *http.Request) (jsonpatch.Patch, error) {
	if err := checkBodyType(r, true); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	// Decode first with the request limits: the patch parser trusts its input.
	if _, err := fhirjson.Decode(data, a.opts.JSONLimits); err != nil {
		return nil, err
	}
	p, err := jsonpatch.Parse(data)
	if err != nil {
		return nil, fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "invalid JSON Patch: %v", err)
	}
	return p, nil
}

func (a *API) patch(w http.ResponseWriter, r *http.Request) {
	runWrite(a, w, r, a.readPatch, func(ctx context.Context, p jsonpatch.Patch, pre service.Precondition) (service.Outcome, error) {
		return a.svc.Patch(ctx, r.PathValue("type"), r.PathValue("id"), p, pre)
	})
}

func (a *API) conditionalPatch(w http.ResponseWriter, r *http.Request) {
	runWrite(a, w, r, a.readPatch, func(ctx context.Context, p jsonpatch.Patch, pre service.Precondition) (service.Outcome, error) {
		return a.svc.ConditionalPatch(ctx, r.PathValue("type"), conditionQuery(r), p, pre)
	})
}

// runWrite reads a request body and If-Match, runs a write interaction and
// answers with its outcome (or its error as an OperationOutcome).
func runWrite[T any](a *API, w http.ResponseWriter, r *http.Request, read func(*http.Request) (T, error),
	op func(context.Context, T, service.Precondition) (service.Outcome, error)) {
	body, err := read(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	pre, err := ifMatch(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out, err := op(r.Context(), body, pre)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeOutcome(w, r, out)
}

func (a *API) delete(w http.ResponseWriter, r *http.Request) {
	pre, err := ifMatch(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out, err := a.svc.Delete(r.Context(), r.PathValue("type"), r.PathValue("id"), pre)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeOutcome(w, r, out)
}

func (a *API) conditionalDelete(w http.ResponseWriter, r *http.Request) {
	out, err := a.svc.ConditionalDelete(r.Context(), r.PathValue("type"), conditionQuery(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeOutcome(w, r, out)
}

func (a *API) historySystem(w http.ResponseWriter, r *http.Request) {
	a.history(w, r, "", "")
}

func (a *API) historyType(w http.ResponseWriter, r *http.Request) {
	a.history(w, r, r.PathValue("type"), "")
}

func (a *API) historyInstance(w http.ResponseWriter, r *http.Request) {
	a.history(w, r, r.PathValue("type"), r.PathValue("id"))
}

func (a *API) history(w http.ResponseWriter, r *http.Request, typ, id string) {
	out, err := a.svc.History(r.Context(), typ, id, r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeBundle(w, r, out.Resource)
}

func (a *API) search(w http.ResponseWriter, r *http.Request) {
	a.runSearch(w, r, r.URL.Query())
}

// searchPost is search by POST with a form body, which the specification
// defines as equivalent to GET with the same parameters.
func (a *API) searchPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		// A refusal of the body itself (no budget for it) keeps its
		// status.
		var fe *fhir.Error
		if !errors.As(err, &fe) {
			err = fhir.Errorf(http.StatusBadRequest, fhir.CodeStructure, "cannot parse the form body: %v", err)
		}
		writeError(w, r, err)
		return
	}
	a.runSearch(w, r, r.Form)
}

func (a *API) runSearch(w http.ResponseWriter, r *http.Request, params url.Values) {
	out, err := a.svc.Search(r.Context(), service.SearchRequest{
		Type:            r.PathValue("type"),
		Params:          params,
		Strict:          preference(r, "handling") == "strict",
		CompartmentType: r.PathValue("ctype"),
		CompartmentID:   r.PathValue("cid"),
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeBundle(w, r, out.Resource)
}

func (a *API) bundle(w http.ResponseWriter, r *http.Request) {
	res, err := a.readResource(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out, err := a.svc.ProcessBundle(r.Context(), res, service.BundleOptions{Representation: preferReturn(r) == "representation"})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeBundle(w, r, out.Resource)
}

// validate is $validate: the body is the resource, or a Parameters whose
// "resource" parameter holds it. Per the specification the answer is 200
// with an OperationOutcome whether or not the resource is valid; a 4xx
// means validation could not be performed.
func (a *API) validate(w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	res, err := a.readResource(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// profile (a UK Core profile's canonical URL) checks the resource
	// against it besides the profiles it claims, from the query or the
	// Parameters.
	profiles := r.URL.Query()["profile"]
	if res.Type() == "Parameters" && typ != "Parameters" {
		profiles = append(profiles, parameterProfiles(res)...)
		res = parameterResource(res)
		if res == nil {
			writeError(w, r, fhir.Errorf(http.StatusBadRequest, fhir.CodeRequired, "$validate: the Parameters carry no 'resource' parameter"))
			return
		}
	}
	out, err := a.svc.Validate(res, typ, profiles...)
	if fe, ok := err.(*fhir.Error); ok && (fe.Status == http.StatusBadRequest || fe.Status == http.StatusUnprocessableEntity) {
		writeResourceValue(w, r, http.StatusOK, fhir.OperationOutcome(fe.Issues))
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeResourceValue(w, r, http.StatusOK, out.Resource)
}

// parameterResource returns the resource of the Parameters' "resource"
// parameter, or nil.
// parameterProfiles returns the values of $validate's profile parameters.
func parameterProfiles(p fhir.Resource) []string {
	var out []string
	params, _ := p["parameter"].([]any)
	for _, x := range params {
		m, _ := x.(map[string]any)
		if m["name"] != "profile" {
			continue
		}
		for _, k := range []string{"valueUri", "valueCanonical"} {
			if s, ok := m[k].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func parameterResource(p fhir.Resource) fhir.Resource {
	params, _ := p["parameter"].([]any)
	for _, x := range params {
		m, _ := x.(map[string]any)
		if m["name"] == "resource" {
			if res, ok := m["resource"].(map[string]any); ok {
				return res
			}
		}
	}
	return nil
}

// writeBundle sends a Bundle built in memory (entries may hold raw stored
// JSON).
func writeBundle(w http.ResponseWriter, r *http.Request, b fhir.Resource) {
	body, err := fhir.Marshal(b)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeBody(w, r, http.StatusOK, body)
}

// everything is Patient/{id}/$everything.
func (a *API) everything(w http.ResponseWriter, r *http.Request) {
	out, err := a.svc.Everything(r.Context(), r.PathValue("id"), r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeBundle(w, r, out.Resource)
}
