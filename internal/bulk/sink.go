package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// Sink applies transaction Bundles: the local service, or any FHIR
// server's REST API.
type Sink interface {
	Transaction(ctx context.Context, bundle fhir.Resource) error
}

// ServiceSink writes through the local service (validation, reference
// resolution, indexing), in one database transaction per Bundle.
type ServiceSink struct{ Service *service.Service }

func (s ServiceSink) Transaction(ctx context.Context, bundle fhir.Resource) error {
	_, err := s.Service.ProcessBundle(ctx, bundle, service.BundleOptions{})
	return err
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
