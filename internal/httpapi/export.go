package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/bulk"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Bulk Data Access IG 2.0: asynchronous $export.

func (a *API) exportSystem(w http.ResponseWriter, r *http.Request) {
	a.exportKickoff(w, r, "system", "")
}
func (a *API) exportPatient(w http.ResponseWriter, r *http.Request) {
	a.exportKickoff(w, r, "patient", "")
}

// exportGroup exports the compartments of a Group's Patient members.
func (a *API) exportGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := a.svc.Read(r.Context(), "Group", id); err != nil {
		writeError(w, r, err)
		return
	}
	a.exportKickoff(w, r, "group", id)
}

func (a *API) exportKickoff(w http.ResponseWriter, r *http.Request, level, group string) {
	if a.opts.Exports == nil {
		writeError(w, r, fhir.Errorf(http.StatusNotImplemented, fhir.CodeNotSupported, "$export is not enabled on this server"))
		return
	}
	if !preferAsync(r) {
		writeError(w, r, fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "$export is asynchronous: send Prefer: respond-async"))
		return
	}
	q := r.URL.Query()
	switch f := q.Get("_outputFormat"); f {
	case "", "application/fhir+ndjson", "application/ndjson", "ndjson":
	default:
		writeError(w, r, fhir.Errorf(http.StatusBadRequest, fhir.CodeNotSupported, "_outputFormat %q is not supported (application/fhir+ndjson is)", f))
		return
	}
	var since time.Time
	if v := q.Get("_since"); v != "" {
		var err error
		if since, err = service.ParseInstantParam("_since", v, false); err != nil {
			writeError(w, r, err)
			return
		}
	}
	var types []string
	for _, v := range q["_type"] {
		types = append(types, strings.Split(v, ",")...)
	}
	var typeFilters []string
	for _, v := range q["_typeFilter"] {
		typeFilters = append(typeFilters, strings.Split(v, ",")...)
	}
	if err := exportAllowed(r, types); err != nil {
		writeError(w, r, err)
		return
	}
	job, err := a.opts.Exports.Start(a.origin()+r.URL.RequestURI(), level, types, since, typeFilters, group, ownerOf(r))
	if err != nil {
		writeError(w, r, fhir.Errorf(http.StatusBadRequest, fhir.CodeValue, "%v", err))
		return
	}
	w.Header().Set("Content-Location", a.origin()+"/bulk-status/"+job.ID)
	w.WriteHeader(http.StatusAccepted)
}

// preferAsync reports a "respond-async" token in the Prefer headers.
func preferAsync(r *http.Request) bool {
	for _, h := range r.Header.Values("Prefer") {
		for _, part := range strings.FieldsFunc(h, func(c rune) bool { return c == ',' || c == ';' }) {
			if strings.EqualFold(strings.TrimSpace(part), "respond-async") {
				return true
			}
		}
	}
	return false
}

// origin is the server's public base without /fhir.
func (a *API) origin() string { return strings.TrimSuffix(a.svc.BaseURL(), "/fhir") }

func (a *API) exportStatus(w http.ResponseWriter, r *http.Request) {
	if a.opts.Exports == nil {
		writeError(w, r, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "no such export"))
		return
	}
	job, err := a.opts.Exports.Get(r.PathValue("job"))
	if err == nil && job.Owner != ownerOf(r) {
		err = bulk.ErrNoJob // another caller's export does not exist for this one
	}
	if errors.Is(err, bulk.ErrNoJob) {
		writeError(w, r, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "no such export (it may have expired or been cancelled)"))
		return
	}
	switch job.State {
	case bulk.JobAccepted, bulk.JobInProgress:
		w.Header().Set("X-Progress", fmt.Sprintf("%s: %d resources written", job.State, job.Done))
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusAccepted)
	case bulk.JobFailed:
		writeError(w, r, fhir.Errorf(http.StatusInternalServerError, fhir.CodeException, "export failed: %s", job.Error))
	default:
		out := make([]any, 0, len(job.Manifest.Output))
		for _, f := range job.Manifest.Output {
			out = append(out, map[string]any{"type": f.Type, "url": a.origin() + "/bulk-files/" + job.ID + "/" + f.URL,
				"count": f.Count, "extension": map[string]any{"sha256": f.SHA256, "bytes": f.Bytes}})
		}
		deleted := make([]any, 0, len(job.Manifest.Deleted))
		for _, f := range job.Manifest.Deleted {
			deleted = append(deleted, map[string]any{"type": f.Type, "url": a.origin() + "/bulk-files/" + job.ID + "/" + f.URL,
				"count": f.Count, "extension": map[string]any{"sha256": f.SHA256, "bytes": f.Bytes}})
		}
		body, _ := json.Marshal(map[string]any{
			"transactionTime":     job.Manifest.TransactionTime,
			"request":             job.Request,
			"requiresAccessToken": a.opts.Tokens != nil,
			"output":              out,
			"deleted":             deleted,
			"error":               []any{},
			"extension":           map[string]any{"expires": job.Finished.Add(bulk.DefaultExpiry).Format(time.RFC3339)},
		})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Expires", job.Finished.Add(bulk.DefaultExpiry).Format(http.TimeFormat))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}

func (a *API) exportDelete(w http.ResponseWriter, r *http.Request) {
	if a.opts.Exports == nil || !a.ownsJob(r) || a.opts.Exports.Delete(r.PathValue("job")) != nil {
		writeError(w, r, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "no such export"))
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// exportFile serves one NDJSON file of a finished export.
func (a *API) exportFile(w http.ResponseWriter, r *http.Request) {
	if a.opts.Exports == nil {
		http.NotFound(w, r)
		return
	}
	name := r.PathValue("name")
	path, err := a.opts.Exports.File(r.PathValue("job"), name)
	if err != nil || filepath.Base(name) != name || !a.ownsJob(r) {
		writeError(w, r, fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "no such export file"))
		return
	}
	w.Header().Set("Content-Type", "application/fhir+ndjson")
	http.ServeFile(w, r, path)
}

// ownsJob reports whether the caller asked for the job in the path.
func (a *API) ownsJob(r *http.Request) bool {
	job, err := a.opts.Exports.Get(r.PathValue("job"))
	return err == nil && job.Owner == ownerOf(r)
}

// exportAllowed lets a caller export only types whose every record they
// reach: Bulk Data is for system clients (system/*.read or
// system/<Type>.read). Staff and patients use search and $everything,
// which filter record by record.
func exportAllowed(r *http.Request, types []string) error {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return nil
	}
	if len(types) == 0 {
		types = []string{"*"}
	}
	for _, t := range types {
		reach, ok := p.ReachFor(t, auth.Read)
		if !ok || !reach.All || len(reach.Restrictions) > 0 {
			what := t
			if t == "*" {
				what = "every type (name the types with _type, or use system/*.read)"
			}
			return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "bulk export needs a system scope that reads all of %s", what)
		}
	}
	return nil
}

// jwks publishes the public keys that sign access tokens.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	if a.opts.Tokens == nil {
		http.NotFound(w, r)
		return
	}
	set, err := a.opts.Tokens.Keys.JWKS(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, _ := json.Marshal(set)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
}
