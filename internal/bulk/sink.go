package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Sink applies transaction Bundles: the local service, or any FHIR
// server's REST API.
type Sink interface {
	Transaction(ctx context.Context, bundle fhir.Resource) error
	// Current returns a resource's current version number (0 when it does
	// not exist) and content (nil when deleted), so that a history
	// replayed again goes on from where the last run stopped.
	Current(ctx context.Context, typ, id string) (versionID int64, res fhir.Resource, err error)
	// Existing tells which of ids name current resources of typ (a
	// Bundle imported again creates only those that do not).
	Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error)
}

// ServiceSink writes through the local service (validation, reference
// resolution, indexing), in one database transaction per Bundle.
type ServiceSink struct{ Service *service.Service }

func (s ServiceSink) Transaction(ctx context.Context, bundle fhir.Resource) error {
	// Verbatim: the records are written as the source held them (a busy
	// Slot stays busy without its booking being made again).
	_, err := s.Service.ProcessBundle(service.Verbatim(ctx), bundle, service.BundleOptions{})
	return err
}

func (s ServiceSink) Current(ctx context.Context, typ, id string) (int64, fhir.Resource, error) {
	out, err := s.Service.Read(ctx, typ, id)
	var gone *service.GoneError
	var fe *fhir.Error
	switch {
	case errors.As(err, &gone):
		return gone.Version.VersionID, nil, nil
	case errors.As(err, &fe) && fe.Status == http.StatusNotFound:
		return 0, nil, nil
	case err != nil:
		return 0, nil, err
	}
	v, err := s.Service.Expanded(ctx, out.Version) // a Binary's data put back
	if err != nil {
		return 0, nil, err
	}
	res, err := fhir.Unmarshal(v.Body)
	return v.VersionID, res, err
}

func (s ServiceSink) Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error) {
	return s.Service.Existing(ctx, typ, ids)
}

// ServerSink POSTs each Bundle to a FHIR server's base URL.
type ServerSink struct {
	Base   string
	Client *http.Client
	// Token, when set, is sent as a bearer access token.
	Token string
}

func (s ServerSink) Transaction(ctx context.Context, bundle fhir.Resource) error {
	body, err := fhir.Marshal(bundle)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.Base, "/"), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Prefer", "return=minimal")
	resp, data, err := s.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 == 2 {
		// A FHIR server answers a transaction or batch with a Bundle;
		// anything else (a web page that took the POST) stored nothing.
		if resourceType(data) != "Bundle" {
			return s.notFHIR(req, resp, data, "a Bundle")
		}
		return nil
	}
	// Turn the server's OperationOutcome into the same error the local
	// service gives, so that deferral works the same.
	var oo struct {
		Issue []fhir.Issue `json:"issue"`
	}
	if json.Unmarshal(data, &oo) == nil && len(oo.Issue) > 0 {
		return &fhir.Error{Status: resp.StatusCode, Issues: oo.Issue}
	}
	return s.notFHIR(req, resp, data, "an OperationOutcome")
}

// Check asks the server for its CapabilityStatement, so that a wrong
// --server is one clear message before anything is read or sent.
func (s ServerSink) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.Base, "/")+"/metadata", nil)
	if err != nil {
		return fmt.Errorf("--server %s: %w", s.Base, err)
	}
	resp, data, err := s.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || resourceType(data) != "CapabilityStatement" {
		return s.notFHIR(req, resp, data, "a CapabilityStatement")
	}
	return nil
}

// do sends a request with the token; failures that every later request
// would meet too (no connection, the token refused) stop the import.
func (s ServerSink) do(req *http.Request) (*http.Response, []byte, error) {
	req.Header.Set("Accept", "application/fhir+json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, nil, err
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it names the method and URL, which the message says its own way
		}
		return nil, nil, &stopError{fmt.Errorf("cannot reach the FHIR server at %s: %w", s.Base, err)}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		if s.Token == "" {
			return nil, nil, &stopError{fmt.Errorf("the FHIR server at %s wants an access token (HTTP 401%s): give one with --token or GPCLOUD_TOKEN (for gpcloud, from gpcloud admin token)", s.Base, diagnostics(data))}
		}
		return nil, nil, &stopError{fmt.Errorf("the FHIR server at %s refused the access token (HTTP 401%s): it may have expired or be another server's; give a valid one with --token or GPCLOUD_TOKEN", s.Base, diagnostics(data))}
	case http.StatusForbidden:
		return nil, nil, &stopError{fmt.Errorf("the FHIR server at %s refused the request (HTTP 403%s): the access token's scopes must allow writing what is imported (e.g. system/*.write)", s.Base, diagnostics(data))}
	}
	return resp, data, nil
}

// notFHIR stops the import on an answer that is not FHIR: the URL is
// not a FHIR server's base.
func (s ServerSink) notFHIR(req *http.Request, resp *http.Response, data []byte, want string) error {
	got := resp.Header.Get("Content-Type")
	if got == "" {
		got = "no Content-Type"
	}
	return &stopError{fmt.Errorf("%s %s answered HTTP %d with %s, not %s: is --server the FHIR base URL (for gpcloud, http://HOST:PORT/fhir)?",
		req.Method, req.URL.Redacted(), resp.StatusCode, got, want)}
}

// resourceType reads a JSON body's resourceType ("" when it has none).
func resourceType(data []byte) string {
	var r struct {
		ResourceType string `json:"resourceType"`
	}
	_ = json.Unmarshal(data, &r)
	return r.ResourceType
}

// diagnostics quotes an OperationOutcome's diagnostics, for a message.
func diagnostics(data []byte) string {
	var oo struct {
		Issue []fhir.Issue `json:"issue"`
	}
	if json.Unmarshal(data, &oo) != nil || len(oo.Issue) == 0 || oo.Issue[0].Diagnostics == "" {
		return ""
	}
	return ": " + oo.Issue[0].Diagnostics
}

// unresolvedReference reports whether err is a conditional reference that
// matched nothing (its target may arrive later in the import).
func unresolvedReference(err error) bool {
	var fe *fhir.Error
	if !errors.As(err, &fe) || fe.Status != http.StatusPreconditionFailed {
		return false
	}
	for _, is := range fe.Issues {
		if strings.Contains(is.Diagnostics, "matches no resource") {
			return true
		}
	}
	return false
}

func (s ServerSink) Current(ctx context.Context, typ, id string) (int64, fhir.Resource, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.Base, "/")+"/"+typ+"/"+id, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	switch resp.StatusCode {
	case http.StatusNotFound:
		return 0, nil, nil
	case http.StatusGone:
		v, _ := strconv.ParseInt(strings.Trim(strings.TrimPrefix(resp.Header.Get("ETag"), "W/"), `"`), 10, 64)
		return v, nil, nil
	case http.StatusOK:
		res, err := fhir.Unmarshal(data)
		if err != nil {
			return 0, nil, err
		}
		v, _ := strconv.ParseInt(fmt.Sprint(res.Meta()["versionId"]), 10, 64)
		return v, res, nil
	}
	return 0, nil, fmt.Errorf("%s/%s/%s: HTTP %d: %.300s", s.Base, typ, id, resp.StatusCode, data)
}

// Existing searches _id in chunks (a search takes at most 100 values in
// one parameter), asking for ids only.
func (s ServerSink) Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 100)]
		ids = ids[len(chunk):]
		q := url.Values{"_id": {strings.Join(chunk, ",")}, "_elements": {"id"}, "_count": {strconv.Itoa(len(chunk))}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.Base, "/")+"/"+typ+"?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/fhir+json")
		if s.Token != "" {
			req.Header.Set("Authorization", "Bearer "+s.Token)
		}
		resp, err := s.Client.Do(req)
		if err != nil {
			return nil, err
		}
		var bundle struct {
			Entry []struct {
				Resource struct {
					ID string `json:"id"`
				} `json:"resource"`
				Search struct {
					Mode string `json:"mode"`
				} `json:"search"`
			} `json:"entry"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&bundle)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return nil, fmt.Errorf("%s: searching %s by _id: HTTP %d %v", s.Base, typ, resp.StatusCode, err)
		}
		for _, e := range bundle.Entry {
			if e.Search.Mode != "outcome" && e.Resource.ID != "" {
				out[e.Resource.ID] = true
			}
		}
	}
	return out, nil
}
