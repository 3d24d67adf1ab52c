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
	_, err := s.Service.ProcessBundle(ctx, bundle, service.BundleOptions{})
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
	res, err := fhir.Unmarshal(out.Version.Body)
	return out.Version.VersionID, res, err
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
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Prefer", "return=minimal")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
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
	return fmt.Errorf("%s: HTTP %d: %.300s", s.Base, resp.StatusCode, data)
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
